"""SNA pages: who may open each, the forms without JavaScript, Generate on commit, downloads
audited, published editions immutable, new editions from old ones."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import Audience, Chapter, Edition, Recommendation
from assessments.rendering import edition_folder
from core.models import AuditEvent
from tests.factories import UserFactory

from .conftest import TINY_PNG, make_edition, write_files

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    ("assessments:new", False),
    ("assessments:edition", True),
    ("assessments:edit", True),
    ("assessments:status", True),
    ("assessments:publish", True),
    ("assessments:recommendation_new", True),
]
FILE_VIEWS = ["pdf", "tables", "web", "pages"]


def _url(name: str, edition: Edition | None) -> str:
    return reverse(name, args=[edition.pk]) if edition is not None else reverse(name)


@pytest.mark.parametrize(("name", "with_pk"), STAFF_PAGES)
def test_partner_people_cannot_open_staff_pages(
    name, with_pk, alice_client, lead_client, viewer_client, restricted_ready
):
    url = _url(name, restricted_ready if with_pk else None)
    for client in (alice_client, lead_client, viewer_client):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize(("name", "with_pk"), STAFF_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(name, with_pk, anonymous, restricted_ready):
    url = _url(name, restricted_ready if with_pk else None)
    response = anonymous.get(url)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_partner_cannot_generate_or_change_a_recommendation(alice_client, draft):
    recommendation = Recommendation.objects.create(
        edition=draft, chapter=Chapter.DATA, text="Share ISTV data."
    )
    assert alice_client.post(reverse("assessments:generate", args=[draft.pk])).status_code == 403
    url = reverse("assessments:recommendation_edit", args=[draft.pk, recommendation.pk])
    assert alice_client.post(url, {"delete": "1"}).status_code == 403
    draft.refresh_from_db()
    assert draft.status == Edition.Status.DRAFT
    assert Recommendation.objects.filter(pk=recommendation.pk).exists()


@pytest.mark.parametrize("view", FILE_VIEWS)
def test_restricted_files_only_for_staff_and_named_partners(
    view, staff_client, alice_client, bob_client, restricted_ready
):
    url = reverse(f"assessments:{view}", args=[restricted_ready.pk])
    assert staff_client.get(url).status_code == 200
    assert alice_client.get(url).status_code == 200  # organisation A is named
    assert bob_client.get(url).status_code == 404  # the ICB is not


@pytest.mark.parametrize("view", FILE_VIEWS)
def test_public_summary_files_for_every_partner_but_not_people_without_one(
    view, alice_client, bob_client, client, public_ready
):
    url = reverse(f"assessments:{view}", args=[public_ready.pk])
    assert alice_client.get(url).status_code == 200
    assert bob_client.get(url).status_code == 200
    client.force_login(UserFactory(email="nobody@example.org"))
    assert client.get(url).status_code == 404


def test_files_of_an_edition_not_ready_are_not_there_even_for_named_partners(
    alice_client, staff_client, dataset, org_a
):
    edition = make_edition(
        audience=Audience.RESTRICTED,
        status=Edition.Status.GENERATING,
        dataset=dataset,
        shared_with=[org_a],
    )
    url = reverse("assessments:pdf", args=[edition.pk])
    assert alice_client.get(url).status_code == 404
    assert staff_client.get(url).status_code == 404


def test_preview_inlines_twelve_pages_at_a_time(alice_client, restricted_ready):
    folder = edition_folder(restricted_ready.pk) / "pages"
    names = [f"page-{n:02d}.png" for n in range(1, 15)]
    for name in names:
        (folder / name).write_bytes(TINY_PNG)
    restricted_ready.thumbnails = names
    restricted_ready.page_count = 14
    restricted_ready.save()
    url = reverse("assessments:pages", args=[restricted_ready.pk])
    first = alice_client.get(url).content.decode()
    assert first.count('src="data:image/png;base64,') == 12
    assert 'alt="Page 12 of 14"' in first and 'alt="Page 13 of 14"' not in first
    second = alice_client.get(url + "?page=2").content.decode()
    assert second.count('src="data:image/png;base64,') == 2
    assert 'alt="Page 14 of 14"' in second
    assert AuditEvent.objects.filter(action="sna.edition_downloaded").count() == 2


def test_every_download_is_audited(alice_client, restricted_ready, alice):
    for view in ("pdf", "tables", "web", "pages"):
        response = alice_client.get(reverse(f"assessments:{view}", args=[restricted_ready.pk]))
        assert response.status_code == 200
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    events = AuditEvent.objects.filter(action="sna.edition_downloaded", actor=alice)
    assert sorted(e.detail["kind"] for e in events) == [
        "pdf",
        "preview",
        "tables.zip",
        "web",
    ]
    assert all(e.object_id == str(restricted_ready.pk) for e in events)


def test_pdf_download_is_an_attachment_named_after_the_edition(staff_client, restricted_ready):
    response = staff_client.get(reverse("assessments:pdf", args=[restricted_ready.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert (
        "testshire-strategic-needs-assessment-2022-edition-restricted.pdf"
        in (response["Content-Disposition"])
    )


def test_reader_list_shows_only_editions_the_partner_may_read(
    bob_client, alice_client, restricted_ready, public_ready
):
    bob_page = bob_client.get(reverse("assessments:list")).content.decode()
    assert reverse("assessments:pdf", args=[public_ready.pk]) in bob_page
    assert reverse("assessments:pdf", args=[restricted_ready.pk]) not in bob_page
    alice_page = alice_client.get(reverse("assessments:list")).content.decode()
    assert reverse("assessments:pdf", args=[restricted_ready.pk]) in alice_page
    assert "OFFICIAL-SENSITIVE" in alice_page


def test_staff_list_query_count_does_not_grow_with_editions(
    staff_client, dataset, django_assert_max_num_queries
):
    for _ in range(2):
        make_edition(audience=Audience.PUBLIC, status=Edition.Status.DRAFT, dataset=dataset)
    with django_assert_max_num_queries(12) as few:
        staff_client.get(reverse("assessments:list"))
    for _ in range(8):
        make_edition(audience=Audience.PUBLIC, status=Edition.Status.DRAFT, dataset=dataset)
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get(reverse("assessments:list"))


def _form(dataset, **changes) -> dict:
    data = {
        "title": "Testshire SNA",
        "edition_label": "2023 edition",
        "period_start": "2022-01",
        "period_end": "2022-06",
        "area": "partnership",
        "audience": "public",
        "definition": "",
        "datasets": [dataset.pk],
        "executive_summary": "Violence fell.\n\nRobbery rose.",
        "key_findings": "",
        "data_gaps": "",
    }
    data.update(changes)
    return data


def test_staff_create_an_edition_with_a_plain_form_post(staff_client, staff, dataset):
    response = staff_client.post(reverse("assessments:new"), _form(dataset))
    edition = Edition.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:edition", args=[edition.pk])
    assert edition.period_start == datetime.date(2022, 1, 1)
    assert edition.period_end == datetime.date(2022, 6, 1)
    assert edition.audience == Audience.PUBLIC
    assert edition.authority is None
    assert list(edition.datasets.all()) == [dataset]
    assert edition.created_by == staff
    assert AuditEvent.objects.filter(
        action="sna.edition_created", object_id=str(edition.pk)
    ).exists()


def test_datasets_and_partners_are_checkboxes_so_several_can_be_chosen(staff_client, dataset):
    page = staff_client.get(reverse("assessments:new")).content.decode()
    assert 'type="checkbox" name="datasets"' in page
    assert 'type="radio" name="datasets"' not in page
    assert 'type="radio" name="audience"' in page


def test_create_form_errors_are_listed_and_nothing_is_saved(staff_client, dataset):
    response = staff_client.post(
        reverse("assessments:new"),
        _form(dataset, period_start="2022-13", period_end="2021-01", datasets=[], title=""),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter the month as year and month, for example 2018-04" in page
    assert "Select at least one dataset" in page
    assert "Enter a title" in page
    assert not Edition.objects.exists()


def test_last_month_before_first_is_refused(staff_client, dataset):
    response = staff_client.post(
        reverse("assessments:new"), _form(dataset, period_start="2022-06", period_end="2022-01")
    )
    assert "The last month must be the same as or after the first" in response.content.decode()
    assert not Edition.objects.exists()


def test_generate_queues_the_worker_only_after_commit(
    staff_client, draft, django_capture_on_commit_callbacks, monkeypatch
):
    queued: list[tuple] = []
    monkeypatch.setattr(services.edition_generate_task, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        staff_client.post(reverse("assessments:generate", args=[draft.pk]))
    assert queued == [], "queued before the transaction committed"
    draft.refresh_from_db()
    assert draft.status == Edition.Status.QUEUED
    for callback in callbacks:
        callback()
    assert queued == [(draft.pk, draft.attempt)]


def test_running_edition_page_refreshes_itself_without_javascript(staff_client, draft):
    draft.status = Edition.Status.GENERATING
    draft.progress = 40
    draft.current_step = "Priority: Personal robbery"
    draft.save()
    page = staff_client.get(reverse("assessments:edition", args=[draft.pk])).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert 'value="40"' in page
    assert "Priority: Personal robbery (40% done)" in page
    assert "reports/edition-progress.js" in page
    status = staff_client.get(reverse("assessments:status", args=[draft.pk])).json()
    assert status["progress"] == 40 and status["finished"] is False


def test_ready_edition_page_offers_downloads_and_no_refresh(staff_client, restricted_ready):
    page = staff_client.get(reverse("assessments:edition", args=[restricted_ready.pk]))
    text = page.content.decode()
    assert 'http-equiv="refresh"' not in text
    for view in FILE_VIEWS:
        assert reverse(f"assessments:{view}", args=[restricted_ready.pk]) in text


def test_narrative_is_escaped_on_the_edition_page(staff_client, draft):
    draft.executive_summary = '<script>alert("x")</script> & <img src=x>'
    draft.save()
    page = staff_client.get(reverse("assessments:edition", args=[draft.pk])).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def test_published_edition_cannot_change_or_regenerate(staff, staff_client, restricted_ready):
    services.edition_publish(actor=staff, edition=restricted_ready)
    edit = staff_client.post(
        reverse("assessments:edit", args=[restricted_ready.pk]),
        _form(restricted_ready.datasets.get(), title="Changed"),
    )
    assert edit.status_code == 302
    staff_client.post(reverse("assessments:generate", args=[restricted_ready.pk]))
    restricted_ready.refresh_from_db()
    assert restricted_ready.title == "Testshire Strategic Needs Assessment"
    assert restricted_ready.status == Edition.Status.PUBLISHED
    with pytest.raises(services.EditionLocked):
        services.edition_update(actor=staff, edition=restricted_ready, data={"title": "Changed"})
    with pytest.raises(services.EditionLocked):
        services.recommendation_save(
            actor=staff, edition=restricted_ready, chapter=Chapter.DATA, text="New"
        )


def test_new_edition_from_a_published_one_carries_open_recommendations_forward(
    staff, staff_client, restricted_ready
):
    for text, status in (
        ("Share ISTV data", Recommendation.Status.NEW),
        ("Map hotspots", Recommendation.Status.IN_PROGRESS),
        ("Hire an analyst", Recommendation.Status.DONE),
    ):
        Recommendation.objects.create(
            edition=restricted_ready, chapter=Chapter.DATA, text=text, status=status
        )
    services.edition_publish(actor=staff, edition=restricted_ready)
    form = staff_client.get(reverse("assessments:new") + f"?from={restricted_ready.pk}")
    assert "Starting from" in form.content.decode()
    response = staff_client.post(
        reverse("assessments:new") + f"?from={restricted_ready.pk}",
        _form(restricted_ready.datasets.get(), edition_label="2024 edition"),
    )
    edition = Edition.objects.get(edition_label="2024 edition")
    assert response.status_code == 302
    assert edition.previous == restricted_ready
    carried = {r.text: r for r in edition.recommendations.all()}
    assert set(carried) == {"Share ISTV data", "Map hotspots"}
    assert all(r.status == Recommendation.Status.IN_PROGRESS for r in carried.values())
    assert {r.carried_from.edition_id for r in carried.values()} == {restricted_ready.pk}
    # Saying what became of one is a plain form too.
    item = carried["Share ISTV data"]
    staff_client.post(
        reverse("assessments:recommendation_edit", args=[edition.pk, item.pk]),
        {"chapter": "data", "text": item.text, "status": "done", "note": "Monthly since May."},
    )
    item.refresh_from_db()
    assert (item.status, item.note) == ("done", "Monthly since May.")


def test_changes_since_generation_name_added_and_withdrawn_uploads(
    staff_client, restricted_ready, dataset
):
    from incidents.models import Upload

    kept = Upload.objects.create(
        dataset=dataset, original_filename="jan.csv", sha256="a" * 64, status="imported"
    )
    gone = Upload.objects.create(
        dataset=dataset, original_filename="feb.csv", sha256="b" * 64, status="withdrawn"
    )
    restricted_ready.fingerprint_inputs = {
        "uploads": [{"id": kept.pk, "sha256": kept.sha256}, {"id": gone.pk, "sha256": gone.sha256}]
    }
    restricted_ready.save()
    Upload.objects.create(
        dataset=dataset, original_filename="mar.csv", sha256="c" * 64, status="imported"
    )
    page = staff_client.get(reverse("assessments:edition", args=[restricted_ready.pk]))
    text = page.content.decode()
    assert "The data has changed since this edition was generated." in text
    assert "Uploads added since:" in text and "mar.csv" in text
    assert "Uploads withdrawn since:" in text and "feb.csv" in text
    assert "jan.csv" not in text


def test_unchanged_data_says_so(staff_client, public_ready):
    page = staff_client.get(reverse("assessments:edition", args=[public_ready.pk]))
    assert "No upload has been added or withdrawn since it was generated." in page.content.decode()


def test_publish_needs_a_ready_edition(staff, draft):
    with pytest.raises(services.ValidationError):
        services.edition_publish(actor=staff, edition=draft)
    write_files(draft)
    draft.status = Edition.Status.READY
    draft.save()
    services.edition_publish(actor=staff, edition=draft)
    assert AuditEvent.objects.filter(action="sna.edition_published").count() == 1


def test_edition_page_query_count_does_not_grow_with_recommendations_or_uploads(
    staff_client, restricted_ready, dataset, django_assert_max_num_queries
):
    from incidents.models import Upload

    url = reverse("assessments:edition", args=[restricted_ready.pk])
    Recommendation.objects.create(edition=restricted_ready, chapter=Chapter.DATA, text="One")
    with django_assert_max_num_queries(30) as few:
        staff_client.get(url)
    for i in range(6):
        Recommendation.objects.create(edition=restricted_ready, chapter=Chapter.DATA, text=f"R{i}")
        Upload.objects.create(
            dataset=dataset, original_filename=f"f{i}.csv", sha256=f"{i}" * 64, status="imported"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get(url)

"""Posting progress updates: who may, what is kept, and what bad input does."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent
from strategy.models import Action, ProgressUpdate


def _url(action: Action) -> str:
    return reverse("strategy:action_update", args=[action.pk])


def _post(client, action, **data):
    payload = {"status": "at_risk", "narrative": "Referrals from schools are low."}
    payload.update(data)
    return client.post(_url(action), payload)


@pytest.mark.django_db
def test_partner_lead_posts_update_and_action_status_moves(lead_client, lead, action_a):
    response = _post(lead_client, action_a)
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("strategy:action", args=[action_a.pk])
    action_a.refresh_from_db()
    assert action_a.status == "at_risk"
    update = action_a.updates.get()
    assert update.author == lead
    assert update.author_name == "Lee Lead"
    assert update.previous_status == "on_track"
    assert update.status == "at_risk"
    event = AuditEvent.objects.get(action="strategy.progress_update_created")
    assert event.actor == lead
    assert event.object_id == str(action_a.pk)
    assert event.detail["from"] == "on_track" and event.detail["to"] == "at_risk"


@pytest.mark.django_db
def test_history_is_kept_across_updates(lead_client, action_a):
    _post(lead_client, action_a, status="at_risk", narrative="First: slipping.")
    _post(lead_client, action_a, status="off_track", narrative="Second: provider withdrew.")
    _post(lead_client, action_a, status="on_track", narrative="Third: new provider found.")
    updates = list(action_a.updates.order_by("created_at", "id"))
    assert [u.narrative for u in updates] == [
        "First: slipping.",
        "Second: provider withdrew.",
        "Third: new provider found.",
    ]
    assert [(u.previous_status, u.status) for u in updates] == [
        ("on_track", "at_risk"),
        ("at_risk", "off_track"),
        ("off_track", "on_track"),
    ]
    page = lead_client.get(reverse("strategy:action", args=[action_a.pk])).content.decode()
    for text in ("First: slipping.", "Second: provider withdrew.", "Third: new provider found."):
        assert text in page


@pytest.mark.django_db
def test_partner_lead_of_another_organisation_cannot_update(bob_client, org_b, action_a):
    from tests.factories import MembershipFactory, UserFactory

    other_lead = MembershipFactory(
        user=UserFactory(email="lena@icb.example.org"), organisation=org_b, role="partner_lead"
    ).user
    bob_client.force_login(other_lead)
    assert bob_client.get(_url(action_a)).status_code == 403
    assert _post(bob_client, action_a).status_code == 403
    action_a.refresh_from_db()
    assert action_a.status == "on_track"
    assert not ProgressUpdate.objects.exists()


@pytest.mark.django_db
def test_partner_lead_cannot_update_another_organisations_action(lead_client, action_b):
    assert _post(lead_client, action_b).status_code == 403
    assert not action_b.updates.exists()


@pytest.mark.django_db
def test_viewer_cannot_update(viewer_client, action_a):
    assert viewer_client.get(_url(action_a)).status_code == 403
    assert _post(viewer_client, action_a).status_code == 403
    assert not action_a.updates.exists()


@pytest.mark.django_db
def test_analyst_of_the_lead_organisation_cannot_update(alice_client, action_a):
    assert _post(alice_client, action_a).status_code == 403


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(anonymous, action_a):
    response = _post(anonymous, action_a)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("account_login"))
    assert not action_a.updates.exists()


@pytest.mark.django_db
def test_staff_may_update_any_action(staff_client, action_b):
    assert _post(staff_client, action_b, status="complete").status_code == 302
    action_b.refresh_from_db()
    assert action_b.status == "complete"


@pytest.mark.django_db
def test_action_page_offers_the_update_button_only_to_those_who_may(
    lead_client, viewer_client, action_a, action_b
):
    button = "Post a progress update"
    assert (
        button in lead_client.get(reverse("strategy:action", args=[action_a.pk])).content.decode()
    )
    assert (
        button
        not in lead_client.get(reverse("strategy:action", args=[action_b.pk])).content.decode()
    )
    assert (
        button
        not in viewer_client.get(reverse("strategy:action", args=[action_a.pk])).content.decode()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"narrative": "   "}, "Enter what has happened since the last update"),
        ({"status": ""}, "Select how the action is going"),
        ({"status": "finished"}, "Select how the action is going from the list"),
        ({"narrative": "x" * 5001}, "5,000 characters or fewer"),
    ],
)
def test_bad_input_is_explained_and_nothing_changes(lead_client, action_a, data, message):
    response = _post(lead_client, action_a, **data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    assert "<title>Error: " in page
    action_a.refresh_from_db()
    assert action_a.status == "on_track"
    assert not action_a.updates.exists()
    assert not AuditEvent.objects.filter(action__startswith="strategy.").exists()


@pytest.mark.django_db
def test_evidence_of_the_wrong_type_is_refused(lead_client, action_a):
    upload = SimpleUploadedFile("run-me.exe", b"MZ...", content_type="application/octet-stream")
    response = _post(lead_client, action_a, evidence=upload)
    assert response.status_code == 200
    assert "The evidence file must be one of: CSV, DOCX" in response.content.decode()
    assert not action_a.updates.exists()


@pytest.mark.django_db
def test_evidence_is_stored_privately_and_served_only_to_those_delivering_the_action(
    settings, lead_client, alice_client, bob_client, staff_client, action_a
):
    upload = SimpleUploadedFile("minutes.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")
    assert _post(lead_client, action_a, evidence=upload).status_code == 302
    update = action_a.updates.get()
    assert update.evidence_name == "minutes.pdf"
    assert update.evidence.path.startswith(str(settings.MEDIA_ROOT))
    url = reverse("strategy:update_evidence", args=[update.pk])
    assert url not in update.evidence.url  # never a media URL
    for client in (lead_client, alice_client, staff_client):
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 minutes"
        assert "attachment" in response.headers["Content-Disposition"]
    # Bob's organisation neither leads nor supports the action.
    assert bob_client.get(url).status_code == 403
    page = bob_client.get(reverse("strategy:action", args=[action_a.pk])).content.decode()
    assert url not in page
    assert "held by the organisations delivering this action" in page


@pytest.mark.django_db
def test_supporting_organisation_may_download_evidence(lead_client, bob_client, org_b, action_a):
    action_a.supporting_organisations.add(org_b)
    upload = SimpleUploadedFile("notes.csv", b"a,b\n1,2\n", content_type="text/csv")
    _post(lead_client, action_a, evidence=upload)
    update = action_a.updates.get()
    assert bob_client.get(reverse("strategy:update_evidence", args=[update.pk])).status_code == 200


@pytest.mark.django_db
def test_update_without_evidence_has_no_download(alice_client, action_a, lead_client):
    _post(lead_client, action_a)
    update = action_a.updates.get()
    assert (
        alice_client.get(reverse("strategy:update_evidence", args=[update.pk])).status_code == 404
    )


@pytest.mark.django_db
def test_unknown_action_is_404(lead_client):
    assert lead_client.get(reverse("strategy:action_update", args=[999999])).status_code == 404
    assert lead_client.get(reverse("strategy:action", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_evidence_over_the_size_limit_is_refused(monkeypatch, lead_client, action_a):
    monkeypatch.setattr("strategy.services.EVIDENCE_MAX_BYTES", 10)
    upload = SimpleUploadedFile("big.pdf", b"%PDF-1.4 more than ten bytes")
    response = _post(lead_client, action_a, evidence=upload)
    assert "The evidence file must be smaller than 10 MB" in response.content.decode()
    assert not action_a.updates.exists()


@pytest.mark.django_db
def test_partner_lead_dashboard_links_to_their_organisations_actions(lead_client, org_a):
    page = lead_client.get(reverse("core:dashboard")).content.decode()
    assert f"{reverse('strategy:plan')}?lead_organisation={org_a.pk}" in page
    assert "Actions led by Police" in page


@pytest.mark.django_db
def test_staff_see_a_link_to_change_the_action_in_the_admin(staff_client, lead_client, action_a):
    admin_url = reverse("admin:strategy_action_change", args=[action_a.pk])
    assert (
        admin_url
        in staff_client.get(reverse("strategy:action", args=[action_a.pk])).content.decode()
    )
    assert (
        admin_url
        not in lead_client.get(reverse("strategy:action", args=[action_a.pk])).content.decode()
    )

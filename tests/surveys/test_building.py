"""Staff build surveys in the admin: questions, routing, preview, duplicate, publish."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditEvent
from surveys.models import Choice, Question, Response, Survey
from surveys.services import survey_duplicate
from tests.surveys.factories import SurveyFactory
from tests.surveys.helpers import answer_all, submit_check

pytestmark = pytest.mark.django_db


def _question_form(question: Question, **changes) -> dict:
    data = {
        "survey": question.survey_id,
        "page": question.page_id,
        "position": question.position,
        "key": question.key,
        "text": question.text,
        "hint": question.hint,
        "kind": question.kind,
        "required": "on" if question.required else "",
        "error_message": question.error_message,
        "allow_other": "on" if question.allow_other else "",
        "max_length": "",
        "min_value": "",
        "max_value": "",
        "show_if_question": question.show_if_question_id or "",
        "show_if_answers": question.show_if_answers,
        "publish_results": "",
    }
    choices = list(question.choices.all())
    data.update(
        {
            "choices-TOTAL_FORMS": str(len(choices)),
            "choices-INITIAL_FORMS": str(len(choices)),
            "choices-MIN_NUM_FORMS": "0",
            "choices-MAX_NUM_FORMS": "1000",
        }
    )
    for i, c in enumerate(choices):
        data.update(
            {
                f"choices-{i}-id": c.pk,
                f"choices-{i}-question": question.pk,
                f"choices-{i}-position": c.position,
                f"choices-{i}-value": c.value,
                f"choices-{i}-label": c.label,
                f"choices-{i}-hint": c.hint,
            }
        )
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""} | {
        k: v for k, v in data.items() if k.endswith("TOTAL_FORMS")
    }


def _change(staff_client, question, **changes):
    return staff_client.post(
        reverse("admin:surveys_question_change", args=[question.pk]),
        _question_form(question, **changes),
    )


def test_staff_can_reword_a_question_before_anyone_answers(staff_client, survey):
    question = Question.objects.get(survey=survey, key="affected")
    response = _change(staff_client, question, text="Has serious violence affected you this year?")
    assert response.status_code == 302, response.content.decode()[:2000]
    question.refresh_from_db()
    assert question.text == "Has serious violence affected you this year?"


def test_rewording_is_refused_once_there_are_responses(staff_client, survey, client):
    answer_all(client, survey)
    submit_check(client, survey)
    question = Question.objects.get(survey=survey, key="affected")
    response = _change(staff_client, question, text="Something else entirely?")
    assert response.status_code == 200
    assert "Duplicate the survey to make a new version" in response.content.decode()
    question.refresh_from_db()
    assert question.text.startswith("Have you been affected")


def test_hint_can_still_change_once_there_are_responses(staff_client, survey, client):
    answer_all(client, survey)
    submit_check(client, survey)
    question = Question.objects.get(survey=survey, key="affected")
    assert _change(staff_client, question, hint="Include being a witness.").status_code == 302


def test_relabelling_an_option_is_refused_once_there_are_responses(staff_client, survey, client):
    answer_all(client, survey)
    submit_check(client, survey)
    question = Question.objects.get(survey=survey, key="types")
    response = _change(staff_client, question, **{"choices-0-label": "Mugging"})
    assert response.status_code == 200
    assert Choice.objects.get(question=question, value="robbery").label == "Personal robbery"


def test_routing_must_point_to_an_earlier_question_and_real_values(staff_client, survey):
    question = Question.objects.get(survey=survey, key="impact")
    later = Question.objects.get(survey=survey, key="safety")
    assert (
        _change(
            staff_client, question, show_if_question=later.pk, show_if_answers="unsafe"
        ).status_code
        == 200
    )
    affected = Question.objects.get(survey=survey, key="affected")
    assert (
        _change(
            staff_client, question, show_if_question=affected.pk, show_if_answers="perhaps"
        ).status_code
        == 200
    )
    assert (
        _change(
            staff_client, question, show_if_question=affected.pk, show_if_answers="yes"
        ).status_code
        == 302
    )


def test_yes_no_questions_get_their_options(survey):
    question = Question.objects.get(survey=survey, key="affected")
    assert [c.label for c in question.choices.all()] == ["Yes", "No"]


def test_duplicate_copies_pages_questions_options_and_routing(staff, survey):
    copy = survey_duplicate(actor=staff, survey=survey)
    assert not copy.is_published and copy.slug == f"{survey.slug}-copy"
    assert copy.questions.count() == survey.questions.count()
    page_2 = copy.pages.get(position=2)
    assert page_2.show_if_question.survey == copy and page_2.show_if_question.key == "affected"
    assert (
        Choice.objects.filter(question__survey=copy).count()
        == Choice.objects.filter(question__survey=survey).count()
    )
    assert AuditEvent.objects.filter(action="survey.duplicate", actor=staff).exists()
    assert survey_duplicate(actor=staff, survey=survey).slug == f"{survey.slug}-copy-2"


def test_publish_and_unpublish_actions(staff_client, staff, survey):
    url = reverse("admin:surveys_survey_changelist")
    staff_client.post(url, {"action": "unpublish", "_selected_action": [survey.pk]})
    survey.refresh_from_db()
    assert not survey.is_published
    staff_client.post(url, {"action": "publish", "_selected_action": [survey.pk]})
    survey.refresh_from_db()
    assert survey.is_published
    assert AuditEvent.objects.filter(action="survey.publish", actor=staff).exists()


def test_an_empty_survey_cannot_be_published(staff_client):
    empty = SurveyFactory(is_published=False)
    staff_client.post(
        reverse("admin:surveys_survey_changelist"),
        {"action": "publish", "_selected_action": [empty.pk]},
    )
    empty.refresh_from_db()
    assert not empty.is_published


def test_reserved_slugs_are_refused(staff_client, survey):
    form = staff_client.get(reverse("admin:surveys_survey_change", args=[survey.pk]))
    assert form.status_code == 200
    response = staff_client.post(
        reverse("admin:surveys_survey_add"), {"slug": "events", "title": "x"}
    )
    assert "This web address is used by another page" in response.content.decode()


def test_staff_preview_a_draft_and_nothing_is_stored(staff_client, survey):
    survey.is_published = False
    survey.save()
    response = staff_client.get(reverse("surveys:preview", args=[survey.pk]))
    assert response["Location"] == reverse("surveys:start", args=[survey.slug])
    start = staff_client.get(response["Location"])
    assert "You are previewing this survey" in start.content.decode()
    answer_all(staff_client, survey)
    assert submit_check(staff_client, survey).status_code == 302
    assert not Response.objects.exists()


def test_only_staff_may_preview(alice_client, anonymous, survey):
    assert alice_client.get(reverse("surveys:preview", args=[survey.pk])).status_code == 403
    assert anonymous.get(reverse("surveys:preview", args=[survey.pk])).status_code == 302


def test_admin_lists_surveys_with_links(staff_client, survey):
    page = staff_client.get(reverse("admin:surveys_survey_changelist"))
    assert reverse("surveys:preview", args=[survey.pk]) in page.content.decode()
    assert Survey.objects.count() == 1


def test_residents_see_staff_changes_at_once(staff_client, anonymous, survey):
    page_1 = reverse("surveys:question", args=[survey.slug, 1])
    assert "Have you been affected" in anonymous.get(page_1).content.decode()
    question = Question.objects.get(survey=survey, key="affected")
    assert _change(staff_client, question, text="Were you affected this year?").status_code == 302
    assert "Were you affected this year?" in anonymous.get(page_1).content.decode()

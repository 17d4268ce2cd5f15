"""The emergency fast path at the desk (issue 16): an emergency answer on step 2 can be
saved at once with the answers given; the scores are completed later; the result page
records what staff did, and that record closes the alert."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from intake import services
from intake.forms import emergency_answers
from intake.models import (
    Alert,
    AlertAction,
    Disposition,
    IntakeAssessment,
    StaffAction,
)
from tests.factories import PatientFactory, make_intake
from tests.test_intake_desk import intake_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, receptionist):
    client.force_login(receptionist)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def patient(db):
    return PatientFactory(birth_date=date(1970, 5, 1))


def steps_one_and_two(**overrides):
    """Step 1 and a ticked emergency sign on step 2; nothing of steps 3 and 4."""
    data = {"duration_days": "3", "pain_now": "8", "saddle_numbness": "True"}
    data.update(overrides)
    return data


def save_now(desk, patient, data):
    return desk.post(reverse("intake:intake_new", args=[patient.pk]), {**data, "save_now": "1"})


def test_the_page_knows_every_answer_that_alone_is_an_emergency():
    answers = emergency_answers()
    for flag in (
        "saddle_numbness",
        "bladder_bowel",
        "erectile_dysfunction",
        "leg_weakness",
        "trauma",
        "fever",
    ):
        assert answers[flag] == ["True"], flag
    assert answers["leg_numbness"] == ["both_legs"]
    assert "weight_loss" not in answers  # GP_URGENT, not an emergency


def test_the_intake_page_carries_the_banner_and_the_save_now_button(desk, patient):
    page = desk.get(reverse("intake:intake_new", args=[patient.pk])).content.decode()
    assert "data-emergency-banner hidden" in page
    assert 'name="save_now"' in page
    assert "saddle_numbness" in page.split("data-emergency-answers=")[1][:400]


def test_save_now_records_the_emergency_with_the_answers_given(desk, patient):
    response = save_now(desk, patient, steps_one_and_two())
    assessment = IntakeAssessment.objects.get()
    assert response.url == reverse("intake:intake_result", args=[assessment.pk])
    assert assessment.disposition == Disposition.EMERGENCY
    assert assessment.reasons == ["E-SADDLE"]
    assert assessment.answers == {
        "age": 56,
        "duration_days": 3,
        "pain_now": 8,
        "saddle_numbness": True,
    }
    assert (assessment.start_back_total, assessment.odi_sections) == (None, None)
    assert assessment.scores_pending
    assert Alert.objects.get().disposition == Disposition.EMERGENCY


def test_save_now_still_needs_the_pain_and_the_days(desk, patient):
    response = save_now(desk, patient, {"saddle_numbness": "True"})
    assert response.status_code == 200
    assert not IntakeAssessment.objects.exists()
    form = response.context["form"]
    assert set(form.errors) == {"duration_days", "pain_now"}


def test_save_now_without_an_emergency_asks_to_complete_the_questionnaire(desk, patient):
    response = save_now(desk, patient, steps_one_and_two(saddle_numbness="False"))
    assert not IntakeAssessment.objects.exists()
    assert "is for an emergency" in response.content.decode()


def test_the_full_form_still_needs_every_answer(desk, patient):
    desk.post(reverse("intake:intake_new", args=[patient.pk]), steps_one_and_two())
    assert not IntakeAssessment.objects.exists()


def test_the_result_page_offers_to_complete_the_scores_later(desk, patient):
    save_now(desk, patient, steps_one_and_two())
    assessment = IntakeAssessment.objects.get()
    page = desk.get(reverse("intake:intake_result", args=[assessment.pk])).content.decode()
    assert reverse("intake:intake_scores", args=[assessment.pk]) in page
    data = intake_form_data()
    desk.post(reverse("intake:intake_scores", args=[assessment.pk]), data)
    assessment.refresh_from_db()
    assert (assessment.start_back_total, assessment.start_back_risk) == (0, "low")
    assert assessment.odi_percent is not None
    assert not assessment.scores_pending
    assert assessment.disposition == Disposition.EMERGENCY  # the triage stays


def test_completing_the_scores_refuses_missing_answers(desk, patient):
    save_now(desk, patient, steps_one_and_two())
    assessment = IntakeAssessment.objects.get()
    response = desk.post(
        reverse("intake:intake_scores", args=[assessment.pk]), {"odi_lifting": "1"}
    )
    assert response.status_code == 200 and response.context["form"].errors
    assessment.refresh_from_db()
    assert assessment.scores_pending


# --- what staff did ------------------------------------------------------------------------


def action_data(action=StaffAction.SENT_TO_EMERGENCY, when="2026-03-02T10:05", **extra):
    return {"staff-action": action, "staff-done_at": when, **extra}


def test_recording_what_staff_did_closes_the_alert(desk, receptionist, patient):
    assessment = make_intake(patient, saddle_numbness=True)
    alert = Alert.objects.get()
    response = desk.post(
        reverse("intake:alert_action", args=[alert.pk]),
        action_data(StaffAction.CALLED_112, when=timezone.localtime().strftime("%Y-%m-%dT%H:%M")),
    )
    assert response.url == reverse("intake:intake_result", args=[assessment.pk])
    record = AlertAction.objects.get()
    assert (record.action, record.recorded_by) == (StaffAction.CALLED_112, receptionist)
    alert.refresh_from_db()
    assert alert.acknowledged_by == receptionist
    page = desk.get(response.url).content.decode()
    assert "112 called" in page and "alert closed" in page


def test_a_second_record_keeps_the_first_closing(desk, receptionist, patient):
    make_intake(patient, saddle_numbness=True)
    alert = Alert.objects.get()
    first = services.record_alert_action(
        alert, action=StaffAction.GP_INFORMED, done_at=timezone.now(), by=receptionist
    )
    services.record_alert_action(
        alert, action=StaffAction.PATIENT_REFUSED, done_at=timezone.now(), by=receptionist
    )
    alert.refresh_from_db()
    assert alert.acknowledged_at == first.recorded_at
    assert AlertAction.objects.count() == 2


def test_a_record_needs_the_action_and_a_time_not_in_the_future(desk, patient):
    make_intake(patient, saddle_numbness=True)
    alert = Alert.objects.get()
    response = desk.post(
        reverse("intake:alert_action", args=[alert.pk]), action_data(when="2999-01-01T10:00")
    )
    assert response.status_code == 400
    assert "This time is in the future." in response.content.decode()
    response = desk.post(reverse("intake:alert_action", args=[alert.pk]), {"staff-done_at": ""})
    assert set(response.context["action_form"].errors) == {"action", "done_at"}
    assert not AlertAction.objects.exists()
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_a_physio_intake_has_no_staff_action_form(desk, patient):
    assessment = make_intake(patient)
    page = desk.get(reverse("intake:intake_result", args=[assessment.pk])).content.decode()
    assert "What staff did" not in page

import re
from datetime import date

import pytest
from django.urls import reverse

from intake import scores
from intake.forms import RED_FLAG_LABELS, START_BACK_LABELS
from intake.models import Alert, Episode, EpisodeState, IntakeAssessment
from tests.factories import PatientFactory, make_intake

pytestmark = pytest.mark.django_db


def intake_form_data(**overrides):
    """A complete intake form: no red flags, low STarT Back risk, all ODI sections."""
    data = {
        "duration_days": "5",
        "pain_now": "5",
        "seen_by_doctor": "False",
        "radiation": "none",
        "leg_numbness": "none",
        "painkiller_days": "2",
        "medication": "paracetamol",
        "bothersomeness": "moderately",
    }
    data.update({key: "False" for key in RED_FLAG_LABELS})
    data.update({key: "0" for key in START_BACK_LABELS})
    data.update({f"odi_{section}": "1" for section in scores.ODI_SECTIONS})
    data.update(overrides)
    return data


@pytest.fixture
def patient(db):
    return PatientFactory(birth_date=date(1980, 5, 1))


def test_an_intake_with_red_flags_shows_emergency_in_red_with_the_reasons(desk, patient):
    response = desk.post(
        reverse("intake:intake_new", args=[patient.pk]),
        intake_form_data(saddle_numbness="True", fever="True"),
        follow=True,
    )
    html = response.content.decode()
    assert "EMERGENCY: send the patient to the emergency department now" in html
    assert "bp-result-emergency" in html
    assessment = IntakeAssessment.objects.get()
    assert assessment.disposition == "EMERGENCY"
    assert assessment.reasons == ["E-SADDLE", "E-FEVER"]
    assert assessment.episode.state == EpisodeState.EMERGENCY


def test_a_physio_intake_shows_the_start_back_group_and_next_step(desk, patient):
    response = desk.post(
        reverse("intake:intake_new", args=[patient.pk]), intake_form_data(), follow=True
    )
    html = response.content.decode()
    assert "Start the physiotherapy pathway" in html
    assert "STarT Back risk group: <strong>low</strong>" in html
    assert "bp-result-emergency" not in html
    episode = Episode.objects.get()
    assert episode.state == EpisodeState.OPEN
    assert list(Episode.objects.physio_queue()) == [episode]


def test_a_gp_result_gives_the_advice_to_pass_on(desk, patient):
    response = desk.post(
        reverse("intake:intake_new", args=[patient.pk]),
        intake_form_data(duration_days="30"),
        follow=True,
    )
    html = response.content.decode()
    assert "See the GP this week" in html
    assert IntakeAssessment.objects.get().reasons == ["S-DURATION"]
    assert Alert.objects.open().count() == 1


def test_the_age_comes_from_the_birth_date_on_the_intake_day(desk):
    child = PatientFactory(birth_date=date.today().replace(year=date.today().year - 17))
    desk.post(reverse("intake:intake_new", args=[child.pk]), intake_form_data())
    assessment = IntakeAssessment.objects.get()
    assert assessment.answers["age"] == 17
    assert assessment.disposition == "GP_URGENT"
    assert assessment.reasons == ["U-CHILD"]


def test_a_skipped_red_flag_question_is_an_error_not_a_no(desk, patient):
    data = intake_form_data()
    del data["bladder_bowel"]
    response = desk.post(reverse("intake:intake_new", args=[patient.pk]), data)
    assert response.status_code == 200
    assert "bladder_bowel" in response.context["form"].errors
    assert not IntakeAssessment.objects.exists()
    assert not Episode.objects.exists()


def test_every_answer_is_kept_when_a_step_has_an_error(desk, patient):
    data = intake_form_data(duration_days="-3", medication="ibuprofen 400", fever="True")
    response = desk.post(reverse("intake:intake_new", args=[patient.pk]), data)
    html = response.content.decode()
    assert "duration_days" in response.context["form"].errors
    assert 'value="ibuprofen 400"' in html
    assert re.search(r'name="fever" value="True"[^>]*checked', html)
    assert 'data-step="1" data-has-errors' in html


def test_too_few_oswestry_sections_is_refused_but_none_is_fine(desk, patient):
    partial = intake_form_data(**{f"odi_{s}": "" for s in scores.ODI_SECTIONS[:3]})
    response = desk.post(reverse("intake:intake_new", args=[patient.pk]), partial)
    assert response.status_code == 200
    assert not IntakeAssessment.objects.exists()
    empty = intake_form_data(**{f"odi_{s}": "" for s in scores.ODI_SECTIONS})
    desk.post(reverse("intake:intake_new", args=[patient.pk]), empty)
    assert IntakeAssessment.objects.get().odi_percent is None


def test_scores_are_stored_with_the_rule_version(desk, patient):
    data = intake_form_data(**{key: "1" for key in START_BACK_LABELS}, bothersomeness="extremely")
    desk.post(reverse("intake:intake_new", args=[patient.pk]), data)
    assessment = IntakeAssessment.objects.get()
    assert (assessment.start_back_total, assessment.start_back_psychosocial) == (9, 5)
    assert assessment.start_back_risk == "high"
    assert float(assessment.odi_percent) == 20.0
    assert assessment.rule_version == "2027.1"


def test_the_reception_home_lists_open_alerts_and_todays_intakes(
    desk, django_assert_max_num_queries
):
    for _ in range(3):
        make_intake(fever=True)
        make_intake()
    # session read + write (4), user, roles, alerts and their true count, pending
    # self-intakes, today's intakes, the list read (one bulk insert)
    with django_assert_max_num_queries(11):
        response = desk.get(reverse("intake:reception_home"))
    assert len(response.context["alerts"]) == 3
    assert len(response.context["todays_intakes"]) == 6


def test_acknowledging_an_alert_records_who_and_when(desk, receptionist):
    alert = make_intake(fever=True).episode.alerts.get()
    response = desk.post(
        reverse("intake:alert_acknowledge", args=[alert.pk]), HTTP_HX_REQUEST="true"
    )
    alert.refresh_from_db()
    assert alert.acknowledged_by == receptionist
    assert alert.acknowledged_at is not None
    assert "Acknowledged by" in response.content.decode()
    assert not Alert.objects.open().exists()


def test_a_physio_intake_raises_no_alert():
    make_intake()
    assert not Alert.objects.exists()


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_advice_sheet_prints_in_the_patients_language(desk, language):
    response = desk.get(reverse("intake:advice_sheet", args=["GP_SOON", language]))
    assert response.status_code == 200
    assert f'lang="{language}"' in response.content.decode()


def test_an_unknown_disposition_has_no_advice_sheet(desk):
    assert desk.get(reverse("intake:advice_sheet", args=["NOPE", "nl"])).status_code == 404

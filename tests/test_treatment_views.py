"""The physiotherapist's pages: take, plan, sessions, chart, handout, discharge."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from intake.models import EpisodeState
from pathway import services as pathway
from tests.factories import (
    HIGH_RISK_START_BACK,
    PatientFactory,
    make_episode_in_treatment,
    make_intake,
    make_plan,
)
from treatment import services
from treatment.models import Approach, Discharge, Exercise, TreatmentPlan, TreatmentSession

pytestmark = pytest.mark.django_db

INTAKE_DAY = date(2026, 3, 2)


@pytest.fixture
def episode(physio):  # type: ignore[no-untyped-def]
    return make_episode_in_treatment(physio, intake_date=INTAKE_DAY, pain_now=8)


def _plan_data(**overrides):  # type: ignore[no-untyped-def]
    data = {
        "approach": Approach.PHYSIOTHERAPY,
        "sessions_per_week": "2",
        "planned_sessions": "8",
        "next_session_on": "",
        "goals-TOTAL_FORMS": "2",
        "goals-INITIAL_FORMS": "0",
        "goals-MIN_NUM_FORMS": "0",
        "goals-MAX_NUM_FORMS": "10",
        "goals-0-description": "Garden for an hour",
        "goals-0-target_date": "2026-04-15",
        "goals-1-description": "",
        "goals-1-target_date": "",
        "exercises": [],
    }
    data.update(overrides)
    return data


def _exercise_ids(*codes):  # type: ignore[no-untyped-def]
    return [str(pk) for pk in Exercise.objects.filter(code__in=codes).values_list("pk", flat=True)]


def test_taking_a_patient_from_the_queue_opens_the_plan(physio_client, physio):
    queued = make_intake().episode

    response = physio_client.post(reverse("treatment:take", args=[queued.pk]))

    assert response.url == reverse("treatment:plan", args=[queued.pk])
    queued.refresh_from_db()
    assert queued.physio == physio and queued.state == EpisodeState.IN_TREATMENT


def test_the_slower_physio_is_told_the_patient_is_taken(physio_client, second_physio):
    queued = make_intake().episode
    services.take_episode(queued.pk, physio=second_physio)

    response = physio_client.post(reverse("treatment:take", args=[queued.pk]), follow=True)

    page = response.content.decode()
    assert "already taken by another physiotherapist" in page
    assert queued.patient.last_name not in page, "a refusal names no patient"
    queued.refresh_from_db()
    assert queued.physio == second_physio


def test_the_plan_form_preselects_the_approach_from_the_start_back_risk(physio):
    high = make_episode_in_treatment(physio, start_back=HIGH_RISK_START_BACK)
    from django.test import Client

    client = Client()
    client.force_login(physio)

    response = client.get(reverse("treatment:plan", args=[high.pk]))

    assert response.context["form"].initial["approach"] == Approach.PSYCHOLOGICALLY_INFORMED


def test_the_plan_form_saves_goals_and_exercises(physio_client, episode):
    with time_machine.travel(INTAKE_DAY + timedelta(days=3), tick=False):
        response = physio_client.post(
            reverse("treatment:plan", args=[episode.pk]),
            _plan_data(exercises=_exercise_ids("knee-to-chest", "hollow-back")),
        )

    assert response.status_code == 302
    plan = TreatmentPlan.objects.get(episode=episode)
    assert [g.description for g in plan.goals.all()] == ["Garden for an hour"]
    assert {p.exercise.code for p in plan.prescriptions.all()} == {"knee-to-chest", "hollow-back"}


def test_the_plan_form_refuses_strengthening_before_week_6_with_the_reason(physio_client, episode):
    with time_machine.travel(INTAKE_DAY + timedelta(days=20), tick=False):
        response = physio_client.post(
            reverse("treatment:plan", args=[episode.pk]),
            _plan_data(exercises=_exercise_ids("knee-to-chest", "abdominal-curl-up")),
        )

    assert response.status_code == 200
    errors = response.context["form"].errors["exercises"]
    assert "from week 6" in errors[0] and "08/04/2026" in errors[0]
    assert 'value="Garden for an hour"' in response.content.decode()
    assert not TreatmentPlan.objects.filter(episode=episode).exists()


def test_the_plan_form_needs_a_goal(physio_client, episode):
    response = physio_client.post(
        reverse("treatment:plan", args=[episode.pk]),
        _plan_data(**{"goals-0-description": "", "goals-0-target_date": ""}),
    )

    assert response.status_code == 200
    assert "Write at least one goal." in response.content.decode()


def test_a_session_is_recorded_from_the_form(physio_client, episode):
    with time_machine.travel(INTAKE_DAY + timedelta(days=7), tick=False):
        response = physio_client.post(
            reverse("treatment:session_new", args=[episode.pk]),
            {
                "session_date": "2026-03-09",
                "pain_now": "5",
                "odi_percent": "24",
                "work_done": "Mobilisation and walking advice",
                "adherence": "most",
                "notes": "",
                "next_session_on": "2026-03-12",
            },
        )

    assert response.status_code == 302
    session = TreatmentSession.objects.get(episode=episode)
    assert (session.pain_now, float(session.odi_percent), session.adherence) == (5, 24.0, "most")


def test_a_session_form_with_an_error_keeps_what_was_typed(physio_client, episode):
    with time_machine.travel(INTAKE_DAY + timedelta(days=7), tick=False):
        response = physio_client.post(
            reverse("treatment:session_new", args=[episode.pk]),
            {"session_date": "2026-03-09", "pain_now": "11", "work_done": "Dry needling"},
        )

    assert response.status_code == 200
    assert "pain_now" in response.context["form"].errors
    assert "Dry needling" in response.content.decode()
    assert not TreatmentSession.objects.exists()


def test_a_session_cannot_be_in_the_future(physio_client, episode):
    with time_machine.travel(INTAKE_DAY + timedelta(days=7), tick=False):
        response = physio_client.post(
            reverse("treatment:session_new", args=[episode.pk]),
            {"session_date": "2026-03-20", "pain_now": "3", "work_done": "x"},
        )

    assert "session_date" in response.context["form"].errors


def test_the_episode_page_draws_the_pain_chart_with_the_mic_and_a_table(
    physio_client, physio, episode
):
    for day, pain in ((7, 7), (14, 5)):
        services.record_session(
            episode,
            by=physio,
            session_date=INTAKE_DAY + timedelta(days=day),
            pain_now=pain,
            work_done="x",
        )

    response = physio_client.get(reverse("treatment:episode", args=[episode.pk]))
    html = response.content.decode()

    assert html.count("<svg") >= 1 and "minimal important change" in html
    chart = response.context["pain_chart"]
    assert len(chart.points) == 3
    assert [p.filled for p in chart.points] == [False, False, True]  # 8 -> 7 no, 8 -> 5 yes
    rows = [m for m, _source in response.context["measurements"]]
    assert [(m.pain, m.pain_mic) for m in rows] == [(8, None), (7, False), (5, True)]


def test_the_odi_chart_appears_once_a_session_has_an_odi(physio_client, physio, episode):
    services.record_session(
        episode,
        by=physio,
        session_date=INTAKE_DAY + timedelta(days=7),
        pain_now=5,
        odi_percent=8,
        work_done="x",
    )

    response = physio_client.get(reverse("treatment:episode", args=[episode.pk]))

    assert response.context["odi_chart"] is not None
    assert response.context["odi_chart"].points[-1].filled  # 24 % -> 8 %: 16 points better


def test_another_physio_cannot_open_my_episode(client, episode, second_physio):
    client.force_login(second_physio)

    assert client.get(reverse("treatment:episode", args=[episode.pk])).status_code == 404
    assert client.get(reverse("treatment:plan", args=[episode.pk])).status_code == 404


def test_reception_cannot_open_an_episode_page(client, receptionist, episode):
    client.force_login(receptionist)

    assert client.get(reverse("treatment:episode", args=[episode.pk])).status_code == 403


def test_the_handout_is_in_the_patients_language(physio_client, physio):
    french = PatientFactory(language="fr")
    episode = make_episode_in_treatment(physio, patient=french)
    make_plan(episode, physio, exercises=["knee-to-chest"])

    response = physio_client.get(reverse("treatment:handout", args=[episode.pk]))
    html = response.content.decode()

    assert '<html lang="fr">' in html
    assert "Ramener les genoux (Knieën optrekken)" in html and "le matin et le soir" in html
    assert "Knees to chest" not in html


def test_the_handout_prints_the_date_from_which_strengthening_may_start(physio_client, physio):
    with time_machine.travel(INTAKE_DAY, tick=False):
        episode = make_episode_in_treatment(physio, intake_date=INTAKE_DAY, duration_days=12)
        make_plan(episode, physio, exercises=["knee-to-chest"])

    html = physio_client.get(reverse("treatment:handout", args=[episode.pk])).content.decode()

    # The pain began on 18/02/2026; six weeks later is 01/04/2026.
    assert "Strengthening exercises: from 01/04/2026" in html or "vanaf 01/04/2026" in html


def test_the_handout_marks_an_exercise_the_clinic_added(physio_client, physio):
    Exercise.objects.create(
        code="bridge",
        kind="stretching",
        name_nl="Brug",
        name_fr="Pont",
        name_en="Bridge",
        instructions_nl="Til uw bekken op.",
        instructions_fr="Levez le bassin.",
        instructions_en="Lift your pelvis.",
        dosage_nl="10 keer",
        dosage_fr="10 fois",
        dosage_en="10 times",
    )
    episode = make_episode_in_treatment(physio, patient=PatientFactory(language="en"))
    make_plan(episode, physio, exercises=["knee-to-chest", "bridge"])

    html = physio_client.get(reverse("treatment:handout", args=[episode.pk])).content.decode()

    assert html.count("an exercise of our practice, not from the leaflet") == 1


def test_discharging_from_the_form_closes_the_episode(physio_client, episode):
    response = physio_client.post(
        reverse("treatment:discharge", args=[episode.pk]),
        {"outcome": "recovered", "note": "Back at work"},
        follow=True,
    )

    episode.refresh_from_db()
    assert episode.state == EpisodeState.CLOSED
    assert Discharge.objects.get(episode=episode).outcome == "recovered"
    assert "Back at work" in response.content.decode()


def test_a_closed_episode_takes_no_more_sessions(physio_client, physio, episode):
    pathway.discharge(episode, by=physio, outcome="stopped")

    response = physio_client.get(reverse("treatment:session_new", args=[episode.pk]))

    assert response.status_code == 403


def test_opening_an_episode_is_audit_logged(physio_client, physio, episode):
    from security.models import ReadLog

    physio_client.get(reverse("treatment:episode", args=[episode.pk]))

    entry = ReadLog.objects.get()
    assert (entry.user, entry.patient_id) == (physio, episode.patient_id)

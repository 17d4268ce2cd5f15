"""Treatment services: take, plan, sessions, discharge; the exercise library."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from intake.models import EpisodeState
from pathway import queries as pathway_queries
from pathway import services as pathway
from tests.factories import StaffFactory, make_episode_in_treatment, make_intake, make_plan
from treatment import services
from treatment.models import Discharge, Exercise, ExerciseKind, TreatmentSession

pytestmark = pytest.mark.django_db

INTAKE_DAY = date(2026, 3, 2)


@pytest.fixture
def episode(physio):  # type: ignore[no-untyped-def]
    with time_machine.travel(date(2026, 3, 2), tick=False):
        return make_episode_in_treatment(physio, intake_date=INTAKE_DAY)


def test_it_seeds_the_five_leaflet_exercises_in_three_languages():
    exercises = {e.code: e for e in Exercise.objects.all()}
    assert set(exercises) >= {
        "knee-to-chest",
        "hollow-back",
        "lower-back-rotation",
        "abdominal-curl-up",
        "prone-back-extension",
    }
    assert exercises["abdominal-curl-up"].kind == ExerciseKind.STRENGTHENING
    assert exercises["knee-to-chest"].kind == ExerciseKind.STRETCHING
    knee = exercises["knee-to-chest"]
    assert "30" in knee.instructions_in("nl") and "30" in knee.instructions_in("fr")
    assert "morning and evening" in knee.dosage_in("en")
    assert "'s morgens en 's avonds" in exercises["hollow-back"].dosage_in("nl")


def test_taking_an_episode_assigns_it_and_starts_treatment(physio):
    episode = make_intake().episode

    assert services.take_episode(episode.pk, physio=physio)

    episode.refresh_from_db()
    assert (episode.physio, episode.state) == (physio, EpisodeState.IN_TREATMENT)


def test_the_second_physiotherapist_to_take_an_episode_gets_nothing(physio, second_physio):
    episode = make_intake().episode

    assert services.take_episode(episode.pk, physio=physio)
    assert not services.take_episode(episode.pk, physio=second_physio)

    episode.refresh_from_db()
    assert episode.physio == physio


def test_an_urgent_episode_cannot_be_taken(physio):
    episode = make_intake(fever=True).episode

    assert not services.take_episode(episode.pk, physio=physio)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_physiotherapists_clicking_at_once_give_the_patient_to_exactly_one(postgres):
    physios = [StaffFactory(username=f"p{i}", role="physiotherapist") for i in range(2)]
    episode = make_intake().episode
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def click(user):  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            results.append(services.take_episode(episode.pk, physio=user))
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(user,)) for user in physios]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]


def test_a_plan_refuses_strengthening_before_week_6(physio, episode):
    with time_machine.travel(INTAKE_DAY + timedelta(days=41), tick=False):
        with pytest.raises(ValidationError) as error:
            make_plan(episode, physio, exercises=["knee-to-chest", "abdominal-curl-up"])

    assert "week 6" in str(error.value)


def test_a_plan_refused_for_strengthening_saves_nothing(physio, episode):
    from treatment.models import TreatmentPlan

    with time_machine.travel(INTAKE_DAY + timedelta(days=10), tick=False):
        with pytest.raises(ValidationError):
            make_plan(episode, physio, exercises=["abdominal-curl-up"])

    assert not TreatmentPlan.objects.filter(episode=episode).exists()


def test_a_plan_allows_strengthening_from_day_42(physio, episode):
    with time_machine.travel(INTAKE_DAY + timedelta(days=42), tick=False):
        plan = make_plan(episode, physio, exercises=["abdominal-curl-up"])

    assert [p.exercise.code for p in plan.prescriptions.all()] == ["abdominal-curl-up"]


def test_editing_a_plan_keeps_the_prescription_date_of_a_kept_exercise(physio, episode):
    with time_machine.travel(INTAKE_DAY, tick=False):
        make_plan(episode, physio, exercises=["knee-to-chest", "hollow-back"])
    with time_machine.travel(INTAKE_DAY + timedelta(days=43), tick=False):
        plan = make_plan(episode, physio, exercises=["knee-to-chest", "prone-back-extension"])

    dates = {p.exercise.code: p.prescribed_on for p in plan.prescriptions.all()}
    assert dates == {
        "knee-to-chest": INTAKE_DAY,
        "prone-back-extension": INTAKE_DAY + timedelta(days=43),
    }


def test_a_session_scores_the_odi_from_its_sections(physio, episode):
    session = services.record_session(
        episode,
        by=physio,
        session_date=INTAKE_DAY + timedelta(days=7),
        pain_now=4,
        odi_sections=[1, 1, 1, 1, 1, 1, 1, 1, None, None],
        work_done="Mobilisation",
    )

    assert session.odi_percent == Decimal("20.0")


def test_a_session_with_fewer_than_8_odi_sections_is_refused(physio, episode):
    with pytest.raises(ValidationError):
        services.record_session(
            episode,
            by=physio,
            session_date=INTAKE_DAY + timedelta(days=7),
            pain_now=4,
            odi_sections=[1, 1, 1, None, None, None, None, None, None, None],
            work_done="Mobilisation",
        )
    assert not TreatmentSession.objects.exists()


def test_a_session_moves_the_next_appointment(physio, episode):
    make_plan(episode, physio)

    services.record_session(
        episode,
        by=physio,
        session_date=INTAKE_DAY + timedelta(days=7),
        pain_now=4,
        work_done="Mobilisation",
        next_session_on=INTAKE_DAY + timedelta(days=10),
    )

    episode.treatment_plan.refresh_from_db()
    assert episode.treatment_plan.next_session_on == INTAKE_DAY + timedelta(days=10)


def test_discharge_closes_the_episode_with_outcome_and_summary(physio, episode):
    make_plan(episode, physio, exercises=["knee-to-chest"])
    services.record_session(
        episode,
        by=physio,
        session_date=INTAKE_DAY + timedelta(days=14),
        pain_now=1,
        work_done="Exercises",
    )

    discharge = pathway.discharge(episode, by=physio, outcome="recovered", note="Fine")

    episode.refresh_from_db()
    assert episode.state == EpisodeState.CLOSED and episode.closed_at is not None
    assert discharge.outcome == "recovered"
    assert "Knie naar de borst" in discharge.summary  # the patient's language (nl)
    assert "Fine" in discharge.summary


def test_an_episode_cannot_be_discharged_twice(physio, episode):
    pathway.discharge(episode, by=physio, outcome="stopped")

    with pytest.raises(ValidationError):
        pathway.discharge(episode, by=physio, outcome="recovered")
    assert Discharge.objects.count() == 1


def test_no_session_after_discharge(physio, episode):
    pathway.discharge(episode, by=physio, outcome="stopped")
    episode.refresh_from_db()

    with pytest.raises(ValidationError):
        services.record_session(
            episode, by=physio, session_date=INTAKE_DAY, pain_now=3, work_done="x"
        )


def test_discharge_cancels_the_scheduled_follow_up(physio, episode):
    from followups.models import FollowUp, FollowUpState

    assert FollowUp.objects.get(episode=episode).state == FollowUpState.SCHEDULED

    discharge = pathway.discharge(episode, by=physio, outcome="recovered")

    assert FollowUp.objects.get(episode=episode).state == FollowUpState.CANCELLED
    assert discharge.follow_ups_cancelled == 1


def test_an_answered_follow_up_joins_the_scores_over_time(physio, episode):
    from datetime import datetime

    from django.utils import timezone

    from followups.models import FollowUp

    answered_at = timezone.make_aware(datetime(2026, 4, 14, 10, 0))
    FollowUp.objects.filter(episode=episode).update(
        state="answered",
        answered_at=answered_at,
        outcome="improving",
        pain_now=3,
        odi_percent=Decimal("12.0"),
    )

    values = pathway_queries.episode_measurements(episode)

    assert [(m.source, m.pain, m.pain_mic, m.odi_mic) for m in values] == [
        ("intake", 5, None, None),
        ("follow_up", 3, True, True),
    ]


def test_an_admin_can_add_an_exercise_to_the_library(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        "/admin/treatment/exercise/add/",
        {
            "code": "bridge",
            "kind": "strengthening",
            "position": "3",
            "active": "on",
            **{f"name_{lang}": "Bridge" for lang in ("nl", "fr", "en")},
            **{f"instructions_{lang}": "Lift the hips." for lang in ("nl", "fr", "en")},
            **{f"dosage_{lang}": "5-10x" for lang in ("nl", "fr", "en")},
        },
    )

    assert response.status_code == 302
    assert Exercise.objects.get(code="bridge").is_strengthening


@pytest.mark.parametrize("state", ["invited", "reminded", "call_list"])
def test_discharge_cancels_follow_ups_still_waiting_on_the_patient(physio, state):
    from followups.models import FollowUp, FollowUpState
    from followups.services import cancel_follow_ups

    episode = make_intake().episode
    FollowUp.objects.filter(episode=episode).update(state=state)
    cancel_follow_ups(episode, by=physio)
    assert FollowUp.objects.get(episode=episode).state == FollowUpState.CANCELLED

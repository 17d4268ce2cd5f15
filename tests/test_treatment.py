"""Treatment services: take, plan, sessions, discharge; the exercise library."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import connection

from intake.models import EpisodeState
from pathway import queries as pathway_queries
from pathway import services as pathway
from tests.factories import StaffFactory, make_episode_in_treatment, make_intake, make_plan
from treatment import services
from treatment.models import (
    Discharge,
    Exercise,
    ExerciseKind,
    TreatmentSession,
    strengthening_allowed_from,
    strengthening_from,
)

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


LEAFLET = {
    "knee-to-chest": ("Knieën optrekken", "stretching"),
    "hollow-back": ("Rug hol maken", "stretching"),
    "lower-back-rotation": ("Onderkant van de rug draaien", "stretching"),
    "abdominal-curl-up": ("Buikspieren", "strengthening"),
    "prone-back-extension": ("Rugspieren", "strengthening"),
}


def test_the_library_has_the_leaflets_five_exercises_under_the_leaflets_names():
    leaflet = Exercise.objects.filter(from_leaflet=True)

    assert {e.code: (e.name_nl, e.kind) for e in leaflet} == LEAFLET
    for exercise in leaflet:
        dutch_name = LEAFLET[exercise.code][0]
        assert dutch_name in exercise.name_fr and dutch_name in exercise.name_en


@pytest.mark.parametrize(
    ("code", "language", "content"),
    [
        # Buikspieren: on the back, upper body up, fingers to the knees, hold, rest a minute.
        ("abdominal-curl-up", "nl", ("rug", "knieën gebogen", "vingers", "zo lang", "1 minuut")),
        ("abdominal-curl-up", "fr", ("dos", "genoux pliés", "doigts", "longtemps", "1 minute")),
        ("abdominal-curl-up", "en", ("back", "knees bent", "fingers", "long as", "1 minute")),
        # Rugspieren: on the belly, legs straight, arms forward; lift arms and legs.
        ("prone-back-extension", "nl", ("buik", "gestrekte benen", "armen", "1 minuut")),
        ("prone-back-extension", "fr", ("ventre", "jambes tendues", "bras", "1 minute")),
        ("prone-back-extension", "en", ("belly", "legs straight", "arms", "1 minute")),
        # Rug hol maken: belly forward, buttocks back; then belly in, buttocks tight.
        ("hollow-back", "nl", ("buik naar voren", "billen naar", "handen en knieën")),
        ("hollow-back", "fr", ("ventre vers l'avant", "fesses", "quatre pattes")),
        ("hollow-back", "en", ("belly forward", "buttocks", "hands and knees")),
        ("knee-to-chest", "en", ("knees bent", "30 seconds", "other leg")),
        ("lower-back-rotation", "en", ("left", "right", "shoulders stay")),
    ],
)
def test_each_leaflet_exercise_says_what_the_leaflet_says(code, language, content):
    exercise = Exercise.objects.get(code=code)
    text = f"{exercise.instructions_in(language)} {exercise.dosage_in(language)}"

    for words in content:
        assert words in text


def test_the_stretching_exercises_are_done_5_to_10_times_morning_and_evening():
    for exercise in Exercise.objects.filter(from_leaflet=True, kind="stretching"):
        assert "5 to 10 times in a row, morning and evening" in exercise.dosage_in("en")
        assert "5 tot 10 keer na elkaar, 's morgens en 's avonds" in exercise.dosage_in("nl")
        assert "5 à 10 fois de suite, le matin et le soir" in exercise.dosage_in("fr")


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


# The episode fixture's pain began 5 days before the intake: week 6 starts 37 days after
# the intake day (42 days after the start of the pain).
WEEK_6 = INTAKE_DAY + timedelta(days=37)


def test_week_6_counts_from_the_start_of_the_pain(physio, episode):
    assert strengthening_from(episode) == date(2026, 4, 8)
    assert strengthening_allowed_from(INTAKE_DAY, 0) == INTAKE_DAY + timedelta(days=42)
    assert strengthening_allowed_from(INTAKE_DAY, 60) == INTAKE_DAY - timedelta(days=18)


def test_a_plan_refuses_strengthening_the_day_before_week_6(physio, episode):
    with time_machine.travel(WEEK_6 - timedelta(days=1), tick=False):
        with pytest.raises(ValidationError) as error:
            make_plan(episode, physio, exercises=["knee-to-chest", "abdominal-curl-up"])

    assert "week 6" in str(error.value) and "08/04/2026" in str(error.value)


def test_a_patient_in_pain_for_two_months_may_strengthen_from_the_intake(physio):
    # Sent by a doctor who already assessed the episode: no S-rule keeps it from physio.
    with time_machine.travel(INTAKE_DAY, tick=False):
        episode = make_episode_in_treatment(
            physio, intake_date=INTAKE_DAY, duration_days=60, seen_by_doctor=True
        )
        plan = make_plan(episode, physio, exercises=["abdominal-curl-up"])

    assert [p.exercise.code for p in plan.prescriptions.all()] == ["abdominal-curl-up"]


def test_a_physiotherapist_may_override_week_6_for_one_patient_with_a_reason(physio, episode):
    earlier = INTAKE_DAY + timedelta(days=10)
    with time_machine.travel(earlier, tick=False):
        plan = make_plan(
            episode,
            physio,
            exercises=["abdominal-curl-up"],
            strengthening_from_override=earlier,
            strengthening_override_reason="Athlete, pain settled, cleared by the GP",
        )

    assert strengthening_from(episode, plan) == earlier
    assert [p.exercise.code for p in plan.prescriptions.all()] == ["abdominal-curl-up"]
    history = LogEntry.objects.get_for_object(plan).values_list("changes", flat=True)
    assert any("Athlete, pain settled" in str(changes) for changes in history)


def test_an_override_without_a_reason_is_refused(physio, episode):
    with time_machine.travel(INTAKE_DAY, tick=False):
        with pytest.raises(ValidationError) as error:
            make_plan(episode, physio, strengthening_from_override=INTAKE_DAY)

    assert "strengthening_override_reason" in error.value.message_dict


def test_a_plan_refused_for_strengthening_saves_nothing(physio, episode):
    from treatment.models import TreatmentPlan

    with time_machine.travel(INTAKE_DAY + timedelta(days=10), tick=False):
        with pytest.raises(ValidationError):
            make_plan(episode, physio, exercises=["abdominal-curl-up"])

    assert not TreatmentPlan.objects.filter(episode=episode).exists()


def test_a_plan_allows_strengthening_from_week_6(physio, episode):
    with time_machine.travel(WEEK_6, tick=False):
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
    assert "Knieën optrekken" in discharge.summary  # the patient's language (nl)
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


def test_discharge_keeps_the_scheduled_follow_up_as_the_safety_net(physio, episode):
    # Rules 2027.1 (section 4): the follow-up stays unless referred or cancelled with a reason.
    from followups.models import FollowUp, FollowUpState

    discharge = pathway.discharge(episode, by=physio, outcome="recovered")

    assert FollowUp.objects.get(episode=episode).state == FollowUpState.SCHEDULED
    assert discharge.follow_ups_cancelled == 0


def test_discharge_with_a_reason_cancels_the_scheduled_follow_up(physio, episode):
    from followups.models import FollowUp, FollowUpState

    discharge = pathway.discharge(
        episode, by=physio, outcome="recovered", cancel_follow_up_reason="Moved abroad"
    )

    follow_up = FollowUp.objects.get(episode=episode)
    assert (follow_up.state, follow_up.cancel_reason) == (FollowUpState.CANCELLED, "Moved abroad")
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
    cancel_follow_ups(episode, by=physio, reason="Moved abroad")
    assert FollowUp.objects.get(episode=episode).state == FollowUpState.CANCELLED

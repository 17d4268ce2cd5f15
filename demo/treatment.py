"""Demo caseloads: kine.an and kine.tom take patients from the queue, plan and treat.

Runs after ``demo.intake`` (which fills the queue). Idempotent: a physiotherapist
takes patients only up to ``CASELOAD``, and an episode gets its plan and sessions
only once. Some queued patients are left for the demo's "take this patient".
"""

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from demo.followups import DEMO_MARK as FOLLOW_UP_DEMO_MARK
from intake.models import Episode, EpisodeState
from pathway.services import discharge
from treatment.models import APPROACH_FOR_RISK, Exercise, ExerciseKind
from treatment.services import Goal, record_session, save_plan, take_episode

PHYSIOS = ("kine.an", "kine.tom")
CASELOAD = 10
# Some episodes this many days old or more, with little pain left, are discharged.
DISCHARGE_AFTER_DAYS = 56

# What a Flemish physiotherapist would write (free text, not translated).
GOALS = (
    ("30 minuten wandelen zonder te stoppen", 28),
    ("Een werkdag zitten met korte pauzes", 35),
    ("De kleinkinderen weer kunnen optillen", 42),
    ("Terug naar de wekelijkse tennismatch", 56),
    ("Een uur in de tuin werken", 42),
)
WORK_DONE = (
    "Uitleg over pijn en actief blijven; rekoefeningen overlopen.",
    "Mobilisatie lumbale wervelkolom; wandelprogramma opgebouwd.",
    "Graded activity: tillen geoefend; thuisoefeningen gecontroleerd.",
    "Stabiliteitsoefeningen romp; zithouding en pauzes besproken.",
)


def seed(stdout) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    users = list(get_user_model().objects.filter(username__in=PHYSIOS).order_by("username"))
    missing = {user: CASELOAD - Episode.objects.filter(physio=user).count() for user in users}
    wanted = [user for turn in range(CASELOAD) for user in users if missing[user] > turn]
    taken = 0
    # The follow-up demo's patients show one follow-up state each: leave them untouched
    # (a discharge would cancel their follow-ups).
    queue = Episode.objects.physio_queue().exclude(patient__no_insz_reason=FOLLOW_UP_DEMO_MARK)
    # Alternate, so both get old and new episodes.
    for physio, episode in zip(wanted, queue[: len(wanted)], strict=False):
        taken += take_episode(episode.pk, physio=physio)
    treated = 0
    for episode in (
        Episode.objects.filter(physio__in=users, treatment_plan__isnull=True)
        .select_related("patient", "intake", "physio")
        .order_by("pk")
    ):
        _treat(episode, today, turn=treated)
        treated += 1
    for physio in users:
        _close_one(physio, today)
    stdout.write(f"demo caseloads: {taken} episodes taken, {treated} treated")


def _close_one(physio, today: date) -> None:  # type: ignore[no-untyped-def]
    """Every demo physiotherapist has a closed episode to show (its summary, the GP
    letter): when none of theirs recovered, their oldest patient stopped."""
    if Episode.objects.filter(physio=physio, discharge__isnull=False).exists():
        return
    oldest = (
        Episode.objects.filter(
            physio=physio,
            state=EpisodeState.IN_TREATMENT,
            intake_date__lte=today - timedelta(days=DISCHARGE_AFTER_DAYS),
        )
        .order_by("intake_date", "pk")
        .first()
    )
    if oldest is not None:
        discharge(
            oldest, by=physio, outcome="stopped", note="Stopt de behandeling; oefent thuis verder."
        )


def _treat(episode: Episode, today: date, *, turn: int) -> None:
    """Plan, sessions and perhaps a discharge for the ``turn``-th episode treated: the
    same demo whatever ids the database hands out."""
    rng = random.Random(turn)  # noqa: S311 - reproducible demo data, not security
    physio = episode.physio
    age = (today - episode.intake_date).days
    exercises = list(Exercise.objects.filter(kind=ExerciseKind.STRETCHING))
    if age >= 42:
        exercises += list(Exercise.objects.filter(kind=ExerciseKind.STRENGTHENING))
    goal, weeks_days = GOALS[turn % len(GOALS)]
    plan = save_plan(
        episode,
        by=physio,
        approach=APPROACH_FOR_RISK[episode.intake.start_back_risk],
        sessions_per_week=rng.choice((1, 2, 2)),
        planned_sessions=rng.choice((6, 8, 9, 12)),
        goals=[Goal(goal, episode.intake_date + timedelta(days=weeks_days))],
        exercises=exercises,
        next_session_on=today + timedelta(days=rng.randrange(1, 7)),
    )
    pain = episode.intake.pain_now
    # Most improve, some little: the pain falls towards a level of its own.
    settles_at = min(pain, rng.choice((0, 1, 1, 2, 2, 3, 4, 5)))
    odi = float(episode.intake.odi_percent or 30)
    every = 7 // plan.sessions_per_week
    day = episode.intake_date + timedelta(days=rng.randrange(2, 6))
    number = 0
    while day < today and number < plan.planned_sessions:
        number += 1
        step = rng.choice((0, 1, 1)) if pain > settles_at else 0
        pain -= step
        odi = max(0.0, odi - step * rng.choice((3, 5)))
        record_session(
            episode,
            by=physio,
            session_date=day,
            pain_now=pain,
            odi_percent=round(odi) if number % 3 == 1 else None,
            work_done=rng.choice(WORK_DONE),
            adherence=rng.choice(("all", "most", "most", "some")),
        )
        day += timedelta(days=every + rng.choice((0, 0, 1)))
    if age >= DISCHARGE_AFTER_DAYS and pain <= 2 and turn % 2:
        discharge(
            episode, by=physio, outcome="recovered", note="Hervat alle dagelijkse activiteiten."
        )

"""Treatment workflows: take an episode, plan, record sessions, discharge.

Each service is one transaction; invalid input raises ``ValidationError`` before
anything is saved.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinics.models import Practice
from intake import scores
from intake.models import Episode, EpisodeState
from outbox import services as outbox
from treatment.models import (
    Discharge,
    Exercise,
    PrescribedExercise,
    TreatmentGoal,
    TreatmentPlan,
    TreatmentSession,
)
from treatment.outcomes import Measurement


@dataclass(frozen=True)
class Goal:
    description: str
    target_date: date
    achieved: bool = False


def take_episode(episode_id: int, *, physio: Any) -> bool:
    """Assign a queued episode to ``physio``; False when someone else was first.

    A conditional update: of two physiotherapists clicking at once, exactly one
    matches the "open and unassigned" row.
    """
    return bool(
        Episode.objects.filter(pk=episode_id, state=EpisodeState.OPEN, physio__isnull=True).update(
            physio=physio, state=EpisodeState.IN_TREATMENT
        )
    )


def _require_in_treatment(episode: Episode) -> None:
    if episode.state != EpisodeState.IN_TREATMENT:
        raise ValidationError(_("This episode is not in treatment."), code="not_in_treatment")


@transaction.atomic
def save_plan(
    episode: Episode,
    *,
    by: Any,
    approach: str,
    sessions_per_week: int,
    planned_sessions: int,
    goals: Sequence[Goal],
    exercises: Iterable[Exercise],
    next_session_on: date | None = None,
    strengthening_from_override: date | None = None,
    strengthening_override_reason: str = "",
    today: date | None = None,
) -> TreatmentPlan:
    """Create or replace the episode's plan.

    Goals are replaced; an exercise already on the plan keeps its prescription date,
    a new one is prescribed ``today``, one left out is taken off the plan.
    Strengthening before week 6 after the start of the pain raises ``ValidationError``
    (see ``PrescribedExercise``), unless the physiotherapist overrides the date for this
    patient with a written reason (kept in the plan's change history).
    """
    _require_in_treatment(episode)
    today = today or timezone.localdate()
    now = timezone.now()
    plan, _created = TreatmentPlan.objects.select_for_update().get_or_create(
        episode=episode,
        defaults={
            "approach": approach,
            "sessions_per_week": sessions_per_week,
            "planned_sessions": planned_sessions,
        },
    )
    plan.approach = approach
    plan.sessions_per_week = sessions_per_week
    plan.planned_sessions = planned_sessions
    plan.next_session_on = next_session_on
    plan.strengthening_from_override = strengthening_from_override
    plan.strengthening_override_reason = (
        strengthening_override_reason.strip() if strengthening_from_override else ""
    )
    plan.updated_at = now
    plan.updated_by = by
    plan.full_clean(exclude=["episode"])
    plan.save()

    plan.goals.all().delete()
    new_goals = [
        TreatmentGoal(
            plan=plan,
            description=goal.description,
            target_date=goal.target_date,
            achieved=goal.achieved,
        )
        for goal in goals
    ]
    for goal in new_goals:
        goal.full_clean(exclude=["plan"])
    TreatmentGoal.objects.bulk_create(new_goals)

    wanted = {exercise.pk: exercise for exercise in exercises}
    plan.prescriptions.exclude(exercise__in=wanted).delete()
    kept = set(plan.prescriptions.values_list("exercise_id", flat=True))
    new_prescriptions = [
        PrescribedExercise(plan=plan, exercise=exercise, prescribed_on=today)
        for pk, exercise in wanted.items()
        if pk not in kept
    ]
    for prescription in new_prescriptions:
        prescription.full_clean(exclude=["plan"], validate_unique=False)
    PrescribedExercise.objects.bulk_create(new_prescriptions)
    return plan


def odi_from_input(
    percent: Decimal | float | None, sections: Sequence[int | None] | None
) -> tuple[Decimal | None, list[int | None] | None]:
    """The session's ODI: from the 10 sections when given (at least 8 answered), else the
    percentage as typed."""
    if sections is not None and any(value is not None for value in sections):
        computed = scores.oswestry(sections)
        if computed is None:
            raise ValidationError(
                _("Answer at least %(count)d of the 10 Oswestry sections.")
                % {"count": scores.ODI_MIN_ANSWERED},
                code="odi_too_few_sections",
            )
        return Decimal(str(computed)), list(sections)
    if percent is None:
        return None, None
    return Decimal(str(percent)), None


@transaction.atomic
def record_session(
    episode: Episode,
    *,
    by: Any,
    session_date: date,
    pain_now: int,
    work_done: str,
    adherence: str = "",
    notes: str = "",
    odi_percent: Decimal | float | None = None,
    odi_sections: Sequence[int | None] | None = None,
    next_session_on: date | None = None,
) -> TreatmentSession:
    """Record a session; a next session date moves the plan's next appointment."""
    _require_in_treatment(episode)
    if session_date < episode.intake_date:
        raise ValidationError(
            {"session_date": _("A session cannot be before the intake date.")},
            code="before_intake",
        )
    percent, sections = odi_from_input(odi_percent, odi_sections)
    session = TreatmentSession(
        episode=episode,
        session_date=session_date,
        pain_now=pain_now,
        odi_percent=percent,
        odi_sections=sections,
        work_done=work_done,
        adherence=adherence,
        notes=notes,
        recorded_by=by,
    )
    session.full_clean()
    session.save()
    if next_session_on is not None:
        TreatmentPlan.objects.filter(episode=episode).update(next_session_on=next_session_on)
    return session


def write_discharge_summary(
    episode: Episode,
    *,
    outcome: str,
    note: str,
    by: Any,
    discharged_on: date,
    values: Sequence[Measurement],
) -> str:
    """A short plain-text summary in the patient's language (it goes with the patient).

    ``values``: the episode's scores over time, the intake first."""
    plan = TreatmentPlan.objects.filter(episode=episode).first()
    with translation.override(episode.patient.language):
        return render_to_string(
            "treatment/discharge_summary.txt",
            {
                "episode": episode,
                "patient": episode.patient,
                "intake": episode.intake,
                "plan": plan,
                "goals": list(plan.goals.all()) if plan else [],
                "exercises": [
                    p.exercise.name_in(episode.patient.language)
                    for p in (plan.prescriptions.select_related("exercise") if plan else [])
                ],
                "session_count": episode.treatment_sessions.count(),
                "baseline": values[0],
                "last": values[-1] if len(values) > 1 else None,
                "outcome": outcome,
                "outcome_label": Discharge(outcome=outcome).get_outcome_display(),
                "note": note,
                "physio": by,
                "discharged_on": discharged_on,
                "weeks": (discharged_on - episode.intake_date).days // 7,
            },
        ).strip()


@transaction.atomic
def discharge_episode(
    episode: Episode,
    *,
    by: Any,
    outcome: str,
    note: str = "",
    values: Sequence[Measurement],
    follow_ups_cancelled: int = 0,
) -> Discharge:
    """Close the episode with its outcome and summary (``values``: its scores over time,
    the intake first). ``pathway.services.discharge`` is the whole workflow."""
    now = timezone.now()
    closed = Episode.objects.filter(pk=episode.pk, state=EpisodeState.IN_TREATMENT).update(
        state=EpisodeState.CLOSED, closed_at=now
    )
    if not closed:
        raise ValidationError(_("This episode is not in treatment."), code="not_in_treatment")
    # A closed episode has no next session (the page, the handout and the caseload).
    TreatmentPlan.objects.filter(episode=episode).update(next_session_on=None)
    summary = write_discharge_summary(
        episode,
        outcome=outcome,
        note=note,
        by=by,
        discharged_on=timezone.localdate(now),
        values=values,
    )
    discharge = Discharge(
        episode=episode,
        outcome=outcome,
        note=note,
        summary=summary,
        discharged_at=now,
        discharged_by=by,
    )
    discharge.full_clean()
    discharge.follow_ups_cancelled = follow_ups_cancelled
    discharge.save()
    episode.state = EpisodeState.CLOSED
    episode.closed_at = now
    return discharge


@transaction.atomic
def send_discharge_summary_to_gp(content: Any, discharge: Discharge, *, by: Any) -> bool:
    """Queue the discharge summary (``treatment.summary.SummaryContent``) to the patient's
    GP through the outbox, once per discharge and language. False when the GP has no
    e-mail address on record."""
    patient = discharge.episode.patient
    if not patient.gp_email:
        return False
    practice = patient.practice or Practice.objects.default()
    outbox.queue_email(
        to=patient.gp_email,
        language=content.language,
        template="discharge_summary",
        context={
            **content.as_context(),
            "gp_name": patient.gp_name,
            "practice_name": practice.name if practice else "",
        },
        idempotency_key=f"discharge-summary:{discharge.pk}:{content.language}",
        patient_id=patient.pk,
        reference=f"discharge:{discharge.pk}",
    )
    return True

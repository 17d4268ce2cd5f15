"""The workflows that cross apps: admitting a patient, answering a follow-up, discharging.

This is the one place where a change and its consequences meet (house style 12): each
function is one transaction that calls the feature apps' own services in order, so no
feature app calls another one sideways. Views, tasks and the demo call these.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from followups import outcome as rules
from followups import services as followups
from followups.models import FollowUp, QuestionnaireLink
from intake import services as intake
from intake.models import AlertKind, Disposition, Episode, IntakeAssessment, IntakeSource, Patient
from pathway.queries import episode_measurements
from referrals import services as referrals
from treatment import services as treatment
from treatment.models import Discharge

REFERRAL_FROM_FOLLOW_UP = "follow_up"


@transaction.atomic
def admit_patient(
    patient: Patient,
    *,
    answers: Mapping[str, Any],
    start_back_items: Sequence[Any] | None,
    odi_sections: Sequence[int | None] | None,
    medication: str = "",
    by: Any = None,
    source: str = IntakeSource.DESK,
    intake_date: date | None = None,
    recorded_at: datetime | None = None,
) -> IntakeAssessment:
    """Record the intake, raise the staff alert when it is not PHYSIO, and schedule the
    six-week follow-up. Invalid answers raise before anything is saved. The scores may
    be None: an emergency saved at once (``intake.services.complete_intake_scores``)."""
    assessment = intake.record_intake(
        patient,
        answers=answers,
        start_back_items=start_back_items,
        odi_sections=odi_sections,
        medication=medication,
        by=by,
        source=source,
        intake_date=intake_date,
        recorded_at=recorded_at,
    )
    episode = assessment.episode
    if assessment.disposition != Disposition.PHYSIO:
        intake.raise_alert(
            episode,
            kind=AlertKind.INTAKE,
            disposition=assessment.disposition,
            reasons=assessment.reasons,
        )
    followups.schedule_follow_up(episode, number=1)
    return assessment


@transaction.atomic
def answer_follow_up(
    follow_up: FollowUp,
    answers: Mapping[str, Any],
    *,
    channel: str,
    by: Any = None,
    link: QuestionnaireLink | None = None,
    now: datetime | None = None,
) -> FollowUp:
    """Store and classify the answers, then act on the outcome: a red flag raises the
    staff alert, an improving case gets its next follow-up, a persistent one a pain-clinic
    referral proposal. A recovered outcome is itself the proposal to close the episode.

    Raises ``followups.services.FollowUpClosed`` when the follow-up (or the link) can no
    longer be answered and ``ValueError`` for invalid answers, before anything is saved.
    """
    now = now or timezone.now()
    follow_up = followups.record_answers(
        follow_up, answers, channel=channel, by=by, link=link, now=now
    )
    episode = follow_up.episode
    if follow_up.outcome == rules.RED_FLAG:
        intake.raise_alert(
            episode,
            kind=AlertKind.FOLLOW_UP,
            disposition=follow_up.outcome_disposition,
            reasons=follow_up.outcome_reasons,
        )
    elif follow_up.outcome == rules.IMPROVING:
        followups.schedule_follow_up(episode, number=follow_up.number + 1, now=now)
    elif follow_up.outcome == rules.PERSISTENT:
        referrals.propose_referral(
            episode,
            source=REFERRAL_FROM_FOLLOW_UP,
            reason=referral_reason(follow_up),
            by=by,
            follow_up=follow_up,
        )
    return follow_up


def referral_reason(follow_up: FollowUp) -> str:
    """Why the follow-up proposes a referral, in codes and scores (language-neutral)."""
    parts = [
        f"Follow-up {follow_up.number}: {', '.join(follow_up.outcome_reasons)}",
        f"pain {follow_up.pain_now}/10",
    ]
    if follow_up.odi_percent is not None:
        parts.append(f"ODI {follow_up.odi_percent} %")
    return " · ".join(parts)


@transaction.atomic
def discharge(episode: Episode, *, by: Any, outcome: str, note: str = "") -> Discharge:
    """Close the episode with its outcome and summary, and cancel its pending follow-ups
    (their links stop working). Raises ``ValidationError`` when it is not in treatment."""
    values = episode_measurements(episode)
    cancelled = followups.cancel_follow_ups(episode, by=by)
    return treatment.discharge_episode(
        episode,
        by=by,
        outcome=outcome,
        note=note,
        values=values,
        follow_ups_cancelled=cancelled,
    )

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
from intake.models import (
    Alert,
    AlertKind,
    Disposition,
    Episode,
    EpisodeState,
    IntakeAssessment,
    IntakeSource,
    Patient,
)
from pathway.queries import episode_measurements
from referrals import services as referrals
from treatment import services as treatment
from treatment.models import Discharge, DischargeOutcome

REFERRAL_FROM_FOLLOW_UP = "follow_up"


# An intake with one of these dispositions schedules no follow-up until staff record
# that the physiotherapy pathway continues (after the doctor's assessment).
WAIT_FOR_DOCTOR = (Disposition.EMERGENCY, Disposition.GP_URGENT)


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
    six-week follow-up, except after an EMERGENCY or GP_URGENT result: then the
    follow-up waits for ``continue_pathway``. Invalid answers raise before anything is
    saved. The scores may be None: an emergency saved at once
    (``intake.services.complete_intake_scores``)."""
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
    if assessment.disposition not in WAIT_FOR_DOCTOR:
        followups.schedule_follow_up(episode, number=1)
    return assessment


class NothingToContinue(Exception):
    """The alert or episode has no pathway step waiting for "safe to continue"."""


@transaction.atomic
def continue_pathway(episode: Episode, *, by: Any, now: datetime | None = None) -> FollowUp:
    """Staff record that, after the doctor's assessment of an EMERGENCY or GP_URGENT
    intake, the physiotherapy pathway continues: the episode joins the physiotherapists'
    queue and the six-week follow-up is due 42 days after this record. Idempotent."""
    now = now or timezone.now()
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if episode.state == EpisodeState.CLOSED:
        raise NothingToContinue("closed")
    if episode.pathway_continued_at is None:
        episode.pathway_continued_at = now
        episode.pathway_continued_by = by
        if episode.state in (EpisodeState.EMERGENCY, EpisodeState.AWAITING_GP):
            episode.state = EpisodeState.OPEN
        episode.save(update_fields=["pathway_continued_at", "pathway_continued_by", "state"])
    start = timezone.localdate(episode.pathway_continued_at)
    return followups.schedule_follow_up(episode, number=1, start=start)


def can_continue_after(alert: Alert) -> bool:
    """Whether "safe to continue" applies to ``alert``: an intake alert whose episode
    waits for the doctor, or a follow-up red flag whose course is not yet carried out."""
    if alert.kind == AlertKind.INTAKE:
        return (
            alert.disposition in WAIT_FOR_DOCTOR
            and alert.episode.pathway_continued_at is None
            and alert.episode.state != EpisodeState.CLOSED
        )
    if alert.kind == AlertKind.FOLLOW_UP:
        return FollowUp.objects.filter(alert=alert, course_carried_out_at__isnull=True).exists()
    return False


@transaction.atomic
def close_alert_safe_to_continue(alert: Alert, *, by: Any, now: datetime | None = None) -> Alert:
    """Staff close an alert as "safe to continue": the alert is acknowledged and the
    pathway goes on. For an intake alert the physiotherapy pathway continues
    (``continue_pathway``); for a follow-up red flag the stored course is carried out
    (closing proposal, next follow-up, review task or referral proposal).

    Raises ``NothingToContinue`` when the alert has nothing waiting on it."""
    now = now or timezone.now()
    if not can_continue_after(alert):
        raise NothingToContinue(alert.kind)
    intake.acknowledge_alert(alert.pk, by=by)
    if alert.kind == AlertKind.INTAKE:
        continue_pathway(alert.episode, by=by, now=now)
    else:
        follow_up = FollowUp.objects.select_related("episode__patient").get(alert=alert)
        _carry_out_course(follow_up, by=by, now=now)
    alert.refresh_from_db()
    return alert


@transaction.atomic
def answer_follow_up(
    follow_up: FollowUp,
    answers: Mapping[str, Any],
    *,
    channel: str,
    start_back_items: Sequence[Any] | None = None,
    by: Any = None,
    link: QuestionnaireLink | None = None,
    now: datetime | None = None,
) -> FollowUp:
    """Store and classify the answers, then act on the outcome (section 4, step C): a
    red flag raises the staff alert and waits for it to be closed as safe to continue;
    otherwise the course is carried out at once (``_carry_out_course``).

    Raises ``followups.services.FollowUpClosed`` when the follow-up (or the link) can no
    longer be answered and ``ValueError`` for invalid answers, before anything is saved.
    """
    now = now or timezone.now()
    follow_up = followups.record_answers(
        follow_up,
        answers,
        channel=channel,
        start_back_items=start_back_items,
        by=by,
        link=link,
        now=now,
    )
    if follow_up.outcome == rules.RED_FLAG:
        follow_up.alert = intake.raise_alert(
            follow_up.episode,
            kind=AlertKind.FOLLOW_UP,
            disposition=follow_up.outcome_disposition,
            reasons=rules.warning_codes(follow_up.outcome_reasons),
        )
        follow_up.save(update_fields=["alert"])
    else:
        _carry_out_course(follow_up, by=by, now=now)
    return follow_up


def _carry_out_course(follow_up: FollowUp, *, by: Any, now: datetime) -> None:
    """What the course asks for (once per follow-up):

    - recovered: the episode is proposed for closing (``proposed_for_closing``);
    - improving at the first follow-up: the second one is scheduled; at the second: a
      review task for the physiotherapist, no third automatic follow-up;
    - persistent: a pain-clinic referral proposal, except for a patient under 18 on
      the day, who is sent back to the GP (the U-CHILD alert already said so).
    """
    if not followups.mark_course_carried_out(follow_up, now=now):
        return
    episode = follow_up.episode
    if follow_up.course == rules.IMPROVING and follow_up.number == 1:
        followups.schedule_follow_up(episode, number=2, now=now)
    elif follow_up.course == rules.IMPROVING:
        intake.raise_alert(
            episode, kind=AlertKind.REVIEW, disposition=Disposition.PHYSIO, reasons=()
        )
    elif follow_up.course == rules.PERSISTENT and not referrals.is_minor(
        episode.patient, timezone.localdate(now)
    ):
        referrals.propose_referral(
            episode,
            source=REFERRAL_FROM_FOLLOW_UP,
            reason=referral_reason(follow_up),
            by=by,
            follow_up=follow_up,
        )


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
def discharge(
    episode: Episode,
    *,
    by: Any,
    outcome: str,
    note: str = "",
    cancel_follow_up_reason: str = "",
) -> Discharge:
    """Close the episode with its outcome and summary. The pending follow-up stays (the
    safety net) unless the outcome is ``referred`` or the physiotherapist cancels it
    with a written reason, kept on the follow-up. Raises ``ValidationError`` when it is
    not in treatment."""
    values = episode_measurements(episode)
    cancelled = 0
    if outcome == DischargeOutcome.REFERRED:
        reason = cancel_follow_up_reason.strip() or REFERRED_CANCEL_REASON
        cancelled = followups.cancel_follow_ups(episode, by=by, reason=reason)
    elif cancel_follow_up_reason.strip():
        cancelled = followups.cancel_follow_ups(episode, by=by, reason=cancel_follow_up_reason)
    return treatment.discharge_episode(
        episode,
        by=by,
        outcome=outcome,
        note=note,
        values=values,
        follow_ups_cancelled=cancelled,
    )


# Stored on the follow-up (history, language-neutral like the referral reason).
REFERRED_CANCEL_REASON = "discharged: referred"

"""The episode timeline that the referral letter tells: intake, six weeks, treatment.

The intake is always there; the six-week scores and the treatment appear once there
are answered follow-ups and recorded sessions.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from followups.models import FollowUp
from intake.models import Episode, IntakeAssessment, StartBackRisk
from treatment.models import TreatmentSession


@dataclass(frozen=True)
class FollowUpScores:
    day: date | None
    pain: int | None
    odi: Decimal | float | None


@dataclass(frozen=True)
class TreatmentSummary:
    sessions: int
    first_day: date | None
    last_day: date | None
    last_pain: int | None


@dataclass(frozen=True)
class EpisodeTimeline:
    intake_date: date
    triage: str
    start_back: str
    intake_pain: int | None
    intake_odi: Decimal | None
    follow_up: FollowUpScores | None
    treatment: TreatmentSummary | None


def _start_back_text(intake: IntakeAssessment) -> str:
    if intake.start_back_total is None:
        return str(_("not asked (saved in an emergency)"))
    risk = intake.start_back_risk
    return _("%(group)s (total %(total)s/9, psychosocial %(psy)s/5)") % {
        "group": StartBackRisk(risk).label if risk in StartBackRisk.values else risk,
        "total": intake.start_back_total,
        "psy": intake.start_back_psychosocial,
    }


def _triage_text(intake: IntakeAssessment, language: str) -> str:
    text = str(intake.get_disposition_display())
    reasons = intake.reason_texts(language)
    return f"{text}: {'; '.join(reasons)}" if reasons else text


def latest_follow_up_scores(episode: Episode) -> FollowUpScores | None:
    """The scores of the episode's latest answered follow-up, if any."""
    follow_up = (
        FollowUp.objects.filter(episode=episode, answered_at__isnull=False)
        .order_by("-answered_at", "-pk")
        .first()
    )
    if follow_up is None or follow_up.answered_at is None:
        return None
    return FollowUpScores(
        day=timezone.localdate(follow_up.answered_at),
        pain=follow_up.pain_now,
        odi=follow_up.odi_percent,
    )


def treatment_summary(episode: Episode) -> TreatmentSummary | None:
    """The physiotherapy sessions recorded so far for the episode, if any."""
    sessions = list(TreatmentSession.objects.filter(episode=episode).order_by("session_date", "pk"))
    if not sessions:
        return None
    return TreatmentSummary(
        sessions=len(sessions),
        first_day=sessions[0].session_date,
        last_day=sessions[-1].session_date,
        last_pain=sessions[-1].pain_now,
    )


def episode_timeline(episode: Episode, language: str) -> EpisodeTimeline:
    intake = getattr(episode, "intake", None)
    return EpisodeTimeline(
        intake_date=episode.intake_date,
        triage=_triage_text(intake, language) if intake else "",
        start_back=_start_back_text(intake) if intake else "",
        intake_pain=intake.pain_now if intake else None,
        intake_odi=intake.odi_percent if intake else None,
        follow_up=latest_follow_up_scores(episode),
        treatment=treatment_summary(episode),
    )

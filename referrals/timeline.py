"""The episode timeline that the referral letter tells: intake, six weeks, treatment.

The intake is always there. The follow-up (``followups``) and treatment (``treatment``)
apps are built alongside this one, so their models are read defensively: when a model
or a field is not there, that part of the timeline is simply absent.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldError
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.models import Episode, IntakeAssessment

logger = logging.getLogger(__name__)


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
    groups = {"low": _("low risk"), "medium": _("medium risk"), "high": _("high risk")}
    return _("%(group)s (total %(total)s/9, psychosocial %(psy)s/5)") % {
        "group": groups.get(intake.start_back_risk, intake.start_back_risk),
        "total": intake.start_back_total,
        "psy": intake.start_back_psychosocial,
    }


def _triage_text(intake: IntakeAssessment, language: str) -> str:
    text = str(intake.get_disposition_display())
    reasons = intake.reason_texts(language)
    return f"{text}: {'; '.join(reasons)}" if reasons else text


def _as_day(value: object) -> date | None:
    if isinstance(value, datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    return None


def _first(obj: object, names: tuple[str, ...]) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _model(app_label: str, *names: str) -> Any:
    for name in names:
        try:
            return apps.get_model(app_label, name)
        except LookupError:
            continue
    return None


def latest_follow_up_scores(episode: Episode) -> FollowUpScores | None:
    """The scores of the episode's latest answered follow-up, if the app has them."""
    model = _model("followups", "FollowUp")
    if model is None:
        return None
    try:
        follow_up = (
            model.objects.filter(episode=episode, answered_at__isnull=False)
            .order_by("-answered_at", "-pk")
            .first()
        )
    except FieldError:
        logger.warning("followups.FollowUp changed shape; letter without six-week scores")
        return None
    if follow_up is None:
        return None
    answers = _first(follow_up, ("answers",)) or {}
    pain = _first(follow_up, ("pain_now",))
    if pain is None and isinstance(answers, dict):
        pain = answers.get("pain_now")
    odi = _first(follow_up, ("odi_percent",))
    return FollowUpScores(
        day=_as_day(follow_up.answered_at),
        pain=pain if isinstance(pain, int) else None,
        odi=odi if isinstance(odi, float | int | Decimal) else None,
    )


def treatment_summary(episode: Episode) -> TreatmentSummary | None:
    """The physiotherapy sessions recorded so far for the episode, if the app has them."""
    model = _model("treatment", "TreatmentSession")
    if model is None:
        return None
    try:
        sessions = list(model.objects.filter(episode=episode).order_by("session_date", "pk"))
    except FieldError:
        logger.warning("treatment.TreatmentSession changed shape; letter without treatment")
        return None
    if not sessions:
        return None
    last_pain = _first(sessions[-1], ("pain_now",))
    return TreatmentSummary(
        sessions=len(sessions),
        first_day=_as_day(_first(sessions[0], ("session_date",))),
        last_day=_as_day(_first(sessions[-1], ("session_date",))),
        last_pain=last_pain if isinstance(last_pain, int) else None,
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

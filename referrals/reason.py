"""Why a patient is referred to the pain clinic, in plain words for the GP
(clinical-rules.md section 5): the course, the scores over time, the warning signs at the
intake and since, and the painkiller use — never rule codes alone.

``referral_reason(referral)`` gathers those facts from the record; ``sentences(facts)``
writes them in the active language (the letter renders them in the patient's language,
a staff page in the reader's). The stored ``Referral.reason`` stays what it was: the
codes and scores for staff, or the physiotherapist's own words.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from followups.models import FollowUp
from referrals.models import Referral
from treatment.models import TreatmentSession

# Each warning-sign code in the words of a letter to a doctor.
SIGN_NAMES = {
    "E-SADDLE": gettext_lazy("saddle anaesthesia"),
    "E-BLADDER": gettext_lazy("bladder or bowel dysfunction"),
    "E-ERECTILE": gettext_lazy("new erectile dysfunction"),
    "E-WEAKNESS": gettext_lazy("motor weakness in a leg"),
    "E-NUMB-BOTH": gettext_lazy("numbness or paraesthesia in both legs"),
    "E-TRAUMA": gettext_lazy("onset after an accident or a fall"),
    "E-FEVER": gettext_lazy("fever or chills"),
    "U-WEIGHT": gettext_lazy("unexplained weight loss"),
    "U-CANCER": gettext_lazy("a history of cancer"),
    "U-NIGHT": gettext_lazy("severe night pain"),
    "U-UNWELL": gettext_lazy("general malaise"),
    "U-CHILD": gettext_lazy("age under 18"),
    "U-IMMUNE": gettext_lazy("immunosuppression or intravenous drug use"),
    "U-FRACTURE": gettext_lazy("osteoporosis or long-term corticosteroids"),
    "U-BILATERAL": gettext_lazy("pain radiating into both legs"),
    "S-RADICULAR": gettext_lazy("radicular pain below the knee or numbness in one leg"),
    "S-DURATION": gettext_lazy("pain for three weeks or more"),
    "S-AGE55": gettext_lazy("age over 55 with pain for two weeks or more"),
    "S-PAINKILLERS": gettext_lazy("painkillers needed for more than 8 days"),
    "S-INFLAM": gettext_lazy("signs of inflammatory back pain"),
}
WARNING_PREFIXES = ("E-", "U-", "S-")


@dataclass(frozen=True)
class Measure:
    day: date
    what: str  # "intake", "session", "follow_up"
    pain: int | None
    odi: Decimal | None
    follow_up_number: int = 0


@dataclass(frozen=True)
class ReasonFacts:
    follow_up_number: int | None
    follow_up_day: date | None
    course: str | None
    staff_reason: str
    measures: list[Measure] = field(default_factory=list)
    signs_at_intake: list[str] = field(default_factory=list)
    signs_since: list[str] | None = None
    painkiller_days: int | None = None
    painkillers_still: bool | None = None
    medication: str = ""


def _warning_codes(codes: list[str]) -> list[str]:
    return [code for code in codes if code[:2] in WARNING_PREFIXES]


def _course(follow_up: FollowUp) -> str | None:
    # The follow-up's course; an outcome that is not a course (red_flag) says nothing.
    return (
        follow_up.outcome if follow_up.outcome in ("recovered", "improving", "persistent") else None
    )


def referral_reason(referral: Referral) -> ReasonFacts:
    """The facts the letter's reason is written from."""
    episode = referral.episode
    intake = episode.intake
    follow_up = referral.follow_up
    if follow_up is None or follow_up.answered_at is None:
        follow_up = (
            FollowUp.objects.filter(episode=episode, answered_at__isnull=False)
            .order_by("-answered_at", "-pk")
            .first()
        )
    measures = [Measure(episode.intake_date, "intake", intake.pain_now, intake.odi_percent)]
    sessions = list(TreatmentSession.objects.filter(episode=episode).chronological())
    if sessions:
        last = sessions[-1]
        measures.append(Measure(last.session_date, "session", last.pain_now, last.odi_percent))
    answers = (follow_up.answers or {}) if follow_up else {}
    if follow_up is not None:
        measures.append(
            Measure(
                timezone.localdate(follow_up.answered_at),
                "follow_up",
                follow_up.pain_now,
                follow_up.odi_percent,
                follow_up.number,
            )
        )
    from_follow_up = referral.follow_up_id is not None
    return ReasonFacts(
        follow_up_number=follow_up.number if follow_up else None,
        follow_up_day=timezone.localdate(follow_up.answered_at) if follow_up else None,
        course=_course(follow_up) if follow_up else None,
        # A proposal by the follow-up stores codes for staff; a physiotherapist's own
        # proposal stores their words, which the GP should read.
        staff_reason="" if from_follow_up else referral.reason,
        measures=measures,
        signs_at_intake=_warning_codes(list(intake.reasons)),
        signs_since=_warning_codes(list(follow_up.outcome_reasons)) if follow_up else None,
        painkiller_days=intake.answers.get("painkiller_days"),
        painkillers_still=answers.get("painkillers_still") if follow_up else None,
        medication=intake.medication,
    )


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _signs(codes: list[str]) -> str:
    return ", ".join(str(SIGN_NAMES.get(code, code)) for code in codes)


def _when(measure: Measure) -> str:
    if measure.what == "intake":
        return _("at the intake (%(day)s)") % {"day": _day(measure.day)}
    if measure.what == "session":
        return _("at the last physiotherapy session (%(day)s)") % {"day": _day(measure.day)}
    return _("at follow-up %(number)s (%(day)s)") % {
        "number": measure.follow_up_number,
        "day": _day(measure.day),
    }


def sentences(facts: ReasonFacts) -> list[str]:
    """The reason in plain words, in the active language."""
    out: list[str] = []
    if facts.follow_up_number is not None and facts.follow_up_day is not None:
        week = {1: _("six-week"), 2: _("twelve-week")}.get(facts.follow_up_number)
        at = (
            _("At the %(week)s follow-up on %(day)s")
            % {"week": week, "day": _day(facts.follow_up_day)}
            if week
            else _("At follow-up %(number)s on %(day)s")
            % {"number": facts.follow_up_number, "day": _day(facts.follow_up_day)}
        )
        course = {
            "persistent": _("the back pain had not improved enough since the intake."),
            "improving": _("the back pain was improving but had not gone."),
            "recovered": _("the back pain had almost gone."),
        }.get(facts.course or "", _("the patient reported a new warning sign."))
        out.append(f"{at}, {course}")
    if facts.staff_reason:
        out.append(
            _("Reason given by the physiotherapist: %(reason)s") % {"reason": facts.staff_reason}
        )
    pains = [m for m in facts.measures if m.pain is not None]
    if pains:
        out.append(
            _("Pain (0-10): %(values)s.")
            % {"values": "; ".join(f"{m.pain}/10 {_when(m)}" for m in pains)}
        )
    odis = [m for m in facts.measures if m.odi is not None]
    if odis:
        out.append(
            _("Oswestry disability index: %(values)s.")
            % {"values": "; ".join(f"{m.odi} % {_when(m)}" for m in odis)}
        )
    if facts.signs_at_intake:
        out.append(
            _("Warning signs at the intake: %(signs)s.") % {"signs": _signs(facts.signs_at_intake)}
        )
    else:
        out.append(_("No warning signs at the intake."))
    if facts.signs_since is not None:
        if facts.signs_since:
            out.append(
                _("New or worse since the intake: %(signs)s.")
                % {"signs": _signs(facts.signs_since)}
            )
        else:
            out.append(_("No new or worse warning signs since the intake."))
    if facts.painkiller_days:
        out.append(
            _("Painkillers were needed on %(days)s days before the intake.")
            % {"days": facts.painkiller_days}
        )
    elif facts.painkiller_days == 0:
        out.append(_("No painkillers were needed before the intake."))
    if facts.medication:
        out.append(
            _("Medication at the intake: %(medication)s.") % {"medication": facts.medication}
        )
    if facts.painkillers_still is True:
        out.append(_("At the follow-up, painkillers were still needed."))
    elif facts.painkillers_still is False:
        out.append(_("At the follow-up, painkillers were no longer needed."))
    return out

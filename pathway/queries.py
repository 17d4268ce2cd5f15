"""Questions that read across the feature apps: an episode's follow-ups, referrals and
scores over time, and the caseload's flags.

Kept in one module so the caseload, the episode page and the discharge ask the
other apps the same questions in the same way.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinics.models import Clinic, Practice
from followups.models import FollowUp
from intake.models import Alert, AlertKind, Episode, Patient
from referrals.models import Referral, ReferralState
from treatment.models import TreatmentSession
from treatment.outcomes import FOLLOW_UP, SESSION, Baseline, Measurement, measurements

# The columns the caseload page shows (``only``): not the intake's answers and scores
# (JSON, decoded per row) nor the rest of the patient's record.
CASELOAD_COLUMNS = (
    "patient_id",
    "intake_date",
    "state",
    "physio_id",
    "patient__first_name",
    "patient__last_name",
    "intake__pain_now",
    "intake__start_back_risk",
    "treatment_plan__next_session_on",
    "treatment_plan__planned_sessions",
)
# A referral still under way for the physiotherapist: not yet seen at the pain clinic.
PENDING_REFERRAL_STATES = (
    ReferralState.PROPOSED,
    ReferralState.SENT,
    ReferralState.ACCEPTED,
    ReferralState.BOOKED,
)


def follow_ups_of(episode: Episode) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(episode=episode).order_by("number", "due_at")


def answered_follow_up_scores(
    episode: Episode,
) -> list[tuple[date, str, int | None, Decimal | float | None]]:
    """(day, "follow_up", pain, odi) of each answered follow-up of the episode."""
    answered = (
        FollowUp.objects.filter(episode=episode, answered_at__isnull=False)
        .order_by("answered_at")
        .values_list("answered_at", "pain_now", "odi_percent")
    )
    return [(timezone.localdate(at), FOLLOW_UP, pain, odi) for at, pain, odi in answered]


def referrals_of(episode: Episode) -> QuerySet[Referral]:
    return Referral.objects.filter(episode=episode).select_related("campus").order_by("created_at")


def active_referrals_by_episode(episode_ids: list[int]) -> dict[int, Referral]:
    """{episode id: its active pain-clinic referral}, campus included, in one query (the
    reception patient page shows the booked appointment instead of the episode state)."""
    referrals = (
        Referral.objects.active().filter(episode_id__in=episode_ids).select_related("campus")
    )
    return {referral.episode_id: referral for referral in referrals}


def caseload_flags() -> dict[str, Any]:
    """Annotations for an Episode queryset: the flags the caseload shows."""
    return {
        "has_red_flag_alert": Exists(
            Alert.objects.open().filter(episode=OuterRef("pk"), kind=AlertKind.FOLLOW_UP)
        ),
        "has_open_alert": Exists(Alert.objects.open().filter(episode=OuterRef("pk"))),
        "follow_up_proposes_closing": Exists(
            FollowUp.objects.proposed_for_closing().filter(episode=OuterRef("pk"))
        ),
        "pending_referral_state": Subquery(
            Referral.objects.filter(episode=OuterRef("pk"), state__in=PENDING_REFERRAL_STATES)
            .order_by("-created_at")
            .values("state")[:1]
        ),
    }


def episode_measurements(episode: Episode) -> list[Measurement]:
    """Intake, sessions and answered follow-ups of an episode, with the MIC marks."""
    intake = episode.intake
    baseline = Baseline(
        episode.intake_date,
        intake.pain_now,
        None if intake.odi_percent is None else float(intake.odi_percent),
    )
    later: list[tuple[date, str, int | None, Decimal | float | None]] = [
        (session.session_date, SESSION, session.pain_now, session.odi_percent)
        for session in TreatmentSession.objects.filter(episode=episode).chronological()
    ]
    later.extend(answered_follow_up_scores(episode))
    return measurements(baseline, later)


CASELOAD_ORDER = (F("treatment_plan__next_session_on").asc(nulls_last=True), "intake_date", "id")


def caseload(physio: Any) -> QuerySet[Episode]:
    """The physiotherapist's episodes that are not closed, next session first (plain
    rows: page these, then read the page with ``caseload_rows``)."""
    return Episode.objects.active().filter(physio=physio).order_by(*CASELOAD_ORDER)


def caseload_rows(episodes: QuerySet[Episode]) -> QuerySet[Episode]:
    """The caseload's rows for ``episodes`` (a page of ``caseload``, unevaluated: it
    becomes a subquery, so the subqueries and flags below run for the page's rows only).

    Each row carries its patient, intake and plan, the latest session's pain and date,
    the number of sessions and the flags of ``caseload_flags``.
    """
    sessions = TreatmentSession.objects.filter(episode=OuterRef("pk"))
    latest = sessions.order_by("-session_date", "-id")
    session_count = sessions.order_by().values("episode").annotate(n=Count("id")).values("n")
    return (
        Episode.objects.filter(pk__in=episodes.values("pk"))
        .select_related("patient", "intake", "treatment_plan")
        .only(*CASELOAD_COLUMNS)
        .annotate(
            latest_session_pain=Subquery(latest.values("pain_now")[:1]),
            latest_session_on=Subquery(latest.values("session_date")[:1]),
            session_count=Coalesce(Subquery(session_count), Value(0)),
            **caseload_flags(),
        )
        .order_by(*CASELOAD_ORDER)
    )


# --- who a patient page speaks for -------------------------------------------------------


@dataclass(frozen=True)
class Branding:
    """The name and phone number in a patient page's header."""

    name: str
    phone: str


# Past the physiotherapist's proposal the referral is the pain clinic's business: the
# patient has been told to expect (or to call) that campus.
CAMPUS_BRANDED_STATES = (
    ReferralState.SENT,
    ReferralState.ACCEPTED,
    ReferralState.BOOKED,
    ReferralState.SEEN,
)


def branding_for(patient: Patient | None, episode: Episode | None = None) -> Branding:
    """The pain-clinic campus of the episode's referral once it is sent to a campus;
    otherwise the patient's physiotherapy practice (or the first practice, or the clinic
    when an admin has entered none)."""
    if episode is not None:
        referral = (
            Referral.objects.filter(
                episode=episode, state__in=CAMPUS_BRANDED_STATES, campus__isnull=False
            )
            .select_related("campus__clinic")
            .order_by("-created_at")
            .first()
        )
        if referral is not None and referral.campus is not None:
            return Branding(referral.campus.display_name, referral.campus.phone)
    practice = (
        patient.practice if patient is not None and patient.practice_id else None
    ) or Practice.objects.default()
    if practice is not None:
        return Branding(practice.name, practice.phone)
    clinic = Clinic.objects.current()
    return Branding(clinic.name, clinic.phone)

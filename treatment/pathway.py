"""What treatment reads from the rest of the pathway: follow-ups and referrals.

Kept in one module so the caseload, the episode page and the discharge ask the
other apps the same questions in the same way.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from followups.models import FollowUp
from followups.services import cancel_follow_ups
from intake.models import Alert, AlertKind, Episode
from referrals.models import Referral, ReferralState
from treatment.outcomes import FOLLOW_UP

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


def cancel_pending_follow_ups(episode: Episode, *, by: Any) -> int:
    """Cancel the follow-ups that have not happened yet (the follow-ups app decides which)."""
    return cancel_follow_ups(episode, by=by)


def referrals_of(episode: Episode) -> QuerySet[Referral]:
    return Referral.objects.filter(episode=episode).select_related("campus").order_by("created_at")


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

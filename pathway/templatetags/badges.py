"""One badge table for the whole pathway: triage dispositions, follow-up outcomes and
referral states. Red only for danger, amber for the GP and for a case still in pain,
blue for a referral on its way, grey for what has ended, light for the rest."""

from django import template

from followups.models import Outcome
from intake.models import Disposition
from referrals.models import ReferralState

register = template.Library()

DANGER = "text-bg-danger"
WARNING = "text-bg-warning"
INFO = "text-bg-info"
ENDED = "text-bg-secondary"
NEUTRAL = "text-bg-light border"

BADGES: dict[str, dict[str, str]] = {
    "disposition": {
        Disposition.EMERGENCY: DANGER,
        Disposition.GP_URGENT: WARNING,
        Disposition.GP_SOON: WARNING,
        Disposition.PHYSIO: NEUTRAL,
    },
    "outcome": {
        Outcome.RED_FLAG: DANGER,
        Outcome.PERSISTENT: WARNING,
    },
    "referral": {
        ReferralState.BOOKED: INFO,
        ReferralState.ACCEPTED: INFO,
        ReferralState.CLOSED: ENDED,
        ReferralState.DECLINED: ENDED,
        ReferralState.CANCELLED: ENDED,
    },
}


# An alert raised without a disposition is still a matter for the GP.
DEFAULTS = {"disposition": WARNING, "outcome": NEUTRAL, "referral": NEUTRAL}


def badge(kind: str, value: str) -> str:
    return BADGES[kind].get(value, DEFAULTS[kind])


@register.filter
def disposition_badge(disposition: str) -> str:
    """The badge colour of a triage disposition: red for an emergency, amber for the GP."""
    return badge("disposition", disposition)


@register.filter
def outcome_badge(outcome: str) -> str:
    """The badge colour of a follow-up outcome: red for a red flag, amber when persistent."""
    return badge("outcome", outcome)


@register.filter
def referral_badge(state: str) -> str:
    """The badge colour of a referral state (open states stay light)."""
    return badge("referral", state)


@register.filter
def referral_state_label(state: str) -> str:
    """A referral state in the current language (annotated rows carry only the value)."""
    return str(ReferralState(state).label) if state in ReferralState.values else state

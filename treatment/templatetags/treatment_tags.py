from django import template
from django.utils.translation import gettext_lazy as _

from referrals.models import ReferralState

register = template.Library()

RISK_LABELS = {"low": _("low risk"), "medium": _("medium risk"), "high": _("high risk")}


@register.filter
def risk_label(risk: str) -> str:
    """A STarT Back risk group ("low", "medium", "high") in the current language."""
    return str(RISK_LABELS.get(risk, risk))


@register.filter
def referral_state_label(state: str) -> str:
    return str(ReferralState(state).label) if state in ReferralState.values else state


REFERRAL_BADGES = {
    ReferralState.BOOKED: "text-bg-info",
    ReferralState.ACCEPTED: "text-bg-info",
    ReferralState.CLOSED: "text-bg-secondary",
    ReferralState.DECLINED: "text-bg-secondary",
    ReferralState.CANCELLED: "text-bg-secondary",
}


@register.filter
def referral_badge(state: str) -> str:
    """The badge colour of a referral state (open states stay light)."""
    return REFERRAL_BADGES.get(state, "text-bg-light border")

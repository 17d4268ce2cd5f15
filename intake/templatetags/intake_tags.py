from django import template
from django.utils import translation

from intake import triage

register = template.Library()


@register.filter
def reason_texts(codes: list[str]) -> list[str]:
    """Rule codes -> their reason texts in the current language."""
    language = (translation.get_language() or "nl")[:2]
    return [triage.reason_text(code, language) for code in codes]


DISPOSITION_BADGES = {triage.EMERGENCY: "text-bg-danger", triage.PHYSIO: "text-bg-light border"}


@register.filter
def disposition_badge(disposition: str) -> str:
    """The badge colour of a triage disposition: red for an emergency, amber for the GP."""
    return DISPOSITION_BADGES.get(disposition, "text-bg-warning")

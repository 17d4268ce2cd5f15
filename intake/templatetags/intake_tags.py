from django import template

from clinics.i18n import current_language
from intake import triage
from intake.models import StartBackRisk
from intake.staff_reasons import staff_reason_text

register = template.Library()


@register.filter
def reason_texts(codes: list[str]) -> list[str]:
    """Rule codes -> their reason texts in the current language."""
    language = current_language()
    return [triage.reason_text(code, language) for code in codes]


@register.filter
def staff_reasons(codes: list[str]) -> list[str]:
    """Rule codes -> the findings in staff wording, in the current language."""
    language = current_language()
    return [staff_reason_text(code, language) for code in codes]


@register.filter
def risk_label(risk: str) -> str:
    """A STarT Back risk group ("low", "medium", "high") in the current language."""
    return str(StartBackRisk(risk).label) if risk in StartBackRisk.values else risk

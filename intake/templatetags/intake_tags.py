from django import template

from clinics.i18n import current_language
from intake import advice, odi_text, patient_texts, triage
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


def _signs(language: str | None) -> dict[str, object]:
    return {"signs": advice.warning_signs(language or current_language())}


# The complete warning signs of ``intake.advice``, in ``language`` (default: the current
# one). Every page, printout and e-mail that lists warning signs uses one of these.
@register.inclusion_tag("_warning_signs.html")
def warning_signs(language: str | None = None) -> dict[str, object]:
    return _signs(language)


@register.inclusion_tag("emails/_warning_signs.html")
def warning_signs_email_html(language: str | None = None) -> dict[str, object]:
    return _signs(language)


@register.inclusion_tag("emails/_warning_signs.txt")
def warning_signs_email_text(language: str | None = None) -> dict[str, object]:
    return _signs(language)


@register.inclusion_tag("_odi_text_notice.html")
def odi_text_notice() -> dict[str, object]:
    """Which Oswestry answer texts the page shows (clinical-rules.md section 3)."""
    text = patient_texts.current_odi_text()
    return {"licensed": text.source == odi_text.LICENSED, "name": text.name}

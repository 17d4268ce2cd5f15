from datetime import date

from django import template

register = template.Library()


@register.filter
def isodate(value: object) -> date | None:
    """'2026-12-15' → a date, so that ``|date`` formats it in the active language.

    The outbox keeps its template context as JSON, where dates travel as ISO strings.
    """
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None

"""The one language helper: which of nl/fr/en the current request speaks."""

from django.conf import settings
from django.utils import translation


def current_language() -> str:
    """The active interface language as a two-letter code (Dutch when none is active)."""
    return (translation.get_language() or settings.LANGUAGE_CODE)[:2]

"""The one language helper: which of nl/fr/en the current request speaks."""

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

# Patient pages: the switcher links to the same address with ``?lang=xx``.
LANGUAGE_PARAMETER = "lang"


def current_language() -> str:
    """The active interface language as a two-letter code (Dutch when none is active)."""
    return (translation.get_language() or settings.LANGUAGE_CODE)[:2]


def patient_page_language(request: HttpRequest, own: str) -> str:
    """The language of a patient page: the one the patient picked with the page's
    switcher (``?lang=xx``), else ``own`` (theirs on record).

    The choice travels with the address (the page's form posts back to it) and the token
    in the path stays; no cookie, so a shared tablet does not keep one patient's choice
    for the next."""
    chosen = request.GET.get(LANGUAGE_PARAMETER, "")
    codes = dict(settings.LANGUAGES)
    if chosen in codes:
        return chosen
    return own if own in codes else settings.LANGUAGE_CODE

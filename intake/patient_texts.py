"""Patient texts with what they need from the installation: the patient advice of
``intake.advice`` with the pain clinic's campuses as the admin keeps them, and the
Oswestry answer texts chosen by ``BACKPATH_ODI_TEXT_FILE``."""

import functools
from datetime import date

from django.conf import settings

from clinics.models import Campus
from intake import advice, odi_text


def campus_phones() -> tuple[tuple[str, str], ...]:
    """(name, phone) of each campus, by name; the rules' campuses when none is stored."""
    return tuple(Campus.objects.order_by("name").values_list("name", "phone"))


def advice_for(
    disposition: str, language: str | None, *, strengthening_from: date | None = None
) -> advice.PatientAdvice:
    """``advice.patient_advice`` with the stored campuses."""
    return advice.patient_advice(
        disposition,
        language,
        campuses=campus_phones(),
        strengthening_from=strengthening_from,
    )


@functools.cache
def _odi_text_from(path: str) -> odi_text.OdiText:
    return odi_text.load_file(path) if path else odi_text.PROJECT_TEXT


def current_odi_text() -> odi_text.OdiText:
    """The Oswestry answer texts in use (read once per process; a bad file raises
    ``OdiTextError``, which the system check reports at start-up)."""
    return _odi_text_from(settings.BACKPATH_ODI_TEXT_FILE)


def odi_choices(section: str, language: str) -> list[tuple[str, str]]:
    """The six answers of one Oswestry section: "0 · no pain at the moment" ... "5 · ..."."""
    text = current_odi_text()
    return [
        (str(level), f"{level} · {text.level(section, level, language)}")
        for level in range(odi_text.LEVELS)
    ]

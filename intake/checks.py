"""System check: a clinic's licensed Oswestry text file must be usable before the first
patient sees the questionnaire."""

from typing import Any

from django.conf import settings
from django.core import checks

from intake import odi_text


@checks.register()
def check_odi_text_file(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    path = settings.BACKPATH_ODI_TEXT_FILE
    if not path:
        return []
    try:
        odi_text.load_file(path)
    except odi_text.OdiTextError as exc:
        return [
            checks.Error(
                str(exc),
                hint="Fix the file or unset BACKPATH_ODI_TEXT_FILE (docs/patient-texts.md).",
                id="intake.E001",
            )
        ]
    return []

"""Form pieces every app shares.

A day is typed as dd/mm/yyyy in every browser and every language: ``<input type="date">``
follows the browser's locale (mm/dd/yyyy in an English Chrome) while every page prints
dd/mm/yyyy, and Django's English input formats would read 03/12 as the 12th of March.
"""

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

DAY_FORMAT = "%d/%m/%Y"
# Typed by people (slashes, dashes or dots), and ISO from scripts and old bookmarks.
DAY_INPUT_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
# Browsers compile ``pattern`` with the ``v`` flag: "/" and "-" are escaped in a class.
DAY_PATTERN = r"\d{1,2}[\/.\-]\d{1,2}[\/.\-]\d{4}|\d{4}-\d{2}-\d{2}"


class DayInput(forms.DateInput):
    """A text box for a day, dd/mm/yyyy, with a placeholder and a pattern."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {
            "placeholder": _("dd/mm/yyyy"),
            "pattern": DAY_PATTERN,
            "inputmode": "numeric",
            "autocomplete": "off",
            "size": 10,
            "data-day-input": "",
        }
        super().__init__(attrs={**defaults, **(attrs or {})}, format=DAY_FORMAT)


class DayField(forms.DateField):
    widget = DayInput
    input_formats = DAY_INPUT_FORMATS
    default_error_messages = {"invalid": _("Enter the day as dd/mm/yyyy, e.g. 03/12/2026.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", DAY_INPUT_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, str):
            value = value.strip()
        return super().to_python(value)

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clinics.models import Campus
from dashboards.figures import (
    FIRST_MONTH,
    LAST_MONTH,
    MAX_MONTHS,
    NO_CAMPUS,
    Period,
    parse_month,
)


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-01"})

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError(
                _("Give a month as year-month, from %(first)s to %(last)s, e.g. 2026-03.")
                % {"first": f"{FIRST_MONTH:%Y-%m}", "last": f"{LAST_MONTH:%Y-%m}"}
            )
        return month


class DashboardFilterForm(forms.Form):
    """The period (whole months) and campus of the manager's figures."""

    start = MonthField(label=_("From"), required=False)
    end = MonthField(label=_("To"), required=False)
    campus = forms.ChoiceField(label=_("Campus"), required=False)

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        # Read once: the figures' campus columns use the same list (dashboards.figures).
        self.campuses = list(Campus.objects.order_by("name"))
        self.fields["campus"].choices = [
            ("", _("all campuses")),
            *((campus.code, campus.name) for campus in self.campuses),
            (NO_CAMPUS, _("outside the catchments")),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        current = Period.ending(self.today)
        start, end = data.get("start"), data.get("end")
        if start is None and end is None:
            start, end = current.first, current.last
        elif start is None:
            start = max(Period.ending(end).first, FIRST_MONTH)
        elif end is None:
            end = min(max(start, current.last), LAST_MONTH)
        if end < start:
            self.add_error("end", _("The end month is before the start month."))
            return data
        period = Period(start, end)
        if len(period.months) > MAX_MONTHS:
            self.add_error("start", _("Choose at most %(months)d months.") % {"months": MAX_MONTHS})
            return data
        data["period"] = period
        return data

    def selected_period(self) -> Period:
        if self.is_valid():
            return self.cleaned_data["period"]  # type: ignore[no-any-return]
        return Period.ending(self.today)

    def selected_campus(self) -> str | None:
        if self.is_valid():
            return self.cleaned_data.get("campus") or None
        return None

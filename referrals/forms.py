from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.forms import DayField
from clinics.models import Campus
from referrals import slots
from referrals.models import ReferralState

OPEN = "open"
ALL = "all"


class StateFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[(OPEN, _("to do (sent, accepted, booked)")), (ALL, _("all"))]
        + list(ReferralState.choices),
    )

    def selected(self, default: str = OPEN) -> str:
        if self.is_bound and self.is_valid() and self.cleaned_data["state"]:
            return str(self.cleaned_data["state"])
        return default


class ProposeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for referral"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("This text goes into the letter to the GP."),
    )


class SendForm(forms.Form):
    campus = forms.ModelChoiceField(
        label=_("Campus"),
        queryset=Campus.objects.order_by("name"),
        required=False,
        empty_label=_("keep the proposed campus"),
    )
    campus_change_reason = forms.CharField(
        label=_("Reason for another campus"), required=False, max_length=300
    )

    def __init__(self, *args: Any, current_campus: Campus | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current_campus = current_campus

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        campus = data.get("campus")
        changed = campus is not None and campus != self.current_campus
        if changed and not (data.get("campus_change_reason") or "").strip():
            self.add_error(
                "campus_change_reason", _("Give a reason for sending it to another campus.")
            )
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)


# How far ahead an appointment may be booked (a typo like 9999-12-31 is refused).
BOOK_AHEAD_DAYS = 365


class BookForm(forms.Form):
    """Book or move: a free slot of the week view (``slot``) or a typed date and time."""

    day = DayField(label=_("Date"), required=False)
    at = forms.TimeField(
        label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    place = forms.CharField(
        label=_("Place"),
        max_length=200,
        required=False,
        help_text=_("Empty: the campus address."),
    )
    slot = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("slot"):
            try:
                data["day"], data["at"] = slots.parse_slot(data["slot"])
            except ValueError:
                raise forms.ValidationError(_("This slot does not exist.")) from None
        day, at = data.get("day"), data.get("at")
        if not day and "day" not in self.errors:
            self.add_error("day", _("Choose a free slot, or type the date."))
        if not at and "at" not in self.errors:
            self.add_error("at", _("Choose a free slot, or type the time."))
        if day and day > timezone.localdate() + timedelta(days=BOOK_AHEAD_DAYS):
            self.add_error(
                "day",
                _("Book the appointment within %(days)d days.") % {"days": BOOK_AHEAD_DAYS},
            )
        elif day and at and timezone.make_aware(datetime.combine(day, at)) <= timezone.now():
            self.add_error("day", _("The appointment must be in the future."))
        return data


class RedirectForm(forms.Form):
    campus = forms.ModelChoiceField(label=_("To campus"), queryset=Campus.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args: Any, current_campus: Campus | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = Campus.objects.order_by("name")
        if current_campus is not None:
            others = others.exclude(pk=current_campus.pk)
        self.fields["campus"].queryset = others  # type: ignore[attr-defined]
        if others.count() == 1:
            self.fields["campus"].initial = others.first()


class CapacityForm(forms.ModelForm):
    class Meta:
        model = Campus
        fields = ["weekly_capacity", "accepting_referrals"]

"""The follow-up questionnaire (``clinical-rules.md`` section 4) and reception's call form.

The questions the intake also asks (pain, leg numbness, red flags, Oswestry) reuse the
intake form's fields, so the patient reads the same wording twice.
"""

import copy
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from followups.models import CallResult
from followups.outcome import GLOBAL_CHANGE_CHOICES
from intake import scores
from intake.forms import RED_FLAG_LABELS, IntakeForm, _yes_no, odi_field

GLOBAL_CHANGE_LABELS = {
    "much_better": _("much better"),
    "better": _("better"),
    "same": _("the same"),
    "worse": _("worse"),
    "much_worse": _("much worse"),
}
ODI_FIELDS = tuple(f"odi_{section}" for section in scores.ODI_SECTIONS)


class FollowUpForm(forms.Form):
    """Exactly the follow-up answers: how the back is now, the red-flag questions again,
    and, optionally, the Oswestry sections. ``answers()`` gives ``classify``'s input."""

    use_required_attribute = False

    still_back_pain = _yes_no(_("Do you still have back pain?"))
    pain_now = copy.deepcopy(IntakeForm.base_fields["pain_now"])
    global_change = forms.ChoiceField(
        label=_("Compared with when you first came, how is your back now?"),
        choices=[(key, GLOBAL_CHANGE_LABELS[key]) for key in GLOBAL_CHANGE_CHOICES],
        widget=forms.RadioSelect,
    )
    painkillers_still = _yes_no(_("Do you still need painkillers for your back?"))
    leg_numbness = copy.deepcopy(IntakeForm.base_fields["leg_numbness"])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in RED_FLAG_LABELS.items():
            self.fields[key] = _yes_no(label)
        for section, name in zip(scores.ODI_SECTIONS, ODI_FIELDS, strict=True):
            self.fields[name] = odi_field(section)

    def sections(self) -> list[dict[str, Any]]:
        """The bound fields per part of the questionnaire, for the template."""
        parts = (
            (_("Your back now"), ("still_back_pain", "pain_now", "global_change")),
            (_("Painkillers"), ("painkillers_still",)),
            (_("Warning signs"), ("leg_numbness", *RED_FLAG_LABELS)),
        )
        return [
            {"title": title, "fields": [self[name] for name in names]} for title, names in parts
        ]

    def odi_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ODI_FIELDS]

    def odi_has_answers(self) -> bool:
        return any(self[name].value() not in (None, "") for name in ODI_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        answered = [name for name in ODI_FIELDS if data.get(name) is not None]
        if 0 < len(answered) < scores.ODI_MIN_ANSWERED:
            raise forms.ValidationError(
                _(
                    "Answer at least %(min)d of the 10 daily-life questions, "
                    "or leave them all empty."
                )
                % {"min": scores.ODI_MIN_ANSWERED}
            )
        return data

    def answers(self) -> dict[str, Any]:
        """The section-4 answers document (``age`` is added from the intake)."""
        data = self.cleaned_data
        answers = {
            "still_back_pain": data["still_back_pain"],
            "pain_now": data["pain_now"],
            "global_change": data["global_change"],
            "painkillers_still": data["painkillers_still"],
            "leg_numbness": data["leg_numbness"],
            **{key: data[key] for key in RED_FLAG_LABELS},
        }
        odi = [data.get(name) for name in ODI_FIELDS]
        if any(score is not None for score in odi):
            answers["odi"] = odi
        return answers


class CallForm(forms.Form):
    """Reception phoned a patient on the call list."""

    result = forms.ChoiceField(choices=CallResult.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

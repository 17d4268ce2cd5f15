"""The follow-up questionnaire (``clinical-rules.md`` section 4, rules 2027.1) and
reception's call form.

The warning-sign questions ask only what is **new or worse since the intake date**, and
each question names that date; lifetime facts (cancer, osteoporosis, immunosuppression)
are not asked again, they come from the intake. The erection question is asked only of
patients registered as male. STarT Back is asked again (NICE NG59) with the intake's
wording; the Oswestry sections stay optional.
"""

import copy
from datetime import date
from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from followups.models import CallResult
from followups.outcome import GLOBAL_CHANGE_CHOICES
from intake import scores
from intake.forms import (
    START_BACK_LABELS,
    IntakeForm,
    _yes_no,
    add_start_back_fields,
    asks_erection_question,
    odi_field,
    start_back_items_of,
)

GLOBAL_CHANGE_LABELS = {
    "much_better": _("much better"),
    "better": _("better"),
    "same": _("the same"),
    "worse": _("worse"),
    "much_worse": _("much worse"),
}
ODI_FIELDS = tuple(f"odi_{section}" for section in scores.ODI_SECTIONS)
START_BACK_FIELDS = (*START_BACK_LABELS, "bothersomeness")

# Each names the intake date (``%(date)s``): only what is new or worse since then counts.
NEW_SIGN_LABELS = {
    "saddle_numbness": _(
        "Since %(date)s, has the feeling around your buttocks, anus or genitals changed or"
        " gone, or got worse?"
    ),
    "bladder_bowel": _(
        "Since %(date)s, do you have new or worse trouble passing or holding urine or stool?"
    ),
    "erectile_dysfunction": _(
        "Since %(date)s, do you have new or worse problems getting an erection?"
    ),
    "leg_weakness": _(
        "Since %(date)s, have you lost strength in a foot or leg, even if the pain is less?"
        " For example: you cannot lift your foot, cannot stand on your heels or toes, or your"
        " knee gives way."
    ),
    "fever": _("Since %(date)s, have you had a fever or chills?"),
    "weight_loss": _("Since %(date)s, have you lost weight without knowing why?"),
    "night_pain": _(
        "Since %(date)s, do you have new or worse severe pain at night that does not ease"
        " when you rest?"
    ),
    "unwell": _("Since %(date)s, do you feel ill in general (unwell), or more than before?"),
    "trauma": _("Since %(date)s, have you had a new accident or fall?"),
    "new_cancer_or_steroids": _(
        "Since %(date)s, has a doctor told you that you have cancer, or have you started"
        " taking cortisone (corticosteroids) for a long time?"
    ),
}
GLOBAL_CHANGE_LABEL = _("Compared with your first visit on %(date)s, how is your back now?")
LEG_NUMBNESS_LABEL = _(
    "Since %(date)s, do you have new or worse tingling, burning or numbness in a leg or foot?"
)


class FollowUpForm(forms.Form):
    """The follow-up answers: how the back is now, the warning signs new or worse since
    the intake date, STarT Back again and, optionally, the Oswestry sections.
    ``answers()`` gives ``classify``'s answers, ``start_back_items()`` the STarT Back
    items."""

    use_required_attribute = False

    still_back_pain = _yes_no(_("Do you still have pain in your back or leg?"))
    pain_now = copy.deepcopy(IntakeForm.base_fields["pain_now"])
    global_change = forms.ChoiceField(
        choices=[(key, GLOBAL_CHANGE_LABELS[key]) for key in GLOBAL_CHANGE_CHOICES],
        widget=forms.RadioSelect,
    )
    painkillers_still = _yes_no(_("Do you still need painkillers for your back?"))
    radiation = copy.deepcopy(IntakeForm.base_fields["radiation"])
    leg_numbness = copy.deepcopy(IntakeForm.base_fields["leg_numbness"])

    def __init__(self, *args: Any, intake_date: date, sex: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        day = formats.date_format(intake_date, "j F Y")
        self.intake_date = intake_date
        self.fields["global_change"].label = GLOBAL_CHANGE_LABEL % {"date": day}
        self.fields["radiation"].label = _("How far does the pain spread now?")
        self.fields["leg_numbness"].label = LEG_NUMBNESS_LABEL % {"date": day}
        self.sign_keys = [
            key
            for key in NEW_SIGN_LABELS
            if key != "erectile_dysfunction" or asks_erection_question(sex)
        ]
        for key in self.sign_keys:
            self.fields[key] = _yes_no(NEW_SIGN_LABELS[key] % {"date": day})
        # The labels that name the date, as msgids (for the translation check).
        self.label_msgids = {
            "global_change": GLOBAL_CHANGE_LABEL,
            "leg_numbness": LEG_NUMBNESS_LABEL,
            **{key: NEW_SIGN_LABELS[key] for key in self.sign_keys},
        }
        add_start_back_fields(self)
        for section, name in zip(scores.ODI_SECTIONS, ODI_FIELDS, strict=True):
            self.fields[name] = odi_field(section)

    def sections(self) -> list[dict[str, Any]]:
        """The bound fields per part of the questionnaire, for the template."""
        parts = (
            (_("Your back now"), ("still_back_pain", "pain_now", "global_change", "radiation")),
            (_("Painkillers"), ("painkillers_still",)),
            (_("New or worse since your first visit"), ("leg_numbness", *self.sign_keys)),
            (_("The last two weeks"), START_BACK_FIELDS),
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
        """The section-4 answers document (the context comes from the record)."""
        data = self.cleaned_data
        answers = {
            "still_back_pain": data["still_back_pain"],
            "pain_now": data["pain_now"],
            "global_change": data["global_change"],
            "painkillers_still": data["painkillers_still"],
            "radiation": data["radiation"],
            "leg_numbness": data["leg_numbness"],
            **{key: data[key] for key in self.sign_keys},
        }
        odi = [data.get(name) for name in ODI_FIELDS]
        if any(score is not None for score in odi):
            answers["odi"] = odi
        return answers

    def start_back_items(self) -> list[Any]:
        return start_back_items_of(self.cleaned_data)


CALL_RESULTS = (CallResult.NOT_REACHED, CallResult.DECLINED, CallResult.CONFIRMED)


class CallForm(forms.Form):
    """Reception phoned a patient on the call list. "Reached" means the answers were
    taken by phone (the phone-answers page) or the patient declined, with the reason;
    answers to confirm (contradictory answers) can be confirmed."""

    result = forms.ChoiceField(choices=[(value, CallResult(value).label) for value in CALL_RESULTS])
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("result") == CallResult.DECLINED and not data.get("note", "").strip():
            self.add_error("note", _("Write down why the patient declined."))
        return data

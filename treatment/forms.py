from datetime import date, timedelta
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.forms import DayField
from clinics.i18n import current_language
from intake import scores
from intake.forms import odi_field
from intake.models import Episode
from treatment.models import (
    Adherence,
    Approach,
    DischargeOutcome,
    Exercise,
    PrescribedExercise,
    rule_strengthening_from,
    strengthening_too_early_message,
)
from treatment.services import Goal

# How far ahead a next session may be planned.
SCHEDULE_AHEAD_DAYS = 365


class _CrispyForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ExerciseChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Exercise) -> str:  # type: ignore[override]
        language = current_language()
        return f"{obj.name_in(language)} · {obj.get_kind_display()} · {obj.dosage_in(language)}"


class PlanForm(_CrispyForm):
    approach = forms.ChoiceField(
        label=_("Approach"),
        choices=Approach.choices,
        widget=forms.RadioSelect,
        help_text=_("Preselected from the STarT Back risk group of the intake."),
    )
    sessions_per_week = forms.IntegerField(label=_("Sessions per week"), min_value=1, max_value=7)
    planned_sessions = forms.IntegerField(
        label=_("Planned number of sessions"), min_value=1, max_value=60
    )
    next_session_on = DayField(label=_("Next session"), required=False)
    exercises = ExerciseChoiceField(
        label=_("Prescribed exercises"),
        queryset=Exercise.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    strengthening_from_override = DayField(
        label=_("Allow strengthening from (this patient only)"),
        required=False,
        help_text=_("Leave empty to follow the week-6 rule."),
    )
    strengthening_override_reason = forms.CharField(
        label=_("Reason for the other date"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the patient's history."),
    )

    def __init__(self, *args: Any, episode: Episode, today: date | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.episode = episode
        self.today = today or timezone.localdate()
        self.rule_strengthening_from = rule_strengthening_from(episode)
        self.strengthening_from = (
            self.initial.get("strengthening_from_override") or self.rule_strengthening_from
        )
        self.fields["strengthening_from_override"].help_text = _(
            "Leave empty to follow the week-6 rule: from %(date)s, six weeks after the start"
            " of the pain."
        ) % {"date": self.rule_strengthening_from.strftime("%d/%m/%Y")}
        queryset = Exercise.objects.active()
        current = self.initial.get("exercises")
        if current:
            # An exercise made inactive later stays visible on the plan that has it.
            queryset = Exercise.objects.filter(pk__in=[e.pk for e in current]) | queryset
        self.fields["exercises"].queryset = queryset.distinct()
        if self.today < self.strengthening_from:
            self.fields["exercises"].help_text = strengthening_too_early_message(
                self.strengthening_from
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        override = data.get("strengthening_from_override")
        reason = (data.get("strengthening_override_reason") or "").strip()
        if override is not None and not reason:
            self.add_error(
                "strengthening_override_reason",
                _("Write why this patient may start strengthening on another date."),
            )
            return data
        if override is None and "strengthening_from_override" not in self.errors:
            data["strengthening_override_reason"] = ""
        if "exercises" in data and "strengthening_from_override" not in self.errors:
            earliest = override or self.rule_strengthening_from
            already = {e.pk for e in self.initial.get("exercises") or []}
            too_early = [
                e
                for e in data["exercises"]
                if e.pk not in already and not e.prescribable_on(self.today, earliest)
            ]
            if too_early:
                self.add_error(
                    "exercises",
                    forms.ValidationError(
                        strengthening_too_early_message(earliest), code="strengthening_too_early"
                    ),
                )
        return data

    def clean_next_session_on(self) -> date | None:
        day: date | None = self.cleaned_data["next_session_on"]
        if day is not None and day < self.episode.intake_date:
            raise forms.ValidationError(_("The next session cannot be before the intake date."))
        return _not_too_far_ahead(day)


def _not_too_far_ahead(day: date | None) -> date | None:
    """A next session is planned within ``SCHEDULE_AHEAD_DAYS`` (a typo like 9999 is not)."""
    if day is not None and day > timezone.localdate() + timedelta(days=SCHEDULE_AHEAD_DAYS):
        raise forms.ValidationError(
            _("Plan the next session within %(days)d days.") % {"days": SCHEDULE_AHEAD_DAYS},
            code="too_far_ahead",
        )
    return day


class GoalForm(forms.Form):
    description = forms.CharField(label=_("Goal"), max_length=300, required=False)
    target_date = DayField(label=_("Target date"), required=False)
    achieved = forms.BooleanField(label=_("Achieved"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        description = data.get("description")
        target = data.get("target_date")
        if description and target is None and "target_date" not in self.errors:
            self.add_error("target_date", _("Give the date by which the goal should be reached."))
        if target is not None and not description:
            self.add_error("description", _("Describe the goal."))
        return data

    def goal(self) -> Goal | None:
        data = self.cleaned_data
        if not data.get("description"):
            return None
        return Goal(data["description"], data["target_date"], data.get("achieved", False))


class _BaseGoalFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not self.goals():
            raise forms.ValidationError(_("Write at least one goal."), code="no_goal")

    def goals(self) -> list[Goal]:
        return [goal for form in self.forms if (goal := form.goal()) is not None]


GoalFormSet = forms.formset_factory(GoalForm, formset=_BaseGoalFormSet, extra=2, max_num=10)


class SessionForm(_CrispyForm):
    session_date = DayField(label=_("Session date"))
    pain_now = forms.IntegerField(label=_("Pain now (0-10)"), min_value=0, max_value=10)
    odi_percent = forms.DecimalField(
        label=_("Oswestry disability index (%)"),
        required=False,
        min_value=0,
        max_value=100,
        max_digits=4,
        decimal_places=1,
        help_text=_("Type the percentage, or score the 10 sections below."),
    )
    work_done = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))
    adherence = forms.ChoiceField(
        label=_("Exercise adherence"),
        choices=Adherence.choices,
        required=False,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_session_on = DayField(label=_("Next session"), required=False)

    def __init__(self, *args: Any, episode: Episode, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.episode = episode
        # Adherence follows the plan: with exercises prescribed, a blank answer means
        # "not asked", not "no exercises prescribed".
        prescribed = PrescribedExercise.objects.filter(plan__episode=episode).exists()
        blank = _("not asked this session") if prescribed else _("no exercises prescribed")
        self.fields["adherence"].choices = [("", blank), *Adherence.choices]
        for name in scores.ODI_SECTIONS:
            self.fields[f"odi_{name}"] = odi_field(name, radio=False)

    @property
    def odi_section_fields(self) -> list[forms.BoundField]:
        return [self[f"odi_{name}"] for name in scores.ODI_SECTIONS]

    def odi_sections(self) -> list[int | None] | None:
        values = [self.cleaned_data.get(f"odi_{name}") for name in scores.ODI_SECTIONS]
        return values if any(v is not None for v in values) else None

    def clean_next_session_on(self) -> date | None:
        return _not_too_far_ahead(self.cleaned_data["next_session_on"])

    def clean_session_date(self) -> date:
        day: date = self.cleaned_data["session_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A session cannot be in the future."))
        if day < self.episode.intake_date:
            raise forms.ValidationError(_("A session cannot be before the intake date."))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sections = self.odi_sections()
        if sections is not None:
            if data.get("odi_percent") is not None:
                self.add_error(
                    "odi_percent",
                    _("Give either the percentage or the section scores, not both."),
                )
            elif scores.oswestry(sections) is None:
                self.add_error(
                    "odi_percent",
                    _("Score at least %(count)d of the 10 sections to get an ODI.")
                    % {"count": scores.ODI_MIN_ANSWERED},
                )
        day = data.get("session_date")
        next_day = data.get("next_session_on")
        if day and next_day and next_day <= day:
            self.add_error("next_session_on", _("The next session must be after this one."))
        return data


class DischargeForm(_CrispyForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=DischargeOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note for the discharge summary"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    cancel_follow_up_reason = forms.CharField(
        label=_("Cancel the pending follow-up because…"),
        help_text=_(
            "Leave empty to keep the follow-up: it is the patient's safety net after"
            " discharge. A referred patient's follow-up is cancelled anyway."
        ),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

import functools
from datetime import date, timedelta
from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.be import bis, nn

from clinics.forms import DayField
from clinics.i18n import current_language
from clinics.models import Practice
from intake import scores, triage
from intake.models import AlertQuerySet, Disposition, Patient, Sex, StaffAction
from intake.patient_texts import odi_choices
from intake.postcodes import is_valid_postcode

YES_NO = ((True, _("yes")), (False, _("no")))
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

INSZ_ERRORS = {
    stdnum_errors.InvalidLength: _("A national number has 11 digits."),
    stdnum_errors.InvalidFormat: _("A national number contains only digits."),
    stdnum_errors.InvalidChecksum: _(
        "The check digits (the last two) do not match: please check for a typing error."
    ),
    stdnum_errors.InvalidComponent: _("The first six digits are not a valid birth date."),
}


def validate_insz(value: str) -> str:
    """Return the compact 11-digit INSZ, or raise ValidationError saying which check failed.

    Both national register numbers and BIS numbers (for people not in the
    national register) are accepted.
    """
    compact = nn.compact(value)
    try:
        return str(nn.validate(compact))
    except stdnum_errors.ValidationError as nn_error:
        try:
            return str(bis.validate(compact))
        except stdnum_errors.ValidationError:
            pass
        for error_type, message in INSZ_ERRORS.items():
            if isinstance(nn_error, error_type):
                raise forms.ValidationError(message, code="insz") from nn_error
        raise forms.ValidationError(
            _("This is not a valid national number."), code="insz"
        ) from None


def insz_birth_date(insz: str):  # type: ignore[no-untyped-def]
    module = nn if nn.is_valid(insz) else bis
    try:
        return module.get_birth_date(insz)
    except stdnum_errors.ValidationError:
        return None


class PatientForm(forms.ModelForm):
    # Wider than the stored 11 digits: reception may type dots, dashes and spaces.
    insz = forms.CharField(
        label=_("national number (INSZ/NISS)"),
        required=False,
        max_length=20,
        help_text=_("11 digits, dots and dashes allowed. Leave empty only with a reason below."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    confirm_new = forms.BooleanField(
        label=_("This is a different person: register a new patient anyway"), required=False
    )

    class Meta:
        model = Patient
        field_classes = {"birth_date": DayField}
        fields = [
            "insz",
            "no_insz_reason",
            "last_name",
            "first_name",
            "birth_date",
            "sex",
            "language",
            "email",
            "phone",
            "postcode",
            "gp_name",
            "gp_practice",
            "gp_email",
            "gp_unknown",
            "practice",
            "email_consent",
            "campus_preference",
        ]
        widgets = {
            "postcode": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 4}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }
        help_texts = {
            "no_insz_reason": _("For example: foreign patient without a Belgian number."),
            "email_consent": _(
                "The patient agrees to receive the follow-up questionnaire by e-mail."
            ),
            "phone": _("Mobile number; a Belgian number may start with 04."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.duplicates: list[Patient] = []
        # No default sex: reception chooses, a blank "choose" option stays first.
        self.fields["sex"].choices = [("", _("choose…")), *self.fields["sex"].choices[1:]]
        self.fields["campus_preference"].empty_label = _("no preference")
        practice = self.fields["practice"]
        practice.empty_label = None
        practice.required = practice.queryset.exists()  # type: ignore[attr-defined]
        if not self.instance.pk and practice.required:
            practice.initial = Practice.objects.default()
        if self.instance.pk:
            del self.fields["confirm_new"]
            if self.instance.insz and not self.is_bound:
                self.initial["insz"] = self.instance.insz_display

    def clean_insz(self) -> str | None:
        value = self.cleaned_data.get("insz") or ""
        if not value.strip():
            return None
        insz = validate_insz(value)
        existing = Patient.objects.filter(insz=insz).exclude(pk=self.instance.pk).first()
        if existing is not None:
            self.duplicates = [existing]
            raise forms.ValidationError(
                _("A patient with this national number is already registered."), code="unique"
            )
        return insz

    def clean_birth_date(self) -> date:
        """From 1900 to today: a later intake works the age out from it, and an age
        outside 0-120 is not a patient (clinical-rules.md section 1)."""
        day: date = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if not EARLIEST_BIRTH_DATE <= day <= today:
            raise forms.ValidationError(
                _("Give a birth date from %(first)s to today.")
                % {"first": EARLIEST_BIRTH_DATE.strftime("%d/%m/%Y")},
                code="out_of_range",
            )
        return day

    def clean_phone(self) -> str:
        value = self.cleaned_data.get("phone", "").strip()
        if not value:
            return ""
        try:
            number = phonenumbers.parse(value, "BE")
        except phonenumbers.NumberParseException:
            raise forms.ValidationError(_("This is not a phone number.")) from None
        if not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(_("This phone number is not valid."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def clean_postcode(self) -> str:
        value = self.cleaned_data.get("postcode", "").strip()
        if not is_valid_postcode(value):
            raise forms.ValidationError(_("This is not a Belgian postcode."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        insz = data.get("insz")
        birth_date = data.get("birth_date")
        if not insz and "insz" not in self.errors and not data.get("no_insz_reason", "").strip():
            self.add_error(
                "no_insz_reason", _("Give the national number, or say why there is none.")
            )
        if insz and birth_date:
            expected = insz_birth_date(insz)
            if expected is not None and expected != birth_date:
                self.add_error(
                    "birth_date",
                    _("The birth date does not match the national number (%(date)s).")
                    % {"date": expected.strftime("%d/%m/%Y")},
                )
        if data.get("gp_unknown") and data.get("gp_name", "").strip():
            self.add_error("gp_unknown", _("Either name the GP or mark them unknown, not both."))
        if data.get("email_consent") and not data.get("email"):
            self.add_error("email", _("An e-mail address is needed for e-mail follow-up."))
        if (
            not self.instance.pk
            and not self.errors
            and data.get("last_name")
            and birth_date
            and not data.get("confirm_new")
        ):
            self.duplicates = list(
                Patient.objects.near_duplicates(data["last_name"], birth_date)[:5]
            )
            if self.duplicates:
                raise forms.ValidationError(
                    _(
                        "A patient with the same last name and birth date already exists. "
                        "Open the existing record, or confirm this is a different person."
                    ),
                    code="near_duplicate",
                )
        return data


class GpForm(forms.ModelForm):
    """The patient's GP, recorded where a referral letter needs it: named, or unknown."""

    class Meta:
        model = Patient
        fields = ["gp_name", "gp_practice", "gp_email", "gp_unknown"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        named = bool(data.get("gp_name", "").strip())
        if named and data.get("gp_unknown"):
            self.add_error("gp_unknown", _("Either name the GP or mark them unknown, not both."))
        elif not named and not data.get("gp_unknown"):
            self.add_error("gp_name", _('Name the GP, or tick "GP unknown".'))
        return data


class AlertFilterForm(forms.Form):
    """The reception alert list's filters (GET). Unbound or invalid: the open alerts."""

    OPEN, ALL = "open", "all"
    status = forms.ChoiceField(
        label=_("Show"),
        choices=[(OPEN, _("not yet acknowledged")), (ALL, _("acknowledged too"))],
        required=False,
    )
    today = forms.BooleanField(label=_("raised today"), required=False)
    disposition = forms.ChoiceField(
        label=_("Result"),
        choices=[
            ("", _("every result")),
            *[c for c in Disposition.choices if c[0] != Disposition.PHYSIO],
        ],
        required=False,
    )

    def _data(self) -> dict[str, Any]:
        return self.cleaned_data if self.is_bound and self.is_valid() else {}

    def shows_all_open(self) -> bool:
        """Every open alert and nothing else: the list's count is the open count."""
        data = self._data()
        return (
            data.get("status") != self.ALL and not data.get("today") and not data.get("disposition")
        )

    def alerts(self, alerts: AlertQuerySet, today: date) -> AlertQuerySet:
        data = self._data()
        if data.get("status") != self.ALL:
            alerts = alerts.open()
        if data.get("today"):
            alerts = alerts.raised_on(today)
        if data.get("disposition"):
            alerts = alerts.filter(disposition=data["disposition"])
        return alerts.most_urgent_first()


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find a patient"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("National number, name, or birth date (dd/mm/yyyy)"),
                "class": "form-control",
                "autofocus": True,
                "type": "search",
            }
        ),
    )


def _yes_no(label: str) -> forms.TypedChoiceField:
    """A required yes/no question: no default, so a skipped red flag is an error, not a 'no'."""
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value in (True, "True"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Answer yes or no.")},
    )


# The warning-sign questions of the intake, in the patient's words (second person).
RED_FLAG_LABELS = {
    "leg_weakness": _(
        "Have you lost strength in a foot or leg, even if the pain is less? For example: you"
        " cannot lift your foot, cannot stand on your heels or toes, or your knee gives way."
    ),
    "saddle_numbness": _(
        "Has the feeling around your buttocks, anus or genitals changed or gone (numb)?"
    ),
    "bladder_bowel": _("Do you have new trouble passing or holding urine or stool?"),
    "erectile_dysfunction": _("Do you have new problems getting an erection?"),
    "trauma": _("Did the pain start after an accident or a fall?"),
    "fever": _("Do you have a fever or chills?"),
    "weight_loss": _("Have you lost weight without knowing why?"),
    "cancer_history": _("Have you ever had cancer?"),
    "night_pain": _("Do you have severe pain at night that does not ease when you rest?"),
    "unwell": _("Do you feel ill in general (unwell)?"),
    "immunosuppressed": _(
        "Is your body's defence against infection weakened (by an illness or medicines), or"
        " do you inject drugs?"
    ),
    "osteoporosis_or_steroids": _(
        "Do you have thin bones (osteoporosis), or have you taken cortisone"
        " (corticosteroids) for a long time?"
    ),
    "inflammatory_signs": _(
        "Is your back stiff for more than half an hour in the morning, does that ease when"
        " you move, and did your back pain begin before you were 45?"
    ),
}


def asks_erection_question(sex: str) -> bool:
    """The erection question is asked only of patients registered as male."""
    return sex == Sex.MALE


START_BACK_LABELS = {
    "leg_pain": _("My back pain has spread down my leg(s) at some time in the last 2 weeks."),
    "shoulder_neck_pain": _(
        "I have had pain in the shoulder or neck at some time in the last 2 weeks."
    ),
    "walked_short_distances": _("I have only walked short distances because of my back pain."),
    "dressed_slowly": _(
        "In the last 2 weeks, I have dressed more slowly than usual because of back pain."
    ),
    "not_safe_to_be_active": _(
        "It's not really safe for a person with a condition like mine to be physically active."
    ),
    "worrying_thoughts": _("Worrying thoughts have been going through my mind a lot of the time."),
    "pain_terrible": _(
        "I feel that my back pain is terrible and it's never going to get any better."
    ),
    "not_enjoyed_things": _("In general I have not enjoyed all the things I used to enjoy."),
}
AGREE = (("1", _("agree")), ("0", _("disagree")))
BOTHERSOMENESS_LABELS = {
    "not_at_all": _("not at all"),
    "slightly": _("slightly"),
    "moderately": _("moderately"),
    "very_much": _("very much"),
    "extremely": _("extremely"),
}

ODI_LABELS = {
    "pain_intensity": _("Pain intensity"),
    "personal_care": _("Personal care (washing, dressing)"),
    "lifting": _("Lifting"),
    "walking": _("Walking"),
    "sitting": _("Sitting"),
    "standing": _("Standing"),
    "sleeping": _("Sleeping"),
    "sex_life": _("Sex life (if applicable)"),
    "social_life": _("Social life"),
    "travelling": _("Travelling"),
}


def odi_field(section: str, *, radio: bool = True) -> forms.TypedChoiceField:
    """One Oswestry section (0-5, may be left out): the same field on the intake, the
    follow-up questionnaire and the session form (a select there: "—" for not asked).
    Each level shows its answer text in the current language (``odi_choices``)."""
    choices = odi_choices(section, current_language())
    return forms.TypedChoiceField(
        label=ODI_LABELS[section],
        choices=choices if radio else [("", "—"), *choices],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect if radio else forms.Select,
    )


# The steps of the intake form, in order: (title, field names).
STEP_COMPLAINT = (
    "duration_days",
    "pain_now",
    "seen_by_doctor",
    "radiation",
    "leg_numbness",
    "painkiller_days",
    "medication",
)
STEP_RED_FLAGS = tuple(RED_FLAG_LABELS)
STEP_START_BACK = (*START_BACK_LABELS, "bothersomeness")
STEP_ODI = tuple(f"odi_{section}" for section in scores.ODI_SECTIONS)
ODI_TOO_FEW = "odi_too_few"
NOT_AN_EMERGENCY = "not_an_emergency"
# In "save now" (an emergency at the desk) only these must be answered: the triage needs
# them. Every other answer given is kept; the scores may be completed later.
EMERGENCY_REQUIRED = ("duration_days", "pain_now")
# The triage input of a patient with no complaint worth a rule: one answer changed from
# it shows whether that answer alone is an emergency.
_QUIET_ANSWERS = {"age": 40, "duration_days": 0, "pain_now": 0, "seen_by_doctor": True}


def add_start_back_fields(form: forms.Form) -> None:
    """The nine STarT Back questions (intake and every follow-up)."""
    for key, label in START_BACK_LABELS.items():
        form.fields[key] = forms.ChoiceField(
            label=label,
            choices=AGREE,
            widget=forms.RadioSelect,
            error_messages={"required": _("Choose agree or disagree.")},
        )
    form.fields["bothersomeness"] = forms.ChoiceField(
        label=_("Overall, how bothersome has your back pain been in the last 2 weeks?"),
        choices=[(key, BOTHERSOMENESS_LABELS[key]) for key in scores.BOTHERSOMENESS_CHOICES],
        widget=forms.RadioSelect,
    )


def start_back_items_of(cleaned_data: dict[str, Any]) -> list[Any]:
    items: list[Any] = [int(cleaned_data[key]) for key in START_BACK_LABELS]
    return [*items, cleaned_data["bothersomeness"]]


class IntakeForm(forms.Form):
    """The intake questionnaire: the section-1 answers (age comes from the patient),
    STarT Back and Oswestry. One form, shown as steps; every answer is kept on error.
    ``sex`` is the patient's registered sex: only men are asked about erections."""

    # The server validates every step; browser "required" checks would block a
    # submit on a hidden step.
    use_required_attribute = False

    duration_days = forms.IntegerField(
        label=_("How many days ago did this bout of back pain start?"),
        min_value=0,
        max_value=36500,
    )
    pain_now = forms.TypedChoiceField(
        label=_(
            "How bad is your pain now, from 0 (no pain) to 10 (the worst pain you can"
            " imagine)? Take the worse of your back pain and your leg pain."
        ),
        choices=[(str(n), str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    seen_by_doctor = _yes_no(_("Has a doctor already examined you for this back pain?"))
    radiation = forms.ChoiceField(
        label=_("How far does the pain spread?"),
        choices=(
            ("none", _("not into the leg")),
            ("buttock_thigh", _("into the buttock or thigh")),
            ("below_knee", _("below the knee")),
            ("both_legs", _("into both legs")),
        ),
        widget=forms.RadioSelect,
    )
    leg_numbness = forms.ChoiceField(
        label=_("Do you have tingling, burning or numbness in a leg or foot?"),
        choices=(
            ("none", _("no")),
            ("one_leg", _("in one leg")),
            ("both_legs", _("in both legs")),
        ),
        widget=forms.RadioSelect,
    )
    painkiller_days = forms.IntegerField(
        label=_("On how many days have you needed painkillers for this back pain so far?"),
        min_value=0,
        max_value=36500,
        initial=0,
    )
    medication = forms.CharField(
        label=_("Which medicines do you take for your back pain?"), required=False, max_length=300
    )

    def __init__(self, *args: Any, sex: str, emergency: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.emergency = emergency
        for key, label in RED_FLAG_LABELS.items():
            if key != "erectile_dysfunction" or asks_erection_question(sex):
                self.fields[key] = _yes_no(label)
        add_start_back_fields(self)
        for section in scores.ODI_SECTIONS:
            self.fields[f"odi_{section}"] = odi_field(section)
        if emergency:
            for name, field in self.fields.items():
                field.required = name in EMERGENCY_REQUIRED

    def steps(self) -> list[dict[str, Any]]:
        """The bound fields per step, for the template."""
        titles = (
            (_("The complaint"), STEP_COMPLAINT),
            (_("Warning signs"), STEP_RED_FLAGS),
            (_("STarT Back"), STEP_START_BACK),
            (_("Oswestry: how the pain affects daily life"), STEP_ODI),
        )
        return [
            {
                "number": number,
                "title": title,
                "fields": [self[name] for name in names if name in self.fields],
                "is_oswestry": names is STEP_ODI,
                "has_errors": any(self[name].errors for name in names if name in self.fields)
                # Too few Oswestry sections is a form-wide error, but its step must open.
                or (names is STEP_ODI and self.has_error(NON_FIELD_ERRORS, ODI_TOO_FEW)),
            }
            for number, (title, names) in enumerate(titles, start=1)
            # A step is shown when it asks anything: the erection question is asked of
            # men only, and the scores form has no complaint or warning-sign steps.
            if any(name in self.fields for name in names)
        ]

    def questionnaire_fields(self) -> dict[str, Any]:
        """The section-1 answers; in an emergency save only those given (the rest take
        the triage defaults and are not stored as answers)."""
        fields = {
            key: self.cleaned_data[key]
            for key in (*STEP_COMPLAINT, *STEP_RED_FLAGS)
            if key in self.fields
        }
        if self.emergency:
            fields = {key: value for key, value in fields.items() if value not in (None, "")}
        return fields

    def start_back_items(self) -> list[Any] | None:
        """The nine answers; None in an emergency save unless all nine were given."""
        keys = (*START_BACK_LABELS, "bothersomeness")
        if any(self.cleaned_data.get(key) in (None, "") for key in keys):
            return None
        items: list[Any] = [int(self.cleaned_data[key]) for key in START_BACK_LABELS]
        return [*items, self.cleaned_data["bothersomeness"]]

    def odi_sections(self) -> list[int | None] | None:
        """The ten sections; None in an emergency save when none was answered."""
        sections = [self.cleaned_data[f"odi_{section}"] for section in scores.ODI_SECTIONS]
        if self.emergency and all(score is None for score in sections):
            return None
        return sections

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        days, pills = data.get("duration_days"), data.get("painkiller_days")
        if days is not None and pills is not None and pills > days:
            self.add_error(
                "painkiller_days",
                _("This is more than the %(days)d days the back pain has lasted.") % {"days": days},
            )
        if self.emergency:
            return self._clean_emergency(data)
        answered = [
            data.get(f"odi_{s}") for s in scores.ODI_SECTIONS if data.get(f"odi_{s}") is not None
        ]
        if 0 < len(answered) < scores.ODI_MIN_ANSWERED:
            raise forms.ValidationError(
                _(
                    "Answer at least %(min)d of the 10 Oswestry sections for a score, "
                    "or leave them all empty."
                )
                % {"min": scores.ODI_MIN_ANSWERED},
                code=ODI_TOO_FEW,
            )
        return data

    def _clean_emergency(self, data: dict[str, Any]) -> dict[str, Any]:
        """Save now only when the answers given are an emergency by themselves."""
        if self.errors:
            return data
        answers = {**_QUIET_ANSWERS, **self.questionnaire_fields()}
        answers.pop("medication", None)
        try:
            result = triage.triage(answers)
        except ValueError:
            return data  # the full save reports the bad answer next to its field
        if result.disposition != Disposition.EMERGENCY:
            raise forms.ValidationError(
                _(
                    "“Save now” is for an emergency, and the answers given are not one. "
                    "Complete the questionnaire and save it."
                ),
                code=NOT_AN_EMERGENCY,
            )
        return data


@functools.cache
def emergency_answers() -> dict[str, list[str]]:
    """{field: the form values that alone make the intake an EMERGENCY}, worked out from
    the triage rules themselves, for the page that shows the banner at once."""
    found: dict[str, list[str]] = {}
    form = IntakeForm(sex=Sex.MALE)  # every question, the erection one too
    for name in (*STEP_COMPLAINT, *STEP_RED_FLAGS):
        choices = getattr(form.fields[name], "choices", None)
        if not choices or name in _QUIET_ANSWERS:
            continue
        for value, _label in choices:
            answer = value if isinstance(value, str) else bool(value)
            try:
                result = triage.triage({**_QUIET_ANSWERS, name: answer})
            except ValueError:
                continue
            if result.disposition == Disposition.EMERGENCY:
                found.setdefault(name, []).append(str(value))
    return found


class ScoresForm(IntakeForm):
    """STarT Back and Oswestry, to complete an intake saved in an emergency."""

    def __init__(self, *args: Any, sex: str = "", **kwargs: Any) -> None:
        super().__init__(*args, sex=sex, **kwargs)
        for name in (*STEP_COMPLAINT, *STEP_RED_FLAGS):
            self.fields.pop(name, None)


class AlertActionForm(forms.Form):
    """What staff did about an emergency or GP alert, and when."""

    action = forms.ChoiceField(
        label=_("What was done"), choices=StaffAction.choices, widget=forms.RadioSelect
    )
    done_at = forms.DateTimeField(
        label=_("When"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=_("Note (optional)"), max_length=300, required=False)

    def clean_done_at(self) -> Any:
        value = self.cleaned_data["done_at"]
        if value > timezone.now() + timedelta(minutes=1):
            raise forms.ValidationError(_("This time is in the future."))
        return value


class KioskPinForm(forms.Form):
    pin = forms.CharField(
        label=_("Code from reception"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "class": "form-control form-control-lg bp-kiosk-pin",
            }
        ),
    )

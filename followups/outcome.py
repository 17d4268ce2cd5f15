"""Follow-up outcome, rule version 2027.1 (``clinical-rules.md`` sections 4 and 6).

``classify(answers, context, follow_up_number)`` validates the follow-up answers and the
context the caller fills in from the record, then:

- **step A** always works out the course of the complaint (``recovered``, ``persistent``
  or ``improving``, first match wins), even when a warning sign is found;
- **step B** checks the warning signs: only what is *new or worse since the intake*
  (the questionnaire names the intake date), plus the lifetime facts the intake recorded
  (cancer, osteoporosis or steroids, immunosuppression), which are never asked again;
- **step C** gives the outcome: ``red_flag`` when any E- or U-code matched, otherwise
  the course; the disposition is the most urgent one matched, or None. S-codes never
  change the state.

Reasons: the step-B codes in table order, then the course codes: ``CHECK-ANSWERS``
(no back pain ticked but pain 3 or more: read as pain present, staff confirm by phone),
``PAIN-MIC`` (the pain improved by the minimal important change since the intake), then
the code(s) saying why the course was chosen (``COURSE_CODES``).

Pure module: no Django, stdlib only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from intake.scores import odi_mic_reached, oswestry, pain_mic_reached, validate_odi_sections
from intake.triage import (
    AGE,
    BOOLEAN,
    DISPOSITIONS,
    EMERGENCY,
    GP_SOON,
    GP_URGENT,
    LEG_NUMBNESS_CHOICES,
    NON_FIELD_ERRORS,
    PAIN_SCORE,
    RADIATION_CHOICES,
    AnswersError,
    Check,
    Choice,
    Nullable,
    validate_mapping,
)

RULE_VERSION: Final = "2027.1"

RECOVERED: Final = "recovered"
IMPROVING: Final = "improving"
PERSISTENT: Final = "persistent"
RED_FLAG: Final = "red_flag"
COURSES: Final[tuple[str, ...]] = (RECOVERED, IMPROVING, PERSISTENT)
OUTCOME_STATES: Final[tuple[str, ...]] = (RECOVERED, IMPROVING, PERSISTENT, RED_FLAG)

GLOBAL_CHANGE_CHOICES: Final[tuple[str, ...]] = (
    "much_better",
    "better",
    "same",
    "worse",
    "much_worse",
)
BETTER: Final = frozenset({"much_better", "better"})
WORSE: Final = frozenset({"worse", "much_worse"})

RECOVERED_MAX_PAIN: Final = 2
RECOVERED_MAX_ODI: Final = 20.0
SAME_MIN_PAIN: Final = 3
PERSISTENT_MIN_PAIN: Final = 4
PERSISTENT_MIN_ODI: Final = 30.0
STALLED_MIN_PAIN: Final = 3
CONTRADICTION_MIN_PAIN: Final = 3
FRACTURE_PAIN_RISE: Final = 2
ADULT_AGE: Final = 18

# The warning signs asked as "new or worse since the intake date" (section 4).
NEW_SIGN_KEYS: Final[tuple[str, ...]] = (
    "saddle_numbness",
    "bladder_bowel",
    "erectile_dysfunction",
    "leg_weakness",
    "fever",
    "weight_loss",
    "night_pain",
    "unwell",
    "trauma",
)

# Course codes (step A), in the order they are listed after the step-B codes.
CHECK_ANSWERS: Final = "CHECK-ANSWERS"
PAIN_MIC: Final = "PAIN-MIC"
NO_BACK_PAIN: Final = "NO-BACK-PAIN"
LOW_PAIN_BETTER: Final = "LOW-PAIN-BETTER"
WORSE_CODE: Final = "WORSE"
SAME_PAIN: Final = "SAME-PAIN-GE-3"
PAIN_NO_MIC: Final = "PAIN-GE-4-NO-MIC"
ODI_NO_MIC: Final = "ODI-GE-30-NO-MIC"
STALLED: Final = "STALLED"
IMPROVING_CODE: Final = "IMPROVING"
COURSE_CODES: Final[tuple[str, ...]] = (
    CHECK_ANSWERS,
    PAIN_MIC,
    NO_BACK_PAIN,
    LOW_PAIN_BETTER,
    WORSE_CODE,
    SAME_PAIN,
    PAIN_NO_MIC,
    ODI_NO_MIC,
    STALLED,
    IMPROVING_CODE,
)


class FollowUpInputError(AnswersError):
    """Bad answers, context or follow-up number. Context fields are named
    ``context.<field>``, so a bad ``age`` reads ``context.age``."""

    subject: ClassVar[str] = "follow-up input"


@dataclass(frozen=True)
class OdiSections:
    def __call__(self, value: object) -> object:
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list of 10 section scores")
        return validate_odi_sections(value)


@dataclass(frozen=True)
class OdiPercent:
    def __call__(self, value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100:
            return float(value)
        raise ValueError("must be a number from 0 to 100")


@dataclass(frozen=True, kw_only=True)
class FollowUpAnswers:
    still_back_pain: bool
    pain_now: int
    global_change: str
    odi: tuple[int | None, ...] | None = None
    painkillers_still: bool = False
    saddle_numbness: bool = False
    bladder_bowel: bool = False
    erectile_dysfunction: bool = False
    leg_weakness: bool = False
    fever: bool = False
    weight_loss: bool = False
    night_pain: bool = False
    unwell: bool = False
    trauma: bool = False
    leg_numbness: str = "none"
    radiation: str = "none"
    new_cancer_or_steroids: bool = False


FOLLOW_UP_FIELDS: Final[Mapping[str, Check]] = {
    "still_back_pain": BOOLEAN,
    "pain_now": PAIN_SCORE,
    "global_change": Choice(GLOBAL_CHANGE_CHOICES),
    "odi": Nullable(OdiSections()),
    "painkillers_still": BOOLEAN,
    **{key: BOOLEAN for key in NEW_SIGN_KEYS},
    "leg_numbness": Choice(LEG_NUMBNESS_CHOICES),
    "radiation": Choice(RADIATION_CHOICES),
    "new_cancer_or_steroids": BOOLEAN,
}


@dataclass(frozen=True, kw_only=True)
class FollowUpContext:
    """What the record knows: age on the follow-up date, the intake's pain, ODI and
    lifetime facts, and the previous follow-up's pain."""

    age: int
    baseline_pain: int
    baseline_odi: float | None = None
    previous_pain: int | None = None
    cancer_history: bool = False
    osteoporosis_or_steroids: bool = False
    immunosuppressed: bool = False
    intake_radiation: str = "none"


CONTEXT_FIELDS: Final[Mapping[str, Check]] = {
    "age": AGE,
    "baseline_pain": PAIN_SCORE,
    "baseline_odi": Nullable(OdiPercent()),
    "previous_pain": Nullable(PAIN_SCORE),
    "cancer_history": BOOLEAN,
    "osteoporosis_or_steroids": BOOLEAN,
    "immunosuppressed": BOOLEAN,
    "intake_radiation": Choice(RADIATION_CHOICES),
}


@dataclass(frozen=True)
class Outcome:
    state: str
    course: str
    disposition: str | None
    reasons: tuple[str, ...]
    rule_version: str = RULE_VERSION


@dataclass(frozen=True)
class Facts:
    """What the rules look at, derived once from the validated input."""

    answers: FollowUpAnswers
    context: FollowUpContext
    follow_up_number: int
    odi_percent: float | None
    course: str = ""

    @property
    def pain(self) -> int:
        return self.answers.pain_now

    @property
    def worse(self) -> bool:
        return self.answers.global_change in WORSE

    @property
    def earlier_pain(self) -> int:
        """The pain to compare with: the previous follow-up's when known, else the intake's."""
        previous = self.context.previous_pain
        return self.context.baseline_pain if previous is None else previous


@dataclass(frozen=True)
class WarningRule:
    code: str
    disposition: str
    condition: Callable[[Facts], bool]


def _answer(key: str) -> Callable[[Facts], bool]:
    return lambda f: bool(getattr(f.answers, key))


# Step B, in the order of section 4 (which is the order of the reasons).
WARNING_RULES: Final[tuple[WarningRule, ...]] = (
    WarningRule("E-SADDLE", EMERGENCY, _answer("saddle_numbness")),
    WarningRule("E-BLADDER", EMERGENCY, _answer("bladder_bowel")),
    WarningRule("E-ERECTILE", EMERGENCY, _answer("erectile_dysfunction")),
    WarningRule("E-WEAKNESS", EMERGENCY, _answer("leg_weakness")),
    WarningRule("E-TRAUMA", EMERGENCY, _answer("trauma")),
    WarningRule("E-FEVER", EMERGENCY, _answer("fever")),
    WarningRule("E-NUMB-BOTH", EMERGENCY, lambda f: f.answers.leg_numbness == "both_legs"),
    WarningRule("U-WEIGHT", GP_URGENT, _answer("weight_loss")),
    WarningRule("U-NIGHT", GP_URGENT, _answer("night_pain")),
    WarningRule("U-UNWELL", GP_URGENT, _answer("unwell")),
    WarningRule("U-BILATERAL", GP_URGENT, lambda f: f.answers.radiation == "both_legs"),
    WarningRule(
        "U-CANCER",
        GP_URGENT,
        lambda f: (
            (f.context.cancer_history or f.answers.new_cancer_or_steroids) and f.course != RECOVERED
        ),
    ),
    WarningRule(
        "U-FRACTURE",
        GP_URGENT,
        lambda f: (
            (f.context.osteoporosis_or_steroids or f.answers.new_cancer_or_steroids)
            and (f.worse or f.pain >= f.earlier_pain + FRACTURE_PAIN_RISE)
        ),
    ),
    WarningRule("U-IMMUNE", GP_URGENT, lambda f: f.context.immunosuppressed and f.worse),
    WarningRule(
        "U-CHILD", GP_URGENT, lambda f: f.context.age < ADULT_AGE and f.course != RECOVERED
    ),
    WarningRule("S-PAINKILLERS", GP_SOON, _answer("painkillers_still")),
    WarningRule(
        "S-RADICULAR",
        GP_SOON,
        lambda f: (
            (
                f.answers.radiation == "below_knee"
                and f.context.intake_radiation in ("none", "buttock_thigh")
            )
            or f.answers.leg_numbness == "one_leg"
        ),
    ),
)
WARNING_CODES: Final[tuple[str, ...]] = tuple(rule.code for rule in WARNING_RULES)
REASON_CODES: Final[tuple[str, ...]] = (*WARNING_CODES, *COURSE_CODES)
_URGENCY: Final[Mapping[str, int]] = {disposition: i for i, disposition in enumerate(DISPOSITIONS)}


def validate_followup_answers(answers: Mapping[str, object]) -> FollowUpAnswers:
    """Validate follow-up answers; raises ``FollowUpInputError`` naming every bad field."""
    return validate_mapping(answers, FOLLOW_UP_FIELDS, FollowUpAnswers, FollowUpInputError)


def validate_context(context: Mapping[str, object]) -> FollowUpContext:
    """Validate the context; raises ``FollowUpInputError`` naming every bad field."""
    try:
        return validate_mapping(context, CONTEXT_FIELDS, FollowUpContext, FollowUpInputError)
    except FollowUpInputError as exc:
        raise FollowUpInputError(_prefixed("context", exc.errors)) from None


def _prefixed(prefix: str, errors: Mapping[str, str]) -> dict[str, str]:
    return {
        prefix if field == NON_FIELD_ERRORS else f"{prefix}.{field}": message
        for field, message in errors.items()
    }


def _validate(
    answers: Mapping[str, object], context: Mapping[str, object], follow_up_number: object
) -> tuple[FollowUpAnswers, FollowUpContext, int]:
    """All three inputs checked together, so one error names every bad field."""
    errors: dict[str, str] = {}
    valid_answers = valid_context = None
    try:
        valid_answers = validate_followup_answers(answers)
    except FollowUpInputError as exc:
        errors.update(exc.errors)
    try:
        valid_context = validate_context(context)
    except FollowUpInputError as exc:
        errors.update(exc.errors)
    number_ok = (
        isinstance(follow_up_number, int)
        and not isinstance(follow_up_number, bool)
        and follow_up_number >= 1
    )
    if not number_ok:
        errors["follow_up_number"] = "must be a whole number of 1 or more"
    if errors or valid_answers is None or valid_context is None:
        raise FollowUpInputError(errors)
    return valid_answers, valid_context, follow_up_number  # type: ignore[return-value]


def course_of(facts: Facts) -> tuple[str, tuple[str, ...]]:
    """Step A: the course and the codes saying why (after ``CHECK-ANSWERS``/``PAIN-MIC``)."""
    answers, context, pain, odi = facts.answers, facts.context, facts.pain, facts.odi_percent
    contradiction = not answers.still_back_pain and pain >= CONTRADICTION_MIN_PAIN
    codes: list[str] = [CHECK_ANSWERS] if contradiction else []
    if pain_mic_reached(context.baseline_pain, pain):
        codes.append(PAIN_MIC)
    if (
        not contradiction
        and pain <= RECOVERED_MAX_PAIN
        and (answers.global_change in BETTER or not answers.still_back_pain)
        and (odi is None or odi <= RECOVERED_MAX_ODI)
        and not answers.painkillers_still
    ):
        return RECOVERED, (
            *codes,
            LOW_PAIN_BETTER if answers.still_back_pain else NO_BACK_PAIN,
        )
    persistent = [
        code
        for code, holds in (
            (WORSE_CODE, facts.worse),
            (SAME_PAIN, answers.global_change == "same" and pain >= SAME_MIN_PAIN),
            (
                PAIN_NO_MIC,
                pain >= PERSISTENT_MIN_PAIN and not pain_mic_reached(context.baseline_pain, pain),
            ),
            (
                ODI_NO_MIC,
                odi is not None
                and odi >= PERSISTENT_MIN_ODI
                and (
                    context.baseline_odi is None or not odi_mic_reached(context.baseline_odi, odi)
                ),
            ),
            (
                STALLED,
                facts.follow_up_number >= 2
                and pain >= STALLED_MIN_PAIN
                and not pain_mic_reached(facts.earlier_pain, pain),
            ),
        )
        if holds
    ]
    if persistent:
        return PERSISTENT, (*codes, *persistent)
    return IMPROVING, (*codes, IMPROVING_CODE)


def classify(
    answers: Mapping[str, object], context: Mapping[str, object], follow_up_number: int
) -> Outcome:
    """The outcome of follow-up ``follow_up_number`` (1 = six weeks, 2 = twelve weeks).

    Raises ``FollowUpInputError`` (a ValueError) naming every bad field of the answers,
    the context (as ``context.<field>``) and the follow-up number.
    """
    valid_answers, valid_context, number = _validate(answers, context, follow_up_number)
    facts = Facts(
        answers=valid_answers,
        context=valid_context,
        follow_up_number=number,
        odi_percent=None if valid_answers.odi is None else oswestry(valid_answers.odi),
    )
    course, course_codes = course_of(facts)
    facts = Facts(facts.answers, facts.context, facts.follow_up_number, facts.odi_percent, course)
    matched = [rule for rule in WARNING_RULES if rule.condition(facts)]
    red_flag = any(rule.disposition in (EMERGENCY, GP_URGENT) for rule in matched)
    disposition = (
        min((rule.disposition for rule in matched), key=_URGENCY.__getitem__) if matched else None
    )
    return Outcome(
        state=RED_FLAG if red_flag else course,
        course=course,
        disposition=disposition,
        reasons=(*(rule.code for rule in matched), *course_codes),
    )


def warning_codes(reasons: Any) -> list[str]:
    """The step-B codes among stored reasons (what an alert or advice page explains)."""
    return [code for code in reasons if code in WARNING_CODES]

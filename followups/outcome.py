"""Six-week follow-up outcome (``clinical-rules.md`` section 4).

``classify(answers, baseline_pain, follow_up_number)`` validates the follow-up answers and
applies the outcome rules, first match wins:

1. any E- or U-rule of the intake triage matches the red-flag answers → ``red_flag``,
   with that triage disposition and the matching rule codes as reasons;
2. no back pain any more, or pain 0-2 and (much) better → ``recovered``;
3. pain 4 or more, or not better (same/worse/much worse), or ODI 30 % or more →
   ``persistent``;
4. otherwise ``improving`` at the first follow-up; from the second follow-up on, the back
   pain that remains counts as ``persistent``.

Answers (strict types, as for the intake; unknown keys are an error):

- ``still_back_pain`` (bool), ``pain_now`` (int 0-10) and ``global_change`` (one of
  ``GLOBAL_CHANGE_CHOICES``) are required;
- ``odi``: optional list of the 10 ODI section scores (int 0-5 or null); null or absent
  means not asked. Fewer than 8 answered sections give no ODI, so its rule does not apply;
- ``painkillers_still`` (bool, default false): recorded, not used by the outcome rules;
- the red-flag questions of section 1: ``RED_FLAG_BOOLEAN_KEYS`` (default false) and
  ``leg_numbness`` (default "none"). ``seen_by_doctor`` and ``radiation`` are not asked
  again: they only feed the S-rules, which the follow-up does not use;
- ``age`` (int 0-120 or null, default null). The follow-up questionnaire does not ask it:
  the caller fills it in from the intake so that U-CHILD is evaluated as at the intake.
  Without it, U-CHILD is not evaluated.

Reasons are short stable codes (``REASON_CODES``). ``PAIN-MIC`` is added, for information
only, when ``baseline_pain`` is given and the pain improved by the minimal important
change; it never changes the state and is not added to a ``red_flag`` outcome, whose
reasons are the triage rule codes.

Pure module: no Django, stdlib only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Final

from intake.scores import oswestry, pain_mic_reached, validate_odi_sections
from intake.triage import (
    AGE,
    BOOLEAN,
    PAIN_SCORE,
    RED_FLAG_FIELDS,
    RED_FLAG_RULES,
    RULE_VERSION,
    AnswersError,
    Check,
    Choice,
    Nullable,
    RedFlagAnswers,
    apply_rules,
    validate_mapping,
)

RECOVERED: Final = "recovered"
IMPROVING: Final = "improving"
PERSISTENT: Final = "persistent"
RED_FLAG: Final = "red_flag"
OUTCOME_STATES: Final[tuple[str, ...]] = (RECOVERED, IMPROVING, PERSISTENT, RED_FLAG)

GLOBAL_CHANGE_CHOICES: Final[tuple[str, ...]] = (
    "much_better",
    "better",
    "same",
    "worse",
    "much_worse",
)
BETTER: Final = frozenset({"much_better", "better"})

RECOVERED_MAX_PAIN: Final = 2
PERSISTENT_MIN_PAIN: Final = 4
PERSISTENT_MIN_ODI: Final = 30.0


class FollowUpInputError(AnswersError):
    subject: ClassVar[str] = "follow-up answers"


@dataclass(frozen=True)
class OdiSections:
    def __call__(self, value: object) -> object:
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list of 10 section scores")
        return validate_odi_sections(value)


@dataclass(frozen=True, kw_only=True)
class FollowUpAnswers(RedFlagAnswers):
    still_back_pain: bool
    pain_now: int
    global_change: str
    odi: tuple[int | None, ...] | None = None
    painkillers_still: bool = False


FOLLOW_UP_FIELDS: Final[Mapping[str, Check]] = {
    "still_back_pain": BOOLEAN,
    "pain_now": PAIN_SCORE,
    "global_change": Choice(GLOBAL_CHANGE_CHOICES),
    "odi": Nullable(OdiSections()),
    "painkillers_still": BOOLEAN,
    **RED_FLAG_FIELDS,
    "age": Nullable(AGE),
}


@dataclass(frozen=True)
class Outcome:
    state: str
    reasons: tuple[str, ...]
    disposition: str | None = None
    rule_version: str = RULE_VERSION


@dataclass(frozen=True)
class Facts:
    """What the outcome rules look at, derived once from the validated answers."""

    answers: FollowUpAnswers
    odi_percent: float | None
    follow_up_number: int


@dataclass(frozen=True)
class Criterion:
    code: str
    holds: Callable[[Facts], bool]


@dataclass(frozen=True)
class OutcomeRule:
    """Gives ``state`` when any of its criteria holds; the codes of all that hold are the
    reasons."""

    state: str
    criteria: tuple[Criterion, ...]


# Steps 2-4 of section 4, in order. Step 1 (red flags) is the intake triage's E/U table.
OUTCOME_RULES: Final[tuple[OutcomeRule, ...]] = (
    OutcomeRule(
        RECOVERED,
        (
            Criterion("NO-BACK-PAIN", lambda f: not f.answers.still_back_pain),
            Criterion(
                "LOW-PAIN-BETTER",
                lambda f: (
                    f.answers.pain_now <= RECOVERED_MAX_PAIN and f.answers.global_change in BETTER
                ),
            ),
        ),
    ),
    OutcomeRule(
        PERSISTENT,
        (
            Criterion("PAIN-GE-4", lambda f: f.answers.pain_now >= PERSISTENT_MIN_PAIN),
            Criterion("NOT-BETTER", lambda f: f.answers.global_change not in BETTER),
            Criterion(
                "ODI-GE-30",
                lambda f: f.odi_percent is not None and f.odi_percent >= PERSISTENT_MIN_ODI,
            ),
        ),
    ),
    OutcomeRule(
        PERSISTENT,
        (Criterion("SECOND-FOLLOW-UP-PAIN", lambda f: f.follow_up_number >= 2),),
    ),
)
# Nothing above matched: still some back pain at the first follow-up, but getting better.
IMPROVING_REASON: Final = "IMPROVING"
PAIN_MIC: Final = "PAIN-MIC"
REASON_CODES: Final[tuple[str, ...]] = (
    *(criterion.code for rule in OUTCOME_RULES for criterion in rule.criteria),
    IMPROVING_REASON,
    PAIN_MIC,
)


def validate_followup_answers(answers: Mapping[str, object]) -> FollowUpAnswers:
    """Validate follow-up answers; raises ``FollowUpInputError`` naming every bad field."""
    return validate_mapping(answers, FOLLOW_UP_FIELDS, FollowUpAnswers, FollowUpInputError)


def classify(
    answers: Mapping[str, object], baseline_pain: int | None, follow_up_number: int
) -> Outcome:
    """Outcome of a follow-up (see the module docstring).

    ``baseline_pain`` is the intake pain (0-10) or None; ``follow_up_number`` counts from 1.
    Bad arguments raise ValueError; bad answers raise ``FollowUpInputError``.
    """
    if isinstance(follow_up_number, bool) or not isinstance(follow_up_number, int):
        raise ValueError(f"follow_up_number must be a whole number, got {follow_up_number!r}")
    if follow_up_number < 1:
        raise ValueError(f"follow_up_number must be 1 or more, got {follow_up_number}")
    if baseline_pain is not None:
        try:
            PAIN_SCORE(baseline_pain)
        except ValueError as exc:
            raise ValueError(f"baseline_pain {exc}, got {baseline_pain!r}") from None
    validated = validate_followup_answers(answers)

    red_flags = apply_rules(validated, RED_FLAG_RULES)
    if red_flags.reasons:
        return Outcome(RED_FLAG, red_flags.reasons, disposition=red_flags.disposition)

    facts = Facts(
        answers=validated,
        odi_percent=None if validated.odi is None else oswestry(validated.odi),
        follow_up_number=follow_up_number,
    )
    mic = (
        (PAIN_MIC,)
        if baseline_pain is not None and pain_mic_reached(baseline_pain, validated.pain_now)
        else ()
    )
    for rule in OUTCOME_RULES:
        reasons = tuple(criterion.code for criterion in rule.criteria if criterion.holds(facts))
        if reasons:
            return Outcome(rule.state, reasons + mic)
    return Outcome(IMPROVING, (IMPROVING_REASON, *mic))

"""Questionnaire scores: STarT Back, Oswestry Disability Index, minimal important change.

Pure functions on plain values (no Django), following ``clinical-rules.md`` section 3.
Bad values raise ``ValueError`` with a message that names the item or section.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, TypeGuard

RULE_VERSION: Final = "2027.1"

START_BACK_ITEMS: Final[tuple[str, ...]] = (
    "leg_pain",
    "shoulder_neck_pain",
    "walked_short_distances",
    "dressed_slowly",
    "not_safe_to_be_active",
    "worrying_thoughts",
    "pain_terrible",
    "not_enjoyed_things",
    "bothersomeness",
)
# Short English labels (the questionnaire wording itself belongs to the forms/translations).
START_BACK_ITEM_LABELS: Final[dict[str, str]] = {
    "leg_pain": "Pain spread down the leg",
    "shoulder_neck_pain": "Shoulder or neck pain",
    "walked_short_distances": "Only walked short distances",
    "dressed_slowly": "Dressed more slowly",
    "not_safe_to_be_active": "Not safe to be active",
    "worrying_thoughts": "Worrying thoughts",
    "pain_terrible": "Pain is terrible and will never get better",
    "not_enjoyed_things": "Not enjoyed things",
    "bothersomeness": "Bothersomeness over the last two weeks",
}
BOTHERSOMENESS_CHOICES: Final[tuple[str, ...]] = (
    "not_at_all",
    "slightly",
    "moderately",
    "very_much",
    "extremely",
)
BOTHERSOMENESS_SCORES: Final[dict[str, int]] = {
    "not_at_all": 0,
    "slightly": 0,
    "moderately": 0,
    "very_much": 1,
    "extremely": 1,
}
# Items 5-9 (1-based) form the psychosocial subscale.
START_BACK_PSYCHOSOCIAL_ITEMS: Final = range(5, 10)

ODI_SECTIONS: Final[tuple[str, ...]] = (
    "pain_intensity",
    "personal_care",
    "lifting",
    "walking",
    "sitting",
    "standing",
    "sleeping",
    "sex_life",
    "social_life",
    "travelling",
)
ODI_MAX_SECTION_SCORE: Final = 5
ODI_MIN_ANSWERED: Final = 8
# Inclusive upper bound of each band, in order: "bed_bound" is everything above 80.
ODI_BANDS: Final[tuple[tuple[float, str], ...]] = (
    (20, "minimal"),
    (40, "moderate"),
    (60, "severe"),
    (80, "crippling"),
    (100, "bed_bound"),
)

PAIN_MIC_POINTS: Final = 2
ODI_MIC_POINTS: Final = 10
MIC_FRACTION: Final = Decimal("0.3")


@dataclass(frozen=True)
class StartBackScore:
    total: int
    psychosocial: int
    risk: str


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _item_name(number: int) -> str:
    return f"STarT Back item {number} ({START_BACK_ITEMS[number - 1]})"


def _score_start_back_item(number: int, value: object) -> int:
    if number == len(START_BACK_ITEMS):
        if isinstance(value, str):
            if value not in BOTHERSOMENESS_SCORES:
                raise ValueError(
                    f"{_item_name(number)} must be one of {', '.join(BOTHERSOMENESS_CHOICES)}"
                    f" or an already-scored 0/1, got {value!r}"
                )
            return BOTHERSOMENESS_SCORES[value]
    if isinstance(value, int) and value in (0, 1):  # bool is an int subclass: True/False pass
        return int(value)
    raise ValueError(f"{_item_name(number)} must be 0/1 or true/false, got {value!r}")


def start_back(items: Sequence[object]) -> StartBackScore:
    """Score the 9-item Keele STarT Back Screening Tool.

    ``items`` holds the 9 answers in questionnaire order. Items 1-8 are 1 (agree) or
    0 (disagree), as ints or bools. Item 9 (bothersomeness) is one of
    ``BOTHERSOMENESS_CHOICES`` or an already-scored 0/1 (int or bool): "very_much" and
    "extremely" score 1, the others 0.
    """
    if isinstance(items, str) or len(items) != len(START_BACK_ITEMS):
        raise ValueError(f"STarT Back needs exactly {len(START_BACK_ITEMS)} items")
    scores = [_score_start_back_item(number, value) for number, value in enumerate(items, 1)]
    total = sum(scores)
    psychosocial = sum(scores[number - 1] for number in START_BACK_PSYCHOSOCIAL_ITEMS)
    if total <= 3:
        risk = "low"
    elif psychosocial >= 4:
        risk = "high"
    else:
        risk = "medium"
    return StartBackScore(total=total, psychosocial=psychosocial, risk=risk)


def validate_odi_sections(sections: Sequence[object]) -> tuple[int | None, ...]:
    """Check the 10 ODI section scores (int 0-5, or None when unanswered)."""
    if isinstance(sections, str) or len(sections) != len(ODI_SECTIONS):
        raise ValueError(f"the Oswestry index needs exactly {len(ODI_SECTIONS)} sections")
    checked: list[int | None] = []
    for name, value in zip(ODI_SECTIONS, sections, strict=True):
        if value is None:
            checked.append(None)
        elif _is_int(value) and 0 <= value <= ODI_MAX_SECTION_SCORE:
            checked.append(value)
        else:
            raise ValueError(
                f"ODI section {name} must be a whole number from 0 to"
                f" {ODI_MAX_SECTION_SCORE} or empty, got {value!r}"
            )
    return tuple(checked)


def oswestry(sections: Sequence[object]) -> float | None:
    """Oswestry Disability Index in percent, rounded to 1 decimal.

    ``sections`` holds the 10 section scores in ``ODI_SECTIONS`` order, each 0-5 or
    None when unanswered. With fewer than 8 sections answered there is no score (None).
    """
    answered = [score for score in validate_odi_sections(sections) if score is not None]
    if len(answered) < ODI_MIN_ANSWERED:
        return None
    return round(sum(answered) * 100 / (ODI_MAX_SECTION_SCORE * len(answered)), 1)


def _check_odi_percent(name: str, percent: float) -> Decimal:
    if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent <= 100:
        raise ValueError(f"{name} must be an ODI percentage from 0 to 100, got {percent!r}")
    return Decimal(str(percent))


def odi_band(percent: float) -> str:
    """Disability band of an ODI percentage: minimal, moderate, severe, crippling, bed_bound."""
    value = _check_odi_percent("percent", percent)
    return next(band for upper, band in ODI_BANDS if value <= upper)


def _mic_reached(earlier: Decimal, now: Decimal, points: int) -> bool:
    """Both conditions of section 3: at least ``points`` better **and** at least 30 % of
    the earlier value (an earlier value of 0 leaves nothing to improve)."""
    improvement = earlier - now
    return earlier > 0 and improvement >= points and improvement >= earlier * MIC_FRACTION


def _check_pain(name: str, value: int) -> Decimal:
    if not _is_int(value) or not 0 <= value <= 10:
        raise ValueError(f"{name} must be a whole number from 0 to 10, got {value!r}")
    return Decimal(value)


def pain_mic_reached(earlier: int, now: int) -> bool:
    """Pain NRS improved by at least 2 points and at least 30 % of the earlier value."""
    return _mic_reached(_check_pain("earlier", earlier), _check_pain("now", now), PAIN_MIC_POINTS)


def odi_mic_reached(earlier: float, now: float) -> bool:
    """ODI improved by at least 10 points and at least 30 % of the earlier value."""
    return _mic_reached(
        _check_odi_percent("earlier", earlier),
        _check_odi_percent("now", now),
        ODI_MIC_POINTS,
    )

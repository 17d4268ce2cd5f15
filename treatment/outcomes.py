"""An episode's scores over time, compared with the intake baseline.

Plain data in, plain data out: the intake scores, the sessions and the answered
follow-ups become one chronological list of measurements, each marked with whether
it reached the minimal important change (clinical-rules.md section 3, rules 2027.1:
2 points and 30 % for pain, 10 points and 30 % for the ODI) relative to the intake.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from intake import scores

INTAKE: Final = "intake"
SESSION: Final = "session"
FOLLOW_UP: Final = "follow_up"


@dataclass(frozen=True)
class Measurement:
    day: date
    source: str
    pain: int | None
    odi: float | None
    pain_mic: bool | None = None
    odi_mic: bool | None = None


@dataclass(frozen=True)
class Baseline:
    day: date
    pain: int
    odi: float | None


def mic_level(baseline: float, points: int) -> float | None:
    """The score at or below which the minimal important change is reached, if any.

    ``scores._mic_reached``: an improvement of ``points`` **and** of 30 % of the
    baseline, so the larger of the two; None when no score on the scale reaches it
    (a baseline below ``points``, or 0).
    """
    level = baseline - max(float(points), baseline * float(scores.MIC_FRACTION))
    return None if baseline <= 0 or level < 0 else level


def pain_mic_level(baseline: int) -> float | None:
    return mic_level(baseline, scores.PAIN_MIC_POINTS)


def odi_mic_level(baseline: float | None) -> float | None:
    return None if baseline is None else mic_level(baseline, scores.ODI_MIC_POINTS)


def _odi(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def measurements(
    baseline: Baseline,
    later: Iterable[tuple[date, str, int | None, Decimal | float | None]],
) -> list[Measurement]:
    """The baseline followed by ``later`` (day, source, pain, odi) in date order, with MIC."""
    result = [Measurement(baseline.day, INTAKE, baseline.pain, baseline.odi)]
    rows = sorted(later, key=lambda row: row[0])
    for day, source, pain, odi_value in rows:
        odi = _odi(odi_value)
        pain_mic = None if pain is None else scores.pain_mic_reached(baseline.pain, pain)
        odi_mic = (
            None
            if odi is None or baseline.odi is None
            else scores.odi_mic_reached(baseline.odi, odi)
        )
        result.append(Measurement(day, source, pain, odi, pain_mic, odi_mic))
    return result

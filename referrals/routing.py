"""Pain-clinic campus choice (``clinical-rules.md`` section 5), first match wins:

1. ``preference``: the campus the patient asked for (by code), if it accepts referrals;
2. ``catchment``: an accepting campus whose catchment holds the patient's postcode
   (should catchments overlap, the shortest expected wait then the name decides);
3. ``shortest_wait``: the accepting campus with the shortest expected wait
   (open referrals ÷ weekly capacity; a capacity of 0 is an endless wait), ties by name;
4. ``none``: no campus accepts referrals → ``code`` is None (the "no campus available"
   queue).

The reason is an English sentence for logs and the history; ``params`` hold its values
(campus, postcode, each campus's expected wait) so that pages and letters can say it in
the reader's language.

Pure module: no Django, stdlib only.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

RULE_VERSION: Final = "2026.1"

PREFERENCE: Final = "preference"
CATCHMENT: Final = "catchment"
SHORTEST_WAIT: Final = "shortest_wait"
NONE: Final = "none"


@dataclass(frozen=True)
class CampusLoad:
    code: str
    name: str
    accepting: bool
    catchment: Collection[str]
    open_referrals: int
    weekly_capacity: int

    def __post_init__(self) -> None:
        if isinstance(self.catchment, str):
            raise ValueError(f"{self.name}: catchment must be a collection of postcodes")
        if self.open_referrals < 0:
            raise ValueError(f"{self.name}: open_referrals must be 0 or more")
        if self.weekly_capacity < 0:
            raise ValueError(f"{self.name}: weekly_capacity must be 0 or more")


@dataclass(frozen=True)
class CampusChoice:
    code: str | None
    reason: str
    rule: str
    rule_version: str = RULE_VERSION
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)


def expected_wait_weeks(load: CampusLoad) -> float | None:
    """Open referrals ÷ weekly capacity; None when the capacity is 0 (no end in sight)."""
    if load.weekly_capacity == 0:
        return None
    return load.open_referrals / load.weekly_capacity


def _wait_order(load: CampusLoad) -> tuple[float, str]:
    wait = expected_wait_weeks(load)
    return (math.inf if wait is None else wait, load.name)


def _wait_param(load: CampusLoad) -> list[Any]:
    wait = expected_wait_weeks(load)
    return [load.name, None if wait is None else round(wait, 1)]


def _describe_wait(load: CampusLoad) -> str:
    wait = expected_wait_weeks(load)
    return f"{load.name} no weekly capacity" if wait is None else f"{load.name} {wait:.1f} weeks"


def choose_campus(
    preference: str | None, postcode: str | None, campuses: Sequence[CampusLoad]
) -> CampusChoice:
    """Choose the campus for a pain-clinic referral (see the module docstring)."""
    codes = [campus.code for campus in campuses]
    if len(set(codes)) != len(codes):
        raise ValueError(f"campus codes must be unique, got {codes}")
    accepting = sorted((campus for campus in campuses if campus.accepting), key=_wait_order)
    if not accepting:
        return CampusChoice(None, "no campus is accepting referrals", NONE)

    preferred = next((campus for campus in accepting if campus.code == preference), None)
    if preferred is not None:
        return CampusChoice(
            preferred.code,
            f"patient prefers {preferred.name}",
            PREFERENCE,
            params={"campus": preferred.name},
        )

    postcode = (postcode or "").strip()
    local = next(
        (campus for campus in accepting if postcode and postcode in campus.catchment), None
    )
    if local is not None:
        return CampusChoice(
            local.code,
            f"postcode {postcode} is in the {local.name} catchment",
            CATCHMENT,
            params={"campus": local.name, "postcode": postcode},
        )

    shortest, *others = accepting
    comparison = " vs " + ", ".join(map(_describe_wait, others)) if others else ""
    return CampusChoice(
        shortest.code,
        f"shortest expected wait: {_describe_wait(shortest)}{comparison}",
        SHORTEST_WAIT,
        params={"campus": shortest.name, "waits": [_wait_param(load) for load in accepting]},
    )

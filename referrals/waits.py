"""Campus load figures: the routing input and the expected wait per campus.

``campus_waits()`` is what dashboards show (the coordinator's and the manager's);
``campus_loads()`` is the same data as ``routing.CampusLoad`` for ``choose_campus``.
Both run a fixed number of queries: the campuses (and catchments) and one grouped COUNT.
"""

from dataclasses import dataclass

from clinics.models import Campus
from referrals.models import Referral
from referrals.routing import CampusLoad, expected_wait_weeks


@dataclass(frozen=True)
class CampusWait:
    campus: Campus
    open_referrals: int
    weekly_capacity: int
    accepting: bool
    expected_wait_weeks: float | None  # None: no weekly capacity, no end in sight


def _load(campus: Campus, open_referrals: int, catchment: frozenset[str]) -> CampusLoad:
    return CampusLoad(
        code=campus.code,
        name=campus.name,
        accepting=campus.accepting_referrals,
        catchment=catchment,
        open_referrals=open_referrals,
        weekly_capacity=campus.weekly_capacity,
    )


def campus_loads() -> list[CampusLoad]:
    """Every campus as a ``CampusLoad`` (three queries, whatever the number of rows)."""
    counts = Referral.objects.open_counts_by_campus()
    campuses = Campus.objects.prefetch_related("catchment").order_by("name")
    return [
        _load(
            campus,
            counts.get(campus.pk, 0),
            frozenset(postcode.postcode for postcode in campus.catchment.all()),
        )
        for campus in campuses
    ]


def campus_waits(counts: dict[int | None, int] | None = None) -> list[CampusWait]:
    """Per campus: open referrals, weekly capacity and expected wait in weeks (two queries;
    one when the caller passes ``Referral.objects.open_counts_by_campus()``)."""
    if counts is None:
        counts = Referral.objects.open_counts_by_campus()
    waits = []
    for campus in Campus.objects.order_by("name"):
        load = _load(campus, counts.get(campus.pk, 0), frozenset())
        waits.append(
            CampusWait(
                campus=campus,
                open_referrals=load.open_referrals,
                weekly_capacity=load.weekly_capacity,
                accepting=load.accepting,
                expected_wait_weeks=expected_wait_weeks(load),
            )
        )
    return waits

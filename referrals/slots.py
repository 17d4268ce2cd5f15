"""A campus's week of appointment slots: the weekly template laid on a calendar week.

Pure: plain data in, plain data out, no database. A slot is *taken* when a booked
appointment starts inside it (a typed time may fall between two template times), and
*past* when it has begun.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

DEFAULT_MINUTES = 30


@dataclass(frozen=True)
class SlotTemplate:
    weekday: int  # Monday 0 … Sunday 6
    start: time
    minutes: int = DEFAULT_MINUTES


@dataclass(frozen=True)
class Slot:
    day: date
    start: time
    minutes: int
    taken: bool
    past: bool
    mine: bool  # the referral's own appointment

    @property
    def free(self) -> bool:
        return not (self.taken or self.past)

    @property
    def value(self) -> str:
        """How a slot button names it: ``2026-12-03T09:00``."""
        return f"{self.day.isoformat()}T{self.start:%H:%M}"


@dataclass(frozen=True)
class Day:
    day: date
    slots: tuple[Slot, ...]


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_slot(value: str) -> tuple[date, time]:
    """``2026-12-03T09:00`` → (date, time); ValueError for anything else."""
    moment = datetime.strptime(value.strip(), "%Y-%m-%dT%H:%M")  # noqa: DTZ007 - a wall-clock slot
    return moment.date(), moment.time()


def slot_minutes(templates: Iterable[SlotTemplate], day: date, start: time) -> int:
    """The length of the template slot at ``day`` ``start``, or the default."""
    for template in templates:
        if template.weekday == day.weekday() and template.start == start:
            return template.minutes
    return DEFAULT_MINUTES


def week(
    templates: Sequence[SlotTemplate],
    monday: date,
    *,
    booked: Iterable[tuple[date, time]],
    now: datetime,
    mine: tuple[date, time] | None = None,
) -> list[Day]:
    """The seven days from ``monday`` with their template slots, in time order.

    ``booked``: the campus's booked (day, start) pairs that week; ``now``: local
    wall-clock time (naive); ``mine``: the referral's own appointment, if any.
    """
    starts: dict[date, list[datetime]] = {}
    for day, start in booked:
        starts.setdefault(day, []).append(datetime.combine(day, start))
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        slots = []
        for template in sorted(
            (t for t in templates if t.weekday == day.weekday()), key=lambda t: t.start
        ):
            begin = datetime.combine(day, template.start)
            end = begin + timedelta(minutes=template.minutes)
            taken = any(begin <= other < end for other in starts.get(day, ()))
            is_mine = mine is not None and begin <= datetime.combine(*mine) < end
            slots.append(
                Slot(
                    day=day,
                    start=template.start,
                    minutes=template.minutes,
                    taken=taken,
                    past=begin <= now,
                    mine=is_mine,
                )
            )
        days.append(Day(day=day, slots=tuple(slots)))
    return days

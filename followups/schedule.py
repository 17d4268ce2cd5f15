"""The follow-up calendar of ``clinical-rules.md`` section 4, as plain functions.

All times are wall-clock times in the clinic's zone (Europe/Brussels): a follow-up is
due at 09:00 local time 42 days after the intake, whatever the UTC offset that day, and
mail is only queued between 08:00 and 20:00 local time.

Pure module: no Django, stdlib only.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

CLINIC_ZONE: Final = ZoneInfo("Europe/Brussels")

FOLLOW_UP_AFTER_DAYS: Final = 42
DUE_TIME: Final = time(9, 0)
REMINDER_DAYS: Final[tuple[int, ...]] = (3, 7)
LINK_DAYS: Final = 14
# When the sweep was down and catches up, reminders still come at least this far apart.
MIN_REMINDER_GAP: Final = timedelta(days=1)
MAIL_WINDOW: Final[tuple[time, time]] = (time(8, 0), time(20, 0))


def local_at(day: date, at: time = DUE_TIME) -> datetime:
    """``day`` at wall-clock time ``at`` in the clinic's zone, as an aware datetime.

    zoneinfo picks the offset valid on that day, so 09:00 stays 09:00 across the
    daylight-saving changes (07:00 UTC in summer, 08:00 UTC in winter).
    """
    return datetime.combine(day, at, tzinfo=CLINIC_ZONE)


def due_at_for(start: date, days: int = FOLLOW_UP_AFTER_DAYS) -> datetime:
    """When a follow-up counted from ``start`` (the intake date) falls due."""
    return local_at(start + timedelta(days=days))


def local_date(moment: datetime) -> date:
    return moment.astimezone(CLINIC_ZONE).date()


def mail_window_open(moment: datetime) -> bool:
    """Whether mail may be queued at ``moment`` (08:00 to 20:00 local, end excluded)."""
    opens, closes = MAIL_WINDOW
    return opens <= moment.astimezone(CLINIC_ZONE).time() < closes


def link_expires_at(invited_at: datetime) -> datetime:
    return invited_at + timedelta(days=LINK_DAYS)


def next_step_at(invited_at: datetime, reminders_sent: int, now: datetime) -> datetime:
    """When the sweep next looks at an invited follow-up: its next reminder (day 3, day 7),
    or the link's expiry when no reminder is left before it.

    After a late reminder (the sweep was down) the next one still waits
    ``MIN_REMINDER_GAP``, so a patient never gets two reminders at once.
    """
    expires = link_expires_at(invited_at)
    if reminders_sent >= len(REMINDER_DAYS):
        return expires
    planned = invited_at + timedelta(days=REMINDER_DAYS[reminders_sent])
    if reminders_sent:
        planned = max(planned, now + MIN_REMINDER_GAP)
    return min(planned, expires)


def week_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 and the next Monday 00:00 (local) of the week holding ``moment``."""
    day = local_date(moment)
    monday = day - timedelta(days=day.weekday())
    return local_at(monday, time(0, 0)), local_at(monday + timedelta(days=7), time(0, 0))

"""The manager's pathway figures, per month and per campus.

Each figure is dated by its own event: intakes by the intake date, follow-ups by
their due date, referrals by the day they were sent to the campus. The response rate
is answered follow-ups per follow-up put to the patient (invited by e-mail or put on
the call list), so a cancelled one or one the sweep has not reached yet does not count.
The campus of an intake or a follow-up is the catchment campus of the patient's
postcode (``None``: outside every catchment); the campus of a referral is the campus
it went to.

Intakes and follow-ups are counted in SQL (``values().annotate()`` with conditional
counts), one query each, grouped by month and campus. Referrals are few and medians
do not add up across groups, so their sent date, intake date and appointment date
are read in one query for the period (at most ``MAX_MONTHS``) and counted in Python.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, time
from typing import Any, Final

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinics.cacheoutage import CacheOutage
from clinics.charts import DANGER, PALETTE, BarChart, Series, stacked_bar_chart
from clinics.models import Campus, CatchmentPostcode
from dashboards.models import MonthFigures
from followups.models import FollowUp, FollowUpState, Outcome
from intake.models import Disposition, IntakeAssessment, StartBackRisk
from referrals.models import Referral

logger = logging.getLogger(__name__)

DEFAULT_MONTHS: Final = 12
MAX_MONTHS: Final = 36
SIX_WEEK_FOLLOW_UP: Final = 1
# Follow-ups not put to the patient: cancelled, or not yet picked up by the sweep.
NOT_ASKED: Final = (FollowUpState.SCHEDULED, FollowUpState.CANCELLED)
NO_CAMPUS: Final = "none"

TRIAGE_KEYS: Final = {
    "emergency": Disposition.EMERGENCY,
    "gp_urgent": Disposition.GP_URGENT,
    "gp_soon": Disposition.GP_SOON,
    "physio": Disposition.PHYSIO,
}
RISK_KEYS: Final = ("low", "medium", "high")
OUTCOME_KEYS: Final = {
    "recovered": Outcome.RECOVERED,
    "improving": Outcome.IMPROVING,
    "persistent": Outcome.PERSISTENT,
    "red_flag": Outcome.RED_FLAG,
}


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole months from ``first`` to ``last`` (both the first day of their month)."""

    first: date
    last: date

    @classmethod
    def ending(cls, last: date, months: int = DEFAULT_MONTHS) -> Period:
        last = month_start(last)
        return cls(add_months(last, -(months - 1)), last)

    @property
    def months(self) -> list[date]:
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month
        return [add_months(self.first, i) for i in range(count + 1)]

    @property
    def end(self) -> date:
        """The day after the period."""
        return add_months(self.last, 1)

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes in the current (Brussels) time zone."""
        return (
            timezone.make_aware(datetime.combine(self.first, time.min)),
            timezone.make_aware(datetime.combine(self.end, time.min)),
        )


@dataclass
class Figures:
    """The counts of one month and/or campus; ``+`` merges two of them."""

    intakes: int = 0
    emergency: int = 0
    gp_urgent: int = 0
    gp_soon: int = 0
    physio: int = 0
    low: int = 0
    medium: int = 0
    high: int = 0
    follow_ups_due: int = 0
    follow_ups_answered: int = 0
    six_week_answered: int = 0
    recovered: int = 0
    improving: int = 0
    persistent: int = 0
    red_flag: int = 0
    referrals_sent: int = 0
    # The days of each referral, as {days: how many referrals} (a median needs them all;
    # counted this way a month's figures stay small to store and quick to add up).
    days_to_referral: dict[int, int] = field(default_factory=dict)
    days_to_appointment: dict[int, int] = field(default_factory=dict)

    def __add__(self, other: Figures) -> Figures:
        added: dict[str, Any] = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                merged = dict(mine)
                for days, count in theirs.items():
                    merged[days] = merged.get(days, 0) + count
                added[f.name] = merged
            else:
                added[f.name] = mine + theirs
        return Figures(**added)

    @classmethod
    def from_stored(cls, values: dict[str, Any]) -> Figures:
        """The figures as ``refresh`` stored them (JSON: the day counts' keys are text)."""
        days = ("days_to_referral", "days_to_appointment")
        return cls(
            **{
                name: {int(d): n for d, n in value.items()} if name in days else value
                for name, value in values.items()
            }
        )

    def count_days(self, name: str, days: int) -> None:
        counts = getattr(self, name)
        counts[days] = counts.get(days, 0) + 1

    @property
    def response_rate(self) -> float | None:
        """Answered follow-ups per follow-up due, in percent."""
        if not self.follow_ups_due:
            return None
        return round(100 * self.follow_ups_answered / self.follow_ups_due, 1)

    @property
    def median_days_to_referral(self) -> float | None:
        return _median(self.days_to_referral)

    @property
    def median_days_to_appointment(self) -> float | None:
        return _median(self.days_to_appointment)


def _median(counts: dict[int, int]) -> float | None:
    """The median of the values counted in ``counts`` ({value: how many})."""
    total = sum(counts.values())
    if not total:
        return None
    middle = []  # the value(s) at the middle rank(s), 0-based
    wanted = sorted({(total - 1) // 2, total // 2})
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while wanted and wanted[0] < seen:
            middle.append(value)
            wanted.pop(0)
        if not wanted:
            break
    return float(statistics.mean(middle))


Key = tuple[date, int | None]  # (month, campus id or None)


def _as_month(value: date | datetime) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return month_start(value)


def _catchment_campus(postcode_path: str) -> Subquery:
    return Subquery(
        CatchmentPostcode.objects.filter(postcode=OuterRef(postcode_path)).values("campus_id")[:1]
    )


def _count_intakes(period: Period, rows: dict[Key, Figures]) -> None:
    counts = {key: Count("id", filter=Q(disposition=value)) for key, value in TRIAGE_KEYS.items()}
    counts.update({risk: Count("id", filter=Q(start_back_risk=risk)) for risk in RISK_KEYS})
    grouped = (
        IntakeAssessment.objects.filter(
            episode__intake_date__gte=period.first, episode__intake_date__lt=period.end
        )
        .values(
            month=TruncMonth("episode__intake_date"),
            campus=_catchment_campus("episode__patient__postcode"),
        )
        .annotate(intakes=Count("id"), **counts)
        .order_by()
    )
    for row in grouped:
        figures = rows[(_as_month(row.pop("month")), row.pop("campus"))]
        for name, value in row.items():
            setattr(figures, name, getattr(figures, name) + value)


def _count_follow_ups(period: Period, now: datetime, rows: dict[Key, Figures]) -> None:
    start, end = period.bounds()
    six_week = Q(number=SIX_WEEK_FOLLOW_UP, answered_at__isnull=False)
    counts = {
        key: Count("id", filter=six_week & Q(outcome=value)) for key, value in OUTCOME_KEYS.items()
    }
    grouped = (
        FollowUp.objects.filter(due_at__gte=start, due_at__lt=end, due_at__lte=now)
        .exclude(state__in=NOT_ASKED)
        .values(
            month=TruncMonth("due_at"),
            campus=_catchment_campus("episode__patient__postcode"),
        )
        .annotate(
            follow_ups_due=Count("id"),
            follow_ups_answered=Count("id", filter=Q(answered_at__isnull=False)),
            six_week_answered=Count("id", filter=six_week),
            **counts,
        )
        .order_by()
    )
    for row in grouped:
        figures = rows[(_as_month(row.pop("month")), row.pop("campus"))]
        for name, value in row.items():
            setattr(figures, name, getattr(figures, name) + value)


def _count_referrals(period: Period, rows: dict[Key, Figures]) -> None:
    start, end = period.bounds()
    sent = Referral.objects.filter(sent_at__gte=start, sent_at__lt=end).values_list(
        "sent_at", "campus_id", "episode__intake_date", "appointment_date"
    )
    for sent_at, campus_id, intake_date, appointment_date in sent:
        sent_on = timezone.localdate(sent_at)
        figures = rows[(month_start(sent_on), campus_id)]
        figures.referrals_sent += 1
        figures.count_days("days_to_referral", (sent_on - intake_date).days)
        if appointment_date is not None:
            figures.count_days("days_to_appointment", (appointment_date - sent_on).days)


@dataclass(frozen=True)
class CampusColumn:
    key: str
    name: str
    pk: int | None


@dataclass
class Dashboard:
    period: Period
    campuses: list[CampusColumn]
    rows: Mapping[Key, Figures]
    # When the figures were counted: the manager's page keeps its rendered tables and
    # charts under this (a new count renders them again).
    counted_at: datetime | None = None

    def select(self, *, month: date | None = None, campus: str | None = None) -> Figures:
        wanted = None if campus is None else self.campus_pk(campus)
        total = Figures()
        for (row_month, row_campus), figures in self.rows.items():
            if month is not None and row_month != month:
                continue
            if campus is not None and row_campus != wanted:
                continue
            total = total + figures
        return total

    def campus_pk(self, key: str) -> int | None:
        return next((c.pk for c in self.campuses if c.key == key), None)

    def by_month(self, campus: str | None = None) -> list[tuple[date, Figures]]:
        return [(month, self.select(month=month, campus=campus)) for month in self.period.months]

    def by_campus(self) -> list[tuple[CampusColumn, Figures]]:
        return [(column, self.select(campus=column.key)) for column in self.campuses]

    def total(self, campus: str | None = None) -> Figures:
        return self.select(campus=campus)

    def csv_rows(self) -> Iterable[tuple[date, CampusColumn, Figures]]:
        for month in self.period.months:
            for column in self.campuses:
                yield month, column, self.select(month=month, campus=column.key)


# The months the beat task counts ahead (``refresh``): two years ending this month.
REFRESH_MONTHS: Final = 24


def for_period(period: Period, *, campuses: list[Campus] | None = None) -> Dashboard:
    """The figures of ``period`` for the manager's page and CSV, without counting while
    the manager waits: the months the beat task counted ahead (``MonthFigures``, at most
    five minutes old), and any month it has not counted (older than ``REFRESH_MONTHS``,
    or before its first run) through ``build_cached``. With
    ``BACKPATH_DASHBOARD_CACHE_SECONDS`` 0 (as in tests) everything is counted live.
    """
    if settings.BACKPATH_DASHBOARD_CACHE_SECONDS <= 0:
        return build(period)
    # Only the months the task still counts: a month that left its window keeps its last
    # count in the table, which later changes (an answer, a booking) no longer reach.
    counted_ahead = Period.ending(timezone.localdate(), REFRESH_MONTHS).first
    stored = {
        row.month: row
        for row in MonthFigures.objects.filter(month__in=period.months, month__gte=counted_ahead)
    }
    rows: dict[Key, Figures] = {}
    counted = [row.counted_at for row in stored.values()]
    for run in _missing_runs(period.months, stored):
        counted_live = build_cached(Period(run[0], run[-1]))
        rows.update(counted_live.rows)
        counted.append(counted_live.counted_at or timezone.now())
    for month, row in stored.items():
        for campus, values in row.rows.items():
            key = (month, None if campus == NO_CAMPUS else int(campus))
            rows[key] = Figures.from_stored(values)
    # The page keeps its rendered tables under the newest count (a new count renders
    # them again).
    return Dashboard(period, _campus_columns(campuses), rows, counted_at=max(counted, default=None))


def _missing_runs(months: list[date], stored: Mapping[date, Any]) -> list[list[date]]:
    """The months not in ``stored``, as runs of consecutive months (one count each)."""
    runs: list[list[date]] = []
    for month in months:
        if month in stored:
            continue
        if runs and add_months(runs[-1][-1], 1) == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    return runs


def refresh(*, months: int = REFRESH_MONTHS, now: datetime | None = None) -> int:
    """Count the last ``months`` months again and store them (the beat task's work):
    three queries for the lot, one row per month. Returns how many months."""
    now = now or timezone.now()
    period = Period.ending(timezone.localdate(now), months)
    counted = build(period, now=now)
    per_month: dict[date, dict[str, Any]] = {month: {} for month in period.months}
    for (month, campus), figures in counted.rows.items():
        if month in per_month:
            per_month[month][NO_CAMPUS if campus is None else str(campus)] = asdict(figures)
    MonthFigures.objects.bulk_create(
        [MonthFigures(month=month, rows=rows, counted_at=now) for month, rows in per_month.items()],
        update_conflicts=True,
        unique_fields=["month"],
        update_fields=["rows", "counted_at"],
    )
    return len(per_month)


# After the cache failed, the page does not try it again for this long (each try would
# wait out the connection timeout).
CACHE_DOWN_PAUSE_SECONDS: Final = 30


_cache_outage = CacheOutage(CACHE_DOWN_PAUSE_SECONDS)


def cache_reachable() -> bool:
    """Whether the cache (Redis) answers. When it does not, the manager's page counts
    and renders without it rather than showing an error page."""
    if _cache_outage.paused():
        return False
    try:
        cache.get("dashboards:reachable")
    except Exception:  # redis-py, a socket, a timeout: any cache failure
        if _cache_outage.failed():
            logger.warning("manager figures: the cache is unreachable; rendering without it")
        return False
    if _cache_outage.succeeded():
        logger.warning("manager figures: the cache is back")
    return True


def build_cached(period: Period) -> Dashboard:
    """``build(period)``, kept in the cache for ``BACKPATH_DASHBOARD_CACHE_SECONDS``:
    the months the beat task does not count ahead (``for_period``). 0 (as in tests)
    counts every time.
    """
    seconds = settings.BACKPATH_DASHBOARD_CACHE_SECONDS
    if seconds <= 0:
        return build(period)
    if not cache_reachable():
        return build(period)
    key = f"clinics:dashboard:{period.first:%Y-%m}:{period.last:%Y-%m}"
    try:
        dashboard = cache.get(key)
        if dashboard is None:
            dashboard = build(period)
            cache.set(key, dashboard, seconds)
    except Exception:  # the cache went away between the check and here
        _cache_outage.failed()
        return build(period)
    return dashboard  # type: ignore[no-any-return]


def build(period: Period, *, now: datetime | None = None) -> Dashboard:
    """All figures of ``period``: four queries whatever the size of the database."""
    now = now or timezone.now()
    rows: dict[Key, Figures] = defaultdict(Figures)
    _count_intakes(period, rows)
    _count_follow_ups(period, now, rows)
    _count_referrals(period, rows)
    return Dashboard(period, _campus_columns(), dict(rows), counted_at=now)


def _campus_columns(campuses: list[Campus] | None = None) -> list[CampusColumn]:
    """One column per campus (by name), and one for outside every catchment."""
    if campuses is None:
        campuses = list(Campus.objects.order_by("name"))
    columns = [CampusColumn(c.code, c.name, c.pk) for c in campuses]
    columns.append(CampusColumn(NO_CAMPUS, "", None))
    return columns


# The months a manager may ask for: the pathway's data lie well inside; a year outside
# (0001, 9999, twenty digits) is a typing error, and its neighbouring months would not
# even be dates.
FIRST_MONTH = date(2000, 1, 1)
LAST_MONTH = date(2100, 12, 1)
MONTH_TEXT = re.compile(r"\d{4}-\d{1,2}")


def parse_month(value: Any) -> date | None:
    """'2026-03' -> date(2026, 3, 1); None when it is not a month from FIRST_MONTH to
    LAST_MONTH."""
    text = str(value).strip()
    if not MONTH_TEXT.fullmatch(text):
        return None
    year, month = text.split("-")
    try:
        day = date(int(year), int(month), 1)
    except ValueError:
        return None
    return day if FIRST_MONTH <= day <= LAST_MONTH else None


@dataclass(frozen=True)
class DashboardChart:
    key: str
    title: str
    chart: BarChart


def charts(dashboard: Dashboard, campus: str | None) -> list[DashboardChart]:
    """The four stacked bar charts of the dashboard, per month."""
    months = dashboard.by_month(campus)
    labels = [date_format(month, "M") for month, _figures in months]
    years = [
        str(month.year) if i == 0 or month.month == 1 else ""
        for i, (month, _f) in enumerate(months)
    ]

    def series(label: str, color: str, name: str) -> Series:
        return Series(label, [getattr(figures, name) for _month, figures in months], color)

    referral_series = [
        Series(
            column.name or _("no campus"),
            [
                dashboard.select(month=month, campus=column.key).referrals_sent
                for month, _figures in months
            ],
            PALETTE[i % len(PALETTE)],
        )
        for i, column in enumerate(dashboard.campuses)
        if campus is None or column.key == campus
    ]
    definitions = [
        (
            "intakes",
            _("New intakes by triage result"),
            [
                series(_("emergency"), DANGER, "emergency"),
                series(_("GP today or tomorrow"), PALETTE[2], "gp_urgent"),
                series(_("GP this week"), "#e9c46a", "gp_soon"),
                series(_("physiotherapy"), PALETTE[0], "physio"),
            ],
        ),
        (
            "start-back",
            _("STarT Back risk of new intakes"),
            [
                series(StartBackRisk.LOW.label, PALETTE[0], StartBackRisk.LOW),
                series(StartBackRisk.MEDIUM.label, PALETTE[1], StartBackRisk.MEDIUM),
                series(StartBackRisk.HIGH.label, PALETTE[4], StartBackRisk.HIGH),
            ],
        ),
        (
            "outcomes",
            _("Outcome at the six-week follow-up"),
            [
                series(_("recovered"), PALETTE[0], "recovered"),
                series(_("improving"), PALETTE[1], "improving"),
                series(_("persistent"), PALETTE[2], "persistent"),
                series(_("red flag"), DANGER, "red_flag"),
            ],
        ),
        ("referrals", _("Referrals sent, by campus"), referral_series),
    ]
    return [
        DashboardChart(key, title, stacked_bar_chart(labels, data, sublabels=years))
        for key, title, data in definitions
    ]

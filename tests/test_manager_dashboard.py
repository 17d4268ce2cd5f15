"""The manager's pathway figures: per month and campus, charts and CSV."""

import csv
import io
import re
from datetime import date, datetime, time
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinics.models import Campus
from dashboards import figures as dashboard
from dashboards.tasks import refresh_manager_figures
from followups.models import FollowUp
from referrals.models import Referral
from tests.factories import HIGH_RISK_START_BACK, PatientFactory, make_intake

pytestmark = pytest.mark.django_db

NOW = date(2026, 5, 15)
BORNEM_POSTCODE, RUMST_POSTCODE, ELSEWHERE = "2880", "2840", "1000"


@pytest.fixture(autouse=True)
def _now():  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime(2026, 5, 15, 12, 0, tzinfo=timezone.get_default_timezone())):
        yield


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _intake(day: date, postcode: str = BORNEM_POSTCODE, **kwargs):  # type: ignore[no-untyped-def]
    return make_intake(PatientFactory(postcode=postcode), intake_date=day, **kwargs)


def _follow_up(episode, due: date, **fields):  # type: ignore[no-untyped-def]
    FollowUp.objects.update_or_create(
        episode=episode, number=1, defaults={"due_at": _at(due, 9), **fields}
    )


def _answered(episode, due: date, outcome: str) -> None:  # type: ignore[no-untyped-def]
    _follow_up(
        episode, due, state="answered", answered_at=_at(due, 15), outcome=outcome, pain_now=2
    )


def _referral(episode, campus_code, sent, appointment=None):  # type: ignore[no-untyped-def]
    return Referral.objects.create(
        episode=episode,
        source="follow_up",
        reason="persistent",
        state="booked" if appointment else "sent",
        campus=Campus.objects.get(code=campus_code) if campus_code else None,
        sent_at=_at(sent),
        appointment_date=appointment,
        appointment_time=time(9) if appointment else None,
    )


def _month(figures, month, campus=None):  # type: ignore[no-untyped-def]
    return dict(figures.by_month(campus))[month]


def _build() -> dashboard.Dashboard:
    return dashboard.build(dashboard.Period.ending(NOW))


def test_the_default_period_is_the_last_twelve_months():
    period = dashboard.Period.ending(NOW)

    assert (period.first, period.last, len(period.months)) == (
        date(2025, 6, 1),
        date(2026, 5, 1),
        12,
    )


def test_it_counts_new_intakes_per_month_with_the_triage_and_start_back_mix():
    _intake(date(2026, 3, 2))
    _intake(date(2026, 3, 20), fever=True)
    _intake(date(2026, 4, 1), start_back=HIGH_RISK_START_BACK)

    figures = _build()

    march, april = _month(figures, date(2026, 3, 1)), _month(figures, date(2026, 4, 1))
    assert (march.intakes, march.emergency, march.physio, march.low) == (2, 1, 1, 2)
    assert (april.intakes, april.high, april.low) == (1, 1, 0)


def test_intakes_count_for_the_catchment_campus_of_the_patients_postcode():
    _intake(date(2026, 3, 2), BORNEM_POSTCODE)
    _intake(date(2026, 3, 3), RUMST_POSTCODE)
    _intake(date(2026, 3, 4), RUMST_POSTCODE)
    _intake(date(2026, 3, 5), ELSEWHERE)

    figures = _build()

    per_campus = {column.key: f.intakes for column, f in figures.by_campus()}
    assert per_campus == {"bornem": 1, "rumst": 2, dashboard.NO_CAMPUS: 1}
    assert _month(figures, date(2026, 3, 1), "rumst").intakes == 2


def test_the_response_rate_is_answered_of_follow_ups_put_to_the_patient():
    answered = _intake(date(2026, 2, 20)).episode
    silent = _intake(date(2026, 2, 21)).episode
    cancelled = _intake(date(2026, 2, 22)).episode
    not_yet_swept = _intake(date(2026, 2, 23)).episode
    not_yet_due = _intake(date(2026, 4, 20)).episode
    _answered(answered, date(2026, 4, 3), "recovered")
    _follow_up(silent, date(2026, 4, 4), state="call_list")
    _follow_up(cancelled, date(2026, 4, 5), state="cancelled")
    _follow_up(not_yet_swept, date(2026, 4, 6), state="scheduled")
    _follow_up(not_yet_due, date(2026, 6, 1))

    april = _month(_build(), date(2026, 4, 1))

    assert (april.follow_ups_due, april.follow_ups_answered, april.response_rate) == (2, 1, 50.0)


def test_it_counts_the_outcomes_of_the_six_week_follow_up():
    for day, outcome in ((1, "recovered"), (2, "persistent"), (3, "persistent"), (4, "red_flag")):
        episode = _intake(date(2026, 2, day)).episode
        _answered(episode, date(2026, 3, 15 + day), outcome)

    march = _month(_build(), date(2026, 3, 1))

    assert (march.recovered, march.persistent, march.red_flag, march.improving) == (1, 2, 1, 0)


def test_it_counts_referrals_per_campus_with_the_median_days():
    a = _intake(date(2026, 2, 1)).episode
    b = _intake(date(2026, 2, 10)).episode
    c = _intake(date(2026, 2, 15)).episode
    d = _intake(date(2026, 2, 20)).episode
    _referral(a, "bornem", date(2026, 3, 15), appointment=date(2026, 3, 25))  # 42 d, 10 d
    _referral(b, "bornem", date(2026, 3, 30), appointment=date(2026, 4, 19))  # 48 d, 20 d
    _referral(c, "bornem", date(2026, 3, 31))  # 44 d, no appointment yet
    _referral(d, "rumst", date(2026, 4, 7))

    figures = _build()

    march = _month(figures, date(2026, 3, 1), "bornem")
    assert march.referrals_sent == 3
    assert march.median_days_to_referral == 44
    assert march.median_days_to_appointment == 15
    per_campus = {column.key: f.referrals_sent for column, f in figures.by_campus()}
    assert per_campus == {"bornem": 3, "rumst": 1, dashboard.NO_CAMPUS: 0}
    assert figures.total().median_days_to_referral == 45  # 42, 44, 46, 48


def test_the_page_shows_charts_and_tables(manager_client):
    _intake(date(2026, 4, 2))

    response = manager_client.get(reverse("dashboards:manager_home"))
    html = response.content.decode()

    assert response.status_code == 200
    assert html.count("<svg") >= 4
    assert "New intakes by triage result" in html and "Expected wait per campus" in html


def test_the_chart_coordinates_have_no_decimal_comma_in_dutch(manager_client):
    _data(3)
    manager_client.cookies["django_language"] = "nl"

    html = manager_client.get(reverse("dashboards:manager_home")).content.decode()

    coordinates = re.findall(r"<(?:rect|line|text) [^>]*>", html.split("<svg", 1)[1])
    assert coordinates
    assert not [tag for tag in coordinates if re.search(r'="-?\d+,\d', tag)]


def _data(count: int, first: int = 0) -> None:
    """``count`` patients with an intake, an answered follow-up and a booked referral."""
    for i in range(first, first + count):
        postcode, campus = ((BORNEM_POSTCODE, "bornem"), (RUMST_POSTCODE, "rumst"))[i % 2]
        episode = _intake(date(2026, 1 + i % 4, 1 + i % 27), postcode).episode
        _answered(episode, date(2026, 3 + i % 2, 1 + i % 27), "persistent")
        _referral(episode, campus, date(2026, 4, 1 + i % 27), date(2026, 5, 1 + i))


def test_the_page_runs_the_same_number_of_queries_whatever_the_data(manager_client):
    _data(2)
    with CaptureQueriesContext(connection) as small:
        manager_client.get(reverse("dashboards:manager_home"))
    _data(20, first=2)
    with CaptureQueriesContext(connection) as large:
        response = manager_client.get(reverse("dashboards:manager_home"))

    assert response.context["total"].referrals_sent == 22
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_page_stays_within_a_fixed_query_budget(manager_client, django_assert_max_num_queries):
    _data(5)

    with django_assert_max_num_queries(14):
        manager_client.get(reverse("dashboards:manager_home"))


def test_the_campus_filter_narrows_the_figures(manager_client):
    _intake(date(2026, 4, 2), BORNEM_POSTCODE)
    _intake(date(2026, 4, 3), RUMST_POSTCODE)

    response = manager_client.get(reverse("dashboards:manager_home"), {"campus": "rumst"})

    assert response.context["total"].intakes == 1


def test_a_chosen_period_is_used(manager_client):
    response = manager_client.get(
        reverse("dashboards:manager_home"), {"start": "2026-01", "end": "2026-03"}
    )

    assert [m for m, _f in response.context["months"]] == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]


def test_a_reversed_period_is_refused_and_the_default_shown(manager_client):
    response = manager_client.get(
        reverse("dashboards:manager_home"), {"start": "2026-04", "end": "2026-01"}
    )

    assert "end" in response.context["form"].errors
    assert len(response.context["months"]) == 12


def test_the_csv_has_one_row_per_month_and_campus(manager_client):
    _intake(date(2026, 4, 2), RUMST_POSTCODE)

    response = manager_client.get(
        reverse("dashboards:manager_figures_csv"),
        {"start": "2026-03", "end": "2026-04", "excel": "0"},
    )

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["month"], r["campus"]) for r in rows] == [
        ("2026-03", "bornem"),
        ("2026-03", "rumst"),
        ("2026-03", "none"),
        ("2026-04", "bornem"),
        ("2026-04", "rumst"),
        ("2026-04", "none"),
    ]
    assert rows[4]["intakes"] == "1" and rows[4]["physio"] == "1"


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_csv_opens_in_belgian_excel_in_dutch_and_french(manager_client, language):
    _intake(date(2026, 4, 2), RUMST_POSTCODE)
    manager_client.cookies["django_language"] = language
    url = reverse("dashboards:manager_figures_csv")

    body = manager_client.get(url, {"start": "2026-04", "end": "2026-04"}).content.decode()

    assert body.startswith("\ufeff")  # Excel reads the accents as UTF-8
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    assert rows[1]["campus"] == "rumst" and rows[1]["intakes"] == "1"
    assert all("." not in value for row in rows for value in row.values())  # decimal comma
    plain = manager_client.get(url, {"start": "2026-04", "end": "2026-04", "excel": "0"})
    assert plain.content.decode().startswith("month,campus,")


def test_excel_numbers_have_a_decimal_comma():
    from dashboards.views import _excel_value

    assert _excel_value(Decimal("12.5")) == "12,5"
    assert _excel_value(0.25) == "0,25"
    assert _excel_value(3) == 3


def test_the_csv_is_plain_in_english(manager_client):
    manager_client.cookies["django_language"] = "en"
    body = manager_client.get(reverse("dashboards:manager_figures_csv")).content.decode()
    assert body.startswith("month,campus,")


def test_the_figures_are_for_managers_only(client, physio):
    client.force_login(physio)

    assert client.get(reverse("dashboards:manager_figures_csv")).status_code == 403


def test_the_figures_are_counted_once_per_cache_period(settings, django_assert_num_queries):
    """At scale the figures are cached (BACKPATH_DASHBOARD_CACHE_SECONDS; 0 in tests)."""
    from django.core.cache import cache

    settings.BACKPATH_DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    period = dashboard.Period.ending(date(2026, 3, 1))
    make_intake(PatientFactory(postcode="2880"), intake_date=date(2026, 2, 10))
    first = dashboard.build_cached(period)
    make_intake(PatientFactory(postcode="2880"), intake_date=date(2026, 2, 11))
    with django_assert_num_queries(0):
        again = dashboard.build_cached(period)
    assert again.total().intakes == first.total().intakes == 1
    settings.BACKPATH_DASHBOARD_CACHE_SECONDS = 0
    assert dashboard.build_cached(period).total().intakes == 2
    cache.clear()


def test_the_rendered_figures_are_kept_only_as_long_as_the_figures(manager_client, settings):
    """The page keeps its tables and charts under the time the figures were counted:
    a new count (after BACKPATH_DASHBOARD_CACHE_SECONDS) shows on the page at once."""
    from django.core.cache import cache

    settings.BACKPATH_DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    url = reverse("dashboards:manager_home")
    _intake(date(2026, 4, 2))

    def new_intakes() -> str:
        html = manager_client.get(url).content.decode()
        return re.search(r'<div class="stat">(\d+)</div><div class="stat-label">new intakes', html)[
            1
        ]

    assert new_intakes() == "1"
    _intake(date(2026, 4, 3))
    assert new_intakes() == "1"  # the figures are at most a minute old
    period = manager_client.get(url).context["dashboard"].period
    cache.delete(f"clinics:dashboard:{period.first:%Y-%m}:{period.last:%Y-%m}")  # they expire
    assert new_intakes() == "2"
    cache.clear()


# --- counted ahead by the beat task ---------------------------------------------------------


def test_the_page_shows_the_figures_the_beat_task_counted_without_counting_itself(
    manager_client, settings
):
    """At a million patients a count takes seconds: the page adds up the months the beat
    task stored and never reads the intakes, follow-ups or referrals while the manager
    waits."""
    from django.core.cache import cache

    settings.BACKPATH_DASHBOARD_CACHE_SECONDS = 300
    cache.clear()
    episode = _intake(date(2026, 4, 2)).episode
    _answered(episode, date(2026, 5, 1), "persistent")
    _referral(_intake(date(2026, 1, 5), RUMST_POSTCODE).episode, "rumst", date(2026, 3, 1))
    assert refresh_manager_figures() == dashboard.REFRESH_MONTHS
    _intake(date(2026, 4, 3))  # after the count: shown at the next one

    with CaptureQueriesContext(connection) as queries:
        page = manager_client.get(reverse("dashboards:manager_home"))
    # (the waits per campus stay live: a count of the open referrals, a few thousand)
    counted = [q["sql"] for q in queries if re.search(r"intake_|followups_|sent_at", q["sql"])]
    assert counted == []
    shown = page.context["dashboard"]
    assert _month(shown, date(2026, 4, 1)).intakes == 1
    assert shown.total().follow_ups_answered == 1
    assert shown.total(campus="rumst").referrals_sent == 1
    assert shown.total(campus="rumst").median_days_to_referral == 55.0
    assert "Counted at" in page.content.decode()

    refresh_manager_figures()
    again = manager_client.get(reverse("dashboards:manager_home")).context["dashboard"]
    assert _month(again, date(2026, 4, 1)).intakes == 2
    cache.clear()


def test_months_the_task_does_not_count_ahead_are_counted_on_the_page(manager_client, settings):
    from django.core.cache import cache

    settings.BACKPATH_DASHBOARD_CACHE_SECONDS = 300
    cache.clear()
    dashboard.refresh(now=_at(date(2023, 9, 1)))  # counted back then, before the intake
    _intake(date(2023, 7, 10))
    _intake(date(2026, 4, 2))
    refresh_manager_figures()
    response = manager_client.get(
        reverse("dashboards:manager_home"), {"start": "2023-06", "end": "2026-05"}
    )
    shown = response.context["dashboard"]
    assert _month(shown, date(2023, 7, 1)).intakes == 1  # before the two years counted ahead
    assert _month(shown, date(2026, 4, 1)).intakes == 1
    assert shown.total().intakes == 2
    cache.clear()


def test_the_beat_schedule_counts_the_figures_every_five_minutes():
    from config.celery import app

    entry = app.conf.beat_schedule["dashboards-figures"]
    assert entry["task"] == refresh_manager_figures.name
    assert entry["schedule"] == 300


def test_the_page_and_the_csv_work_while_the_cache_is_down(manager_client, settings):
    """Redis down (the cache unreachable) costs the manager the caching, not the page."""
    settings.BACKPATH_DASHBOARD_CACHE_SECONDS = 300
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    dashboard._cache_outage.down_until = 0.0
    _intake(date(2026, 4, 2))
    page = manager_client.get(reverse("dashboards:manager_home"))
    assert page.status_code == 200
    assert _month(page.context["dashboard"], date(2026, 4, 1)).intakes == 1
    assert "new intakes" in page.content.decode()
    csv_response = manager_client.get(reverse("dashboards:manager_figures_csv"))
    assert csv_response.status_code == 200
    dashboard._cache_outage.down_until = 0.0

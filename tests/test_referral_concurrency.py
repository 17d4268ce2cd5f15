"""Two coordinators acting on the same referral at once, against the real PostgreSQL.

The first one holds the referral's row lock (its transaction is still open) while the
second one acts: the second waits for the lock, then sees the new state and is refused.
Without the lock the second would read the old state and overwrite the first's work.
"""

import datetime as dt
import importlib
import threading

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation

from referrals import services
from referrals.models import Referral, ReferralState
from tests.conftest import REQUIRE_SERVICES
from tests.factories import make_referral

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # Skip before any database set-up on SQLite; with BACKPATH_REQUIRE_SERVICES=1 the
    # ``postgres`` fixture fails instead.
    pytest.mark.skipif(
        not ON_POSTGRES and not REQUIRE_SERVICES, reason="PostgreSQL (DATABASE_URL) not configured"
    ),
]

WAIT = 10  # seconds; a thread that is still blocked after this fails the test


def run_in_parallel(first, second):  # type: ignore[no-untyped-def]
    """Run ``first`` in a transaction kept open until ``second`` has started and waited
    for it; return what each raised (None when it succeeded)."""
    first_done = threading.Event()
    second_started = threading.Event()
    outcome: dict[str, BaseException | None] = {}

    def run_first() -> None:
        try:
            with transaction.atomic():
                first()
                first_done.set()
                assert second_started.wait(WAIT)
                # Give the second thread time to reach the database and block there.
                threading.Event().wait(0.5)
            outcome["first"] = None
        except BaseException as error:
            outcome["first"] = error
            first_done.set()
        finally:
            connection.close()

    def run_second() -> None:
        try:
            assert first_done.wait(WAIT)
            second_started.set()
            second()
            outcome["second"] = None
        except BaseException as error:
            outcome["second"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    return outcome["first"], outcome["second"]


@pytest.fixture(autouse=True)
def reference_data(postgres):  # type: ignore[no-untyped-def]
    """The campuses and role groups of the data migration: an earlier transactional
    test's flush may have removed them (get_or_create, so a no-op when present)."""
    migration = importlib.import_module("clinics.migrations.0002_campuses_and_roles")
    migration.create(apps, None)


@pytest.fixture
def coordinators(postgres, coordinator_bornem, second_coordinator_bornem):  # type: ignore[no-untyped-def]
    return coordinator_bornem, second_coordinator_bornem


@pytest.fixture
def sent_referral(postgres, physio):  # type: ignore[no-untyped-def]
    return services.send_referral(make_referral(postcode="2880"), by=physio)


def test_decline_and_accept_at_once_leave_exactly_one_of_them(coordinators, sent_referral):
    els, jan = coordinators
    first_error, second_error = run_in_parallel(
        lambda: services.decline_referral(
            Referral.objects.get(pk=sent_referral.pk), by=els, reason="needs surgery first"
        ),
        # The refusal is worded in the thread's language; read it in English.
        lambda: translation.override("en")(services.accept_referral)(
            Referral.objects.get(pk=sent_referral.pk), by=jan
        ),
    )
    assert first_error is None
    assert isinstance(second_error, services.IllegalTransition)
    assert "it is declined" in str(second_error)
    referral = Referral.objects.get(pk=sent_referral.pk)
    assert referral.state == ReferralState.DECLINED
    assert list(referral.events.values_list("action", flat=True)) == ["propose", "send", "decline"]


def test_two_coordinators_accepting_at_once_accept_it_once(coordinators, sent_referral):
    els, jan = coordinators
    first_error, second_error = run_in_parallel(
        lambda: services.accept_referral(Referral.objects.get(pk=sent_referral.pk), by=els),
        lambda: services.accept_referral(Referral.objects.get(pk=sent_referral.pk), by=jan),
    )
    assert first_error is None
    assert isinstance(second_error, services.IllegalTransition)
    referral = Referral.objects.get(pk=sent_referral.pk)
    assert list(referral.events.filter(action="accept").values_list("by", flat=True)) == [els.pk]


def test_two_coordinators_booking_one_slot_for_two_referrals_book_it_once(coordinators, physio):
    els, jan = coordinators
    first, second = (
        services.accept_referral(
            services.send_referral(make_referral(postcode="2880"), by=physio), by=els
        )
        for _ in range(2)
    )
    day = timezone.localdate() + dt.timedelta(days=3)
    slot = {"day": day, "at": dt.time(10, 0)}
    first_error, second_error = run_in_parallel(
        lambda: services.book_appointment(first, by=els, **slot),
        lambda: services.book_appointment(second, by=jan, **slot),
    )
    assert first_error is None
    assert isinstance(second_error, services.BookingRefused)
    states = set(
        Referral.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)
    )
    assert states == {ReferralState.BOOKED, ReferralState.ACCEPTED}


def test_two_coordinators_booking_the_same_referral_at_once_book_it_one_after_the_other(
    coordinators, physio
):
    els, jan = coordinators
    referral = services.accept_referral(
        services.send_referral(make_referral(postcode="2880"), by=physio), by=els
    )
    day = timezone.localdate() + dt.timedelta(days=3)
    first_error, second_error = run_in_parallel(
        lambda: services.book_appointment(
            Referral.objects.get(pk=referral.pk), by=els, day=day, at=dt.time(10, 0)
        ),
        lambda: services.book_appointment(
            Referral.objects.get(pk=referral.pk), by=jan, day=day, at=dt.time(11, 0)
        ),
    )
    assert first_error is None
    assert second_error is None
    referral = Referral.objects.get(pk=referral.pk)
    # One appointment, the later one; the history shows Jan moving Els's booking, not two
    # first bookings of an accepted referral (which is what the unlocked race would write).
    assert (referral.state, referral.appointment_date, referral.appointment_time) == (
        ReferralState.BOOKED,
        day,
        dt.time(11, 0),
    )
    bookings = referral.events.filter(action="book").order_by("pk")
    assert [(e.by_id, e.from_state, e.to_state) for e in bookings] == [
        (els.pk, ReferralState.ACCEPTED, ReferralState.BOOKED),
        (jan.pk, ReferralState.BOOKED, ReferralState.BOOKED),
    ]

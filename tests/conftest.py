import os

import pytest
from django.db import connection
from django.test import Client

from tests.factories import StaffFactory

REQUIRE_SERVICES = os.environ.get("BACKPATH_REQUIRE_SERVICES") == "1"


def _missing_service(what: str) -> None:
    """Skip a service test on a laptop; fail it in CI, where the service must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (BACKPATH_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not configured")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        _missing_service("Redis (REDIS_URL)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _missing_service(f"Redis at {url} ({exc})")
    return url


@pytest.fixture
def postgres(db) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        _missing_service("PostgreSQL (DATABASE_URL)")


# --- the named staff (password ``tests.factories.PASSWORD``) ------------------------------


@pytest.fixture
def receptionist(db):  # type: ignore[no-untyped-def]
    return StaffFactory(username="sofie.reception", role="reception")


@pytest.fixture
def physio(db):  # type: ignore[no-untyped-def]
    return StaffFactory(username="an.physio", role="physiotherapist")


@pytest.fixture
def second_physio(db):  # type: ignore[no-untyped-def]
    """A colleague of ``physio``: the other physiotherapist of a race or a refusal."""
    return StaffFactory(username="tom.physio", role="physiotherapist")


@pytest.fixture
def coordinator_bornem(db):  # type: ignore[no-untyped-def]
    return StaffFactory(username="els.bornem", role="coordinator", campus_code="bornem")


@pytest.fixture
def coordinator_rumst(db):  # type: ignore[no-untyped-def]
    return StaffFactory(username="pieter.rumst", role="coordinator", campus_code="rumst")


@pytest.fixture
def second_coordinator_bornem(db):  # type: ignore[no-untyped-def]
    """Els's colleague on the same campus: the other coordinator of a race."""
    return StaffFactory(username="jan.bornem", role="coordinator", campus_code="bornem")


@pytest.fixture
def manager(db):  # type: ignore[no-untyped-def]
    return StaffFactory(username="karin.manager", role="manager")


@pytest.fixture
def admin_user(db):  # type: ignore[no-untyped-def]
    return StaffFactory(username="root.admin", role="admin", is_staff=True, is_superuser=True)


# --- logged-in clients -------------------------------------------------------------------


def signed_in(user, *, language: str | None = "en") -> Client:  # type: ignore[no-untyped-def]
    """A test client of its own, logged in as ``user`` now (after any time travel: sessions
    expire), reading pages in ``language`` (English: the source texts)."""
    client = Client()
    client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    return client


@pytest.fixture
def desk(receptionist) -> Client:  # type: ignore[no-untyped-def]
    """The reception desk, logged in (its own client: a test may use several roles)."""
    return signed_in(receptionist)


@pytest.fixture
def physio_client(physio) -> Client:  # type: ignore[no-untyped-def]
    return signed_in(physio)


@pytest.fixture
def coordinator_client(coordinator_bornem) -> Client:  # type: ignore[no-untyped-def]
    return signed_in(coordinator_bornem)


@pytest.fixture
def manager_client(manager) -> Client:  # type: ignore[no-untyped-def]
    return signed_in(manager)


@pytest.fixture
def demo_switches(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """The two switches ``seed_demo`` needs (``make run`` sets both)."""
    settings.DEBUG = True
    monkeypatch.setenv("BACKPATH_DEMO", "1")

"""Browser tests: Playwright (pytest-playwright) drives Debian's chromium against a live
Django server, with a real SMTP sink and, when REDIS_URL is set, a real Celery worker.

- The browser is ``/usr/bin/chromium`` (installed by ``.ci/run`` with apt-get), never a
  downloaded one. Missing: the tests skip on a laptop and fail in CI
  (``BACKPATH_REQUIRE_SERVICES=1``).
- Every test runs on the live server's transactional database with
  ``serialized_rollback`` (the data migrations' campuses, groups and exercises come back
  for the next test); each module sets ``pytestmark = BROWSER_DB``.
- Staff pages are read in English (language cookie), because the Dutch and French texts
  are still being written; the language test checks nl and fr against the catalogues.
- Screenshots of every main page go to ``var/screenshots/`` (git-ignored).
"""

import email
import email.policy
import io
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from playwright.sync_api import Browser, BrowserType, Playwright, sync_playwright

from tests.conftest import REQUIRE_SERVICES, _missing_service
from tests.factories import PASSWORD, StaffFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"]
PHONE = {"width": 390, "height": 844}
BROWSER_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
MAIL_TIMEOUT = 30.0


# --- the browser -----------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the group
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test``) the browser tests run one after the other in the
    same process, beside the others: two Chromiums at once would starve a 2-core machine."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.xdist_group("browser"))


# pytest-playwright's own fixtures are session-wide; these replace the ones that hold the
# running Playwright, so that it lives for one test only. The reason: between its calls the
# sync API leaves an asyncio loop marked as running in the main thread, and then Django
# (a) refuses ORM calls there (SynchronousOnlyOperation) and (b) keeps its database
# connections in a different, per-context store, without the serialized data that
# ``serialized_rollback`` restores. So Playwright starts after the test database is set
# up and restored, DJANGO_ALLOW_ASYNC_UNSAFE is set only while it runs (a subprocess
# started by another test must not inherit it), and it stops before the database is
# flushed, leaving no loop behind for the tests that follow in this process.
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        _missing_service(f"Chromium ({CHROMIUM}; apt-get install chromium)")
    headed = browser_type_launch_args.get("headless") is False  # pytest --headed
    args = [arg for arg in CHROMIUM_ARGS if not (headed and arg == "--headless")]
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": args}


@pytest.fixture
def playwright(  # type: ignore[no-untyped-def]
    browser_type_launch_args, transactional_db, live_server, _pw_api_request_contexts
) -> Iterator[Playwright]:
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    pw = sync_playwright().start()
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    try:
        yield pw
    finally:
        connections.close_all()  # the ones this test opened while the loop was marked
        pw.stop()
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)  # type: ignore[no-any-return]


@pytest.fixture
def launch_browser(  # type: ignore[no-untyped-def]
    browser_type_launch_args, browser_type
) -> Callable[..., Browser]:
    def launch(**kwargs: Any) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture
def browser_context_args(live_server) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {"base_url": live_server.url, "locale": "nl-BE", "timezone_id": "Europe/Brussels"}


class BrowserErrors(list[str]):
    """Console errors and uncaught exceptions of every page (a CSP violation is one)."""

    def __init__(self) -> None:
        super().__init__()
        self.allowed: list[str] = []

    def allow(self, pattern: str) -> None:
        """An error the test expects from now on (e.g. a 410 page it opens on purpose)."""
        self.allowed.append(pattern)

    def unexpected(self) -> list[str]:
        return [e for e in self if not any(re.search(p, e) for p in self.allowed)]


@pytest.fixture
def browser_errors() -> Iterator[BrowserErrors]:
    """The test fails at teardown if a page logged an error it did not expect."""
    errors = BrowserErrors()
    yield errors
    unexpected = errors.unexpected()
    assert not unexpected, "errors in the browser console:\n" + "\n".join(unexpected)


@pytest.fixture
def open_context(new_context, browser_errors, live_server):  # type: ignore[no-untyped-def]
    """A fresh browser context (own cookies, nobody logged in). ``language``: the
    interface language cookie (``None``: the browser's Accept-Language, i.e. Dutch)."""

    def _open(*, language: str | None = "en", **kwargs: Any) -> Any:
        context = new_context(**kwargs)
        context.set_default_timeout(10_000)
        if language:
            context.add_cookies(
                [{"name": "django_language", "value": language, "url": live_server.url}]
            )

        def on_console(message: Any) -> None:
            if message.type == "error":
                browser_errors.append(
                    f"{message.page.url if message.page else '?'}: {message.text}"
                )

        context.on("console", on_console)
        context.on("weberror", lambda error: browser_errors.append(f"page error: {error.error}"))
        return context

    return _open


SCREENSHOTS = Path(django_settings.VAR_DIR) / "screenshots"


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def shoot(screenshot_dir: Path) -> Callable[[Any, str], Path]:
    """Save a full-page screenshot as ``var/screenshots/<name>.png``."""

    def _shoot(page: Any, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shoot


# --- people ------------------------------------------------------------------------------


@pytest.fixture
def staff(transactional_db):  # type: ignore[no-untyped-def]
    """One account per role, as the tests' personas (password ``tests.factories.PASSWORD``)."""
    return {
        "reception": StaffFactory(
            username="sofie.reception", first_name="Sofie", last_name="Balie", role="reception"
        ),
        "physio": StaffFactory(
            username="an.physio", first_name="An", last_name="Kine", role="physiotherapist"
        ),
        "coord_bornem": StaffFactory(
            username="els.bornem", role="coordinator", campus_code="bornem"
        ),
        "coord_rumst": StaffFactory(
            username="pieter.rumst", role="coordinator", campus_code="rumst"
        ),
        "manager": StaffFactory(username="karin.manager", role="manager"),
    }


def log_in(context: Any, username: str, *, password: str = PASSWORD) -> Any:
    """Log in on the login page as a person does; returns the page on their start page."""
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_load_state()
    return page


# --- mail --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailSink:
    """What a real SMTP server (aiosmtpd) accepted, as parsed messages."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]

    def wait_for(
        self, address: str, *, count: int = 1, pump: Callable[[], Any] | None = None
    ) -> list[email.message.EmailMessage]:
        """The messages to ``address`` once there are ``count``; ``pump`` sends the
        outbox when no worker does."""
        deadline = time.monotonic() + MAIL_TIMEOUT
        while time.monotonic() < deadline:
            if pump is not None:
                pump()
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no {count} e-mail(s) to {address} within {MAIL_TIMEOUT} s")


def text_of(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the e-mail has no plain-text part"
    return str(part.get_content())


def link_in(message: email.message.EmailMessage, pattern: str = r"https?://\S+/q/\S+/") -> str:
    match = re.search(pattern, text_of(message))
    assert match, f"no link matching {pattern} in:\n{text_of(message)}"
    return match.group(0)


@pytest.fixture
def mail_sink(settings, live_server) -> Iterator[MailSink]:  # type: ignore[no-untyped-def]
    """Outgoing mail goes over SMTP to a local aiosmtpd server; links point at the live
    server. (``settings`` changes are process-wide: the live server and the worker
    thread see them too.)"""
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = live_server.url
    try:
        yield sink
    finally:
        controller.stop()


# --- background work ---------------------------------------------------------------------


class Background:
    """The work beat and the worker do in production.

    With Redis (required in CI) a real Celery worker runs in a thread on the real broker
    and sends every e-mail the outbox queues; without it, ``pump`` runs the worker's code
    (the outbox drain) in this process. The sweep beat would start every minute is run
    the way the README shows, ``manage.py run_followups --now ...``.
    """

    def __init__(self, worker: Any = None) -> None:
        self.worker = worker

    def sweep(self, now: Any) -> None:
        args = ["--now", now.isoformat()]
        if self.worker is not None:
            args.append("--no-send")  # the worker sends, from the drain task the sweep queues
        call_command("run_followups", *args, stdout=io.StringIO())

    def pump(self) -> None:
        if self.worker is None:
            from outbox import drain as outbox

            outbox.send_due_emails(timezone.now())


@pytest.fixture
def background(transactional_db) -> Iterator[Background]:  # type: ignore[no-untyped-def]
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if REQUIRE_SERVICES:
            _missing_service("Redis (REDIS_URL) for the browser tests' Celery worker")
        yield Background()
        return
    import redis
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _missing_service(f"Redis at {url} ({exc})")
    assert app.conf.broker_url.startswith("redis://")
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING") as worker:
        yield Background(worker)

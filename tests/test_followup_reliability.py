"""The follow-up engine under faults, against the real PostgreSQL, Redis and Celery.

Workers run as subprocesses (``celery worker --pool=solo``) on the pytest-django test
database, so they can be killed for real; mail goes to a real SMTP server (aiosmtpd).
"""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import time as wall_clock
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from config.celery import app
from followups import services
from followups.models import FollowUp, FollowUpState, QuestionnaireLink
from followups.schedule import local_at
from followups.tasks import run_followup_sweep
from outbox.drain import send_due_emails
from outbox.models import EmailState, OutboundEmail
from outbox.tasks import send_queued_emails
from tests.factories import make_follow_up
from tests.test_outbox import SmtpSink, free_port, running_smtp_sink

BASE_DIR = Path(django_settings.BASE_DIR)
WAIT_SECONDS = 60

# Starts a solo Celery worker; TEST_SWEEP_* slow the sweep down so a test can kill the
# worker while a batch's transaction is open.
WORKER = """
import os, time
import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from followups import services

if os.environ.get("TEST_SWEEP_BATCH_SIZE"):
    services.SWEEP_BATCH_SIZE = int(os.environ["TEST_SWEEP_BATCH_SIZE"])
delay = float(os.environ.get("TEST_SWEEP_ROW_DELAY", "0"))
if delay:
    advance = services.advance

    def slow_advance(*args, **kwargs):
        time.sleep(delay)
        return advance(*args, **kwargs)

    services.advance = slow_advance
from config.celery import app

app.worker_main([
    "worker", "--pool=solo", "--loglevel=WARNING", "--without-heartbeat",
    "--without-mingle", "--without-gossip", "-Q", app.conf.task_default_queue,
    "-n", f"followups-test-{os.getpid()}@%h",
])
"""


def worker_database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def service_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "BACKPATH_TESTING": "1"}
    env.update(extra)
    return env


@contextmanager
def celery_worker(**env: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", WORKER], cwd=BASE_DIR, env=service_env(**env))
    try:
        yield process
    finally:
        # The test has what it needs from the worker; no warm shutdown to wait for.
        process.kill()
        process.wait()


def wait_for(condition: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


@pytest.fixture
def smtp_sink() -> Iterator[tuple[SmtpSink, int]]:
    with running_smtp_sink() as sink_and_port:
        yield sink_and_port


def forget_broker_messages(url: str) -> None:
    """Purge the test queue, and the unacknowledged message of a worker the test killed."""
    with app.connection_for_write(url) as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    redis.Redis.from_url(url).delete("unacked", "unacked_index")


@pytest.fixture
def clean_broker(redis_url: str) -> Iterator[str]:
    forget_broker_messages(redis_url)
    yield redis_url
    forget_broker_messages(redis_url)


def yesterday_noon() -> datetime:
    """A moment inside the mail window that the real clock has already passed."""
    return local_at(timezone.localdate() - timedelta(days=1), wall_clock(12, 0))


def due_follow_ups(count: int) -> list[FollowUp]:
    """Follow-ups that fell due yesterday at 09:00."""
    intake_date = timezone.localdate() - timedelta(days=43)
    return [make_follow_up(intake_date=intake_date) for _ in range(count)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_the_same_time_invite_each_follow_up_once(postgres, monkeypatch):
    follow_ups = due_follow_ups(40)
    monkeypatch.setattr(services, "SWEEP_BATCH_SIZE", 7)
    advance = services.advance

    def slow_advance(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.002)  # keeps both sweeps inside their batches at the same time
        return advance(*args, **kwargs)

    monkeypatch.setattr(services, "advance", slow_advance)
    now = yesterday_noon()
    start = threading.Barrier(2)
    reports: list[services.SweepReport] = []

    def sweep() -> None:
        try:
            start.wait()
            reports.append(services.run_sweep(now))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(report["invited"] for report in reports) == len(follow_ups)
    assert set(FollowUp.objects.values_list("state", flat=True)) == {FollowUpState.INVITED}
    keys = Counter(OutboundEmail.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(follow_ups)
    assert set(keys.values()) == {1}
    assert QuestionnaireLink.objects.count() == len(follow_ups)

    def send() -> None:
        try:
            start.wait()
            send_due_emails()
        finally:
            connection.close()

    start.reset()
    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recipients = Counter(message.to[0] for message in mail.outbox)
    assert len(recipients) == len(follow_ups)
    assert set(recipients.values()) == {1}, "an invitation went out twice"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing_and_sends_no_duplicate(
    postgres, clean_broker, smtp_sink
):
    sink, smtp_port = smtp_sink
    batch = 10
    follow_ups = due_follow_ups(3 * batch)
    now = yesterday_noon().isoformat()
    invited = FollowUp.objects.filter(state=FollowUpState.INVITED)

    with celery_worker(
        TEST_SWEEP_BATCH_SIZE=str(batch),
        TEST_SWEEP_ROW_DELAY="0.1",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
    ) as worker:
        run_followup_sweep.delay(now)
        wait_for(lambda: invited.count() >= batch, "the first batch to commit")
        time.sleep(0.3)  # well inside the second batch (1 s long)
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    done = invited.count()
    assert 0 < done < len(follow_ups)
    assert done % batch == 0, "a batch was half saved"
    assert OutboundEmail.objects.count() == done
    assert QuestionnaireLink.objects.count() == done

    with celery_worker(EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}"):
        run_followup_sweep.delay(now)
        sent = OutboundEmail.objects.filter(state=EmailState.SENT)
        wait_for(lambda: sent.count() == len(follow_ups), "every invitation to be sent")
        wait_for(lambda: len(sink.recipients()) >= len(follow_ups), "the SMTP server")
        time.sleep(0.5)  # room for a duplicate to show up

    assert invited.count() == len(follow_ups)
    expected = sorted(f.episode.patient.email for f in follow_ups)
    assert sorted(sink.recipients()) == expected, "lost or duplicated invitations"


def start_redis(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=1)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    wait_for(up, f"redis-server on port {port}", seconds=10)
    return server


def stop_redis(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=10)


BROKER_DOWN_WEB = """
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from outbox.services import queue_email
from tests.factories import PatientFactory, make_intake

make_intake(
    PatientFactory(email="intake@example.org"),
    intake_date=timezone.localdate() - timedelta(days=43),
)
with transaction.atomic():
    queue_email(
        to="waiting@example.org",
        language="nl",
        template="followup_reminder",
        context={"first_name": "Els", "questionnaire_url": "http://x/q/t/",
                 "expires_on": "2026-12-15", "weeks": 6, "reminder_number": 1},
        idempotency_key="queued-while-the-broker-was-down",
    )
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_broker_down_intakes_save_follow_ups_fall_due_and_mail_goes_out_after(
    postgres, smtp_sink
):
    if shutil.which("redis-server") is None:
        from tests.conftest import _missing_service

        _missing_service("redis-server (to start a broker of the test's own)")
    sink, smtp_port = smtp_sink
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    stop_redis(start_redis(port))  # the broker goes down

    started = time.monotonic()
    web = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", BROKER_DOWN_WEB],
        cwd=BASE_DIR,
        env=service_env(CELERY_BROKER_URL=broker),
        capture_output=True,
        timeout=WAIT_SECONDS,
    )
    assert web.returncode == 0, web.stderr.decode()
    assert time.monotonic() - started < 30, "saving waited for the broker"
    follow_up = FollowUp.objects.get(episode__patient__email="intake@example.org")
    assert follow_up.state == FollowUpState.SCHEDULED
    assert FollowUp.objects.needing_action(yesterday_noon(), mail_allowed=True).get() == follow_up
    assert OutboundEmail.objects.get().state == EmailState.QUEUED
    assert sink.recipients() == []

    server = start_redis(port)  # the broker is back
    try:
        with celery_worker(CELERY_BROKER_URL=broker, EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}"):
            # What beat does every minute, on the broker that came back.
            with app.connection_for_write(broker) as beat:
                run_followup_sweep.apply_async(
                    kwargs={"now": yesterday_noon().isoformat()}, connection=beat
                )
                send_queued_emails.apply_async(connection=beat)
            sent = OutboundEmail.objects.filter(state=EmailState.SENT)
            wait_for(lambda: sent.count() == 2, "both mails to go out")
    finally:
        stop_redis(server)

    assert sorted(sink.recipients()) == ["intake@example.org", "waiting@example.org"]
    assert FollowUp.objects.get(pk=follow_up.pk).state == FollowUpState.INVITED
    assert set(OutboundEmail.objects.values_list("state", flat=True)) == {EmailState.SENT}

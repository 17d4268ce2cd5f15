"""The follow-up sweep and e-mail delivery, through a real Celery worker on Redis.

- Sweep throughput: 100,000 follow-ups (x scale) fall due at once; the bench enqueues
  ``followups.tasks.run_followup_sweep`` (what beat sends every minute) to a worker
  subprocess and waits until every invitation is in the outbox. A sweep run stops after
  its batch budget; the next tick's runs are enqueued up front and run one after the
  other (worker concurrency 1 for this part), as back-to-back beat ticks would.
- Sweep scaling: the same 10,000 due rows among 100,000 and among 1,000,000 not-due
  follow-ups (scheduled, due later: rows the sweep's index holds but must not touch).
- SMTP: the queued invitations are delivered by ``send_queued_emails`` (the outbox
  drain the sweep asks for after each batch) in a worker with concurrency 2, as in the
  Procfile, to an aiosmtpd sink in its own process; messages per second between the
  first and the last message the drains stamped ``sent_at``. The floor: the same sink
  taking one pre-rendered invitation over and over on one connection, right before and
  right after the drains (the mean of the two).

The drain tasks are routed to a queue of their own (``bench-mail``) in the bench's
worker, so that the sweep part measures the sweep and the mail part the mail.

Due rows belong to patients and episodes the bench adds (copies of loaded patients
who can be e-mailed, with an episode in treatment); not-due rows are second follow-ups
of loaded episodes. Everything the bench adds is deleted afterwards (``reset``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from bench.dataset import reset, scalar, sql
from outbox.messages import build_message
from outbox.models import OutboundEmail

BASE_DIR = Path(__file__).resolve().parent.parent
MAIL_QUEUE = "bench-mail"
WAIT_SECONDS = 1800
# A busy machine can take minutes to start a worker (Django, Celery, the pool).
WORKER_START_SECONDS = 300

WORKER = """
import os
import django

django.setup()
from config.celery import app

app.conf.task_routes = {
    "outbox.tasks.send_email": {"queue": "bench-mail"},
    "outbox.tasks.send_queued_emails": {"queue": "bench-mail"},
}
app.worker_main([
    "worker", "--loglevel=WARNING", "--without-heartbeat", "--without-mingle",
    "--without-gossip", "-Q", os.environ["BENCH_QUEUE"], "--concurrency",
    os.environ["BENCH_CONCURRENCY"], "-n", f"bench-{os.getpid()}@%h",
])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def purge_queues() -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        for queue in (app.conf.task_default_queue, MAIL_QUEUE):
            try:
                conn.default_channel.queue_purge(queue)
            except Exception:  # noqa: S110 - a queue that does not exist yet
                pass
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.REDIS_URL).delete("unacked", "unacked_index")


def add_due(count: int, due: datetime) -> tuple[int, int]:
    """``count`` new patients (copies of mailable loaded ones, no INSZ) in treatment, each
    with a six-week follow-up due at ``due``; returns the follow-ups' id range."""
    first_patient = scalar("SELECT coalesce(max(id), 0) + 1 FROM intake_patient")
    sql(
        """
        INSERT INTO intake_patient (id, insz, no_insz_reason, first_name, last_name, name_key,
            last_name_key, birth_date, sex, language, email, phone, postcode, gp_name,
            gp_practice, gp_email, gp_unknown, email_consent, email_consent_at, created_at,
            campus_preference_id, created_by_id)
        SELECT %(first)s - 1 + row_number() OVER (ORDER BY id), NULL, 'bench: sweep', first_name,
            last_name, name_key, last_name_key, birth_date, sex, language, email, phone,
            postcode, gp_name, gp_practice, gp_email, gp_unknown, true, %(at)s, %(at)s, NULL,
            created_by_id
        FROM intake_patient WHERE email <> '' AND email_consent ORDER BY id LIMIT %(n)s
        """,
        {"first": first_patient, "at": due - timedelta(days=42), "n": count},
    )
    sql(
        """
        INSERT INTO intake_episode (id, intake_date, state, opened_at, closed_at, physio_id,
            patient_id)
        SELECT id, %(day)s, 'in_treatment', %(at)s, NULL, NULL, id
        FROM intake_patient WHERE id >= %(first)s
        """,
        {
            "first": first_patient,
            "day": (due - timedelta(days=42)).date(),
            "at": due - timedelta(days=42),
        },
    )
    first = scalar("SELECT coalesce(max(id), 0) + 1 FROM followups_followup")
    sql(
        """
        INSERT INTO followups_followup (id, number, due_at, state, next_action_at, created_at,
            reminders_sent, call_reason, call_attempts, last_call_result, call_note,
            answered_via, outcome, outcome_reasons, outcome_disposition, rule_version,
            episode_id)
        SELECT %(first)s - 1 + row_number() OVER (ORDER BY id), 1, %(due)s, 'scheduled',
            %(due)s, %(created)s, 0, '', 0, '', '', '', '', '[]', '', '', id
        FROM intake_episode WHERE id >= %(first_episode)s
        """,
        {
            "first": first,
            "due": due,
            "created": due - timedelta(days=42),
            "first_episode": first_patient,
        },
    )
    last = scalar("SELECT max(id) FROM followups_followup")
    _fix_sequences()
    return first, last


def add_not_due(target: int, now: datetime) -> int:
    """Top up the scheduled, not yet due follow-ups to ``target`` with second follow-ups
    of loaded episodes, due over the coming year; returns how many there are now."""
    current = not_due_count(now)
    missing = target - current
    if missing > 0:
        sql(
            """
            INSERT INTO followups_followup (number, due_at, state, next_action_at, created_at,
                reminders_sent, call_reason, call_attempts, last_call_result, call_note,
                answered_via, outcome, outcome_reasons, outcome_disposition, rule_version,
                episode_id)
            SELECT 2, d, 'scheduled', d, %(now)s, 0, '', 0, '', '', '', '', '[]', '', '', e.id
            FROM (
                SELECT e.id, %(now)s + (1 + (e.id * 7919) %% 360) * interval '1 day' AS d
                FROM intake_episode e
                WHERE NOT EXISTS (
                    SELECT 1 FROM followups_followup f WHERE f.episode_id = e.id AND f.number = 2
                ) AND e.id <= %(loaded)s
                ORDER BY e.id LIMIT %(n)s
            ) e
            """,
            {"now": now, "n": missing, "loaded": scalar("SELECT max(id) FROM intake_episode")},
        )
    sql("ANALYZE followups_followup")
    return not_due_count(now)


def not_due_count(now: datetime) -> int:
    return int(
        scalar(
            "SELECT count(*) FROM followups_followup WHERE state IN "
            "('scheduled', 'invited', 'reminded') AND next_action_at > %s",
            [now],
        )
    )


# Mail the bench added: every row above the loaded ones belongs to the bench's due rows
# (the outbox names a follow-up only in its ``reference`` text).
ADDED_MAIL = (
    "id > (SELECT (value::jsonb ->> 'followups_outboundemail')::bigint FROM bench_meta "
    "WHERE key = 'max_ids')"
)


def rewind(first: int, last: int, due: datetime) -> None:
    """Put the due rows back as they were before a sweep (links and mail deleted)."""
    sql(f"DELETE FROM followups_outboundemail WHERE {ADDED_MAIL}")  # noqa: S608 - constant
    sql(
        "DELETE FROM followups_questionnairelink WHERE follow_up_id BETWEEN %s AND %s",
        [first, last],
    )
    sql(
        """
        UPDATE followups_followup SET state = 'scheduled', next_action_at = %s,
            invited_at = NULL, link_expires_at = NULL
        WHERE id BETWEEN %s AND %s
        """,
        [due, first, last],
    )
    sql("VACUUM ANALYZE followups_followup")


def _fix_sequences() -> None:
    for table in ("intake_patient", "intake_episode", "followups_followup"):
        sql(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {table}))",  # noqa: S608
            [table],
        )


def invitations() -> int:
    return int(
        scalar(
            f"SELECT count(*) FROM followups_outboundemail WHERE {ADDED_MAIL} "  # noqa: S608
            "AND template = 'followup_invitation'"
        )
    )


# --- processes --------------------------------------------------------------------------


@contextmanager
def worker(queue: str, concurrency: int, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", WORKER],
        cwd=BASE_DIR,
        env={**os.environ, "BENCH_QUEUE": queue, "BENCH_CONCURRENCY": str(concurrency), **env},
    )
    try:
        wait_ready(process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(process: subprocess.Popen[bytes]) -> None:
    from config.celery import app

    deadline = time.monotonic() + WORKER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the Celery worker exited while starting")
        replies = app.control.ping(timeout=0.5)
        if any(f"bench-{process.pid}@" in name for reply in replies for name in reply):
            return
    raise RuntimeError(f"the Celery worker did not answer a ping within {WORKER_START_SECONDS} s")


@contextmanager
def smtp_sink(port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-m", "bench.smtpsink", str(port)],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
    )
    try:
        if process.stdout is not None:
            process.stdout.readline()  # "ready"
        yield process
    finally:
        process.terminate()
        process.wait()


def wait_for(
    condition: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS, poll: float = 0.05
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(poll)
    raise RuntimeError(f"timed out after {seconds} s waiting for {what}")


def sweep_through_worker(first: int, last: int, now: datetime) -> float:
    """Enqueue the sweep as beat does, runs back to back until every due row of
    ``first..last`` has its invitation in the outbox; returns the seconds it took."""
    from followups import services
    from followups.tasks import run_followup_sweep

    count = last - first + 1
    per_run = services.SWEEP_BATCH_SIZE * services.SWEEP_MAX_BATCHES
    started = time.perf_counter()
    for _run in range(math.ceil(count / per_run) + 1):
        run_followup_sweep.apply_async(kwargs={"now": now.isoformat()}, expires=WAIT_SECONDS)
    # Polled twice a second: the count reads up to 100,000 rows, and polling it every
    # 50 ms took a quarter of a core from the sweep it measures (two cores in all). The
    # figure errs on the slow side by at most the half second.
    wait_for(lambda: invitations() >= count, f"{count} invitations", poll=0.5)
    return time.perf_counter() - started


# --- the floors: what the database and the sink take without the application -----------


def copy_floor(first: int, last: int, now: datetime) -> float:
    """Follow-ups per second PostgreSQL takes the sweep's writes at with ``COPY``: the
    state change (COPY into a temporary table, one UPDATE … FROM), the link row and the
    outbox row of each due row ``first..last``; rolled back, so the rows stay due.
    Rows are prepared before the clock starts: the floor is the database's part alone."""
    expires = now + timedelta(days=14)
    ids = list(range(first, last + 1))
    states = [(i, "invited", now, expires, now + timedelta(days=3)) for i in ids]
    links = [(i, hashlib.sha256(str(i).encode()).hexdigest(), now, expires) for i in ids]
    mail = [
        (
            f"p{i}@example.org",
            "nl",
            "followup_invitation",
            json.dumps({"first_name": "An", "questionnaire_url": f"https://x/q/{i}/"}),
            f"floor-{i}",
            "queued",
            0,
            "",
            now,
            now,
            i,
            f"followup:{i}",
            "[]",
        )
        for i in ids
    ]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        cursor.execute(
            "CREATE TEMPORARY TABLE floor_state (id bigint, state varchar(20), "
            "invited_at timestamptz, link_expires_at timestamptz, next_action_at timestamptz) "
            "ON COMMIT DROP"
        )
        with raw.copy("COPY floor_state FROM STDIN") as copy:
            for row in states:
                copy.write_row(row)
        cursor.execute(
            "UPDATE followups_followup f SET state = s.state, invited_at = s.invited_at, "
            "link_expires_at = s.link_expires_at, next_action_at = s.next_action_at "
            "FROM floor_state s WHERE f.id = s.id"
        )
        with raw.copy(
            "COPY followups_questionnairelink (follow_up_id, token_hash, created_at, expires_at) "
            "FROM STDIN"
        ) as copy:
            for row in links:
                copy.write_row(row)
        with raw.copy(
            "COPY followups_outboundemail (recipient, language, template, context, "
            "idempotency_key, state, attempts, last_error, next_attempt_at, created_at, "
            "patient_id, reference, attachments) FROM STDIN"
        ) as copy:
            for row in mail:
                copy.write_row(row)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return len(ids) / seconds


def raw_message() -> tuple[str, list[str], bytes]:
    """One of the bench's queued invitations, built as the drain builds it in full
    (``build_message``): sender, recipients and the bytes sent."""
    email = OutboundEmail.objects.filter(state="queued").order_by("-id").first()
    if email is None:
        raise RuntimeError("no queued e-mail to send to the sink")
    message = build_message(email)
    return message.from_email, message.recipients(), message.message().as_bytes(linesep="\r\n")


def sink_raw_rate(port: int, count: int, message: tuple[str, list[str], bytes]) -> float:
    """Messages per second the SMTP sink takes over one connection: ``message`` sent
    ``count`` times as it is (no rendering, no database)."""
    sender, recipients, data = message
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        started = time.perf_counter()
        for _ in range(count):
            smtp.sendmail(sender, recipients, data)
        return count / (time.perf_counter() - started)


# --- the measurements -------------------------------------------------------------------


def measure(context: dict[str, Any], *, sweep: bool, smtp: bool) -> dict[str, Any]:
    log, factor, meta = context["log"], context["factor"], context["meta"]
    now = datetime.fromisoformat(meta["as_of"])
    due_at = now - timedelta(minutes=1)
    throughput_rows = int(100_000 * factor)
    scaling_rows = int(10_000 * factor)
    results: dict[str, Any] = {}
    port = free_port()
    env = {"EMAIL_URL": f"smtp://127.0.0.1:{port}"}
    reset(meta)
    purge_queues()
    try:
        with worker("celery", 1, **env):
            first, last = add_due(throughput_rows, due_at)
            log(
                f"sweep: {throughput_rows:,} follow-ups due at once "
                f"({not_due_count(now):,} scheduled for later, "
                f"{scalar('SELECT count(*) FROM followups_followup'):,} in the table)"
            )
            floor = copy_floor(first, last, now)
            results["sweep_floor_rows_per_s"] = round(floor)
            log(f"  floor: PostgreSQL takes the same writes with COPY at {floor:,.0f} rows/s")
            seconds = sweep_through_worker(first, last, now)
            results["sweep_rows_per_s"] = round(throughput_rows / seconds)
            results["sweep_seconds"] = round(seconds, 2)
            log(
                f"  {throughput_rows:,} invitations in {seconds:.2f} s: "
                f"{results['sweep_rows_per_s']:,} follow-ups/s"
            )
        if smtp:
            results.update(measure_smtp(context, port, env, first, last))
        if sweep:
            reset(meta)
            purge_queues()
            with worker("celery", 1, **env):
                results.update(measure_scaling(context, scaling_rows, now, due_at))
    finally:
        purge_queues()
        reset(meta)
    return results


def measure_scaling(
    context: dict[str, Any], due_rows: int, now: datetime, due_at: datetime
) -> dict[str, Any]:
    log, factor = context["log"], context["factor"]
    results: dict[str, Any] = {}
    first, last = add_due(due_rows, due_at)
    for label, target in (("100k", int(100_000 * factor)), ("1m", int(1_000_000 * factor))):
        not_due = add_not_due(target, now)
        rewind(first, last, due_at)
        seconds = sweep_through_worker(first, last, now)
        results[f"sweep_10k_among_{label}_s"] = round(seconds, 3)
        results[f"sweep_not_due_rows_{label}"] = not_due
        log(f"  {due_rows:,} due among {not_due:,} not due: {seconds:.3f} s")
    results["sweep_ratio_1m_100k"] = round(
        results["sweep_10k_among_1m_s"] / results["sweep_10k_among_100k_s"], 2
    )
    return results


def measure_smtp(
    context: dict[str, Any], port: int, env: dict[str, str], first: int, last: int
) -> dict[str, Any]:
    log, factor = context["log"], context["factor"]
    sample = max(1000, int(2_000 * factor))
    queued = int(scalar("SELECT count(*) FROM followups_outboundemail WHERE state = 'queued'"))
    sample = min(sample, queued)

    def sent() -> int:
        return int(
            scalar(
                f"SELECT count(*) FROM followups_outboundemail WHERE {ADDED_MAIL} "  # noqa: S608
                "AND state = 'sent'"
            )
        )

    message = raw_message()
    with smtp_sink(port):
        # The floor right before and right after the drains (the machine's load moves in
        # between): the mean of the two.
        before = sink_raw_rate(port, sample, message)
        with worker(MAIL_QUEUE, 2, **env):
            # The drains the sweep asked for are waiting in the mail queue; the worker
            # starts on them as soon as it is up.
            wait_for(lambda: sent() >= sample, f"{sample} messages sent", poll=0.5)
        after = sink_raw_rate(port, sample, message)
    raw = (before + after) / 2
    log(
        f"smtp: the sink takes {raw:,.0f} pre-rendered messages/s over one connection "
        f"({before:,.0f} before the drains, {after:,.0f} after)"
    )
    # The drain stamps each message when the sink has accepted it: the rate between the
    # first and the last stamp is the delivery rate, whenever the worker came up and
    # however often this process looked.
    done, first_sent, last_sent = sql(
        "SELECT count(*), min(sent_at), max(sent_at) FROM followups_outboundemail "  # noqa: S608
        f"WHERE {ADDED_MAIL} AND state = 'sent'"
    )[0]
    seconds = (last_sent - first_sent).total_seconds()
    rate = (done - 1) / seconds
    log(
        f"smtp: {done:,} messages to the sink in {seconds:.2f} s: {rate:,.0f} messages/s "
        f"({queued:,} were queued)"
    )
    return {
        "smtp_msgs_per_s": round(rate),
        "smtp_messages": done,
        "smtp_sink_raw_msgs_per_s": round(raw),
    }

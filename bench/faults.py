"""Fault runs of the outbox on a production-like stack (issue 17; docs/operations.md).

``python -m bench.faults [--follow-ups 4000] [scenario ...]`` starts, in a database of
its own (``FAULTS_DATABASE_URL``, default ``…/backpath_faults``): a redis-server on a
free port, gunicorn (``config/gunicorn.py``), ``celery worker --concurrency=2`` and
beat as in the Procfile, with DEBUG off, and an aiosmtpd sink that logs every
Message-ID (``bench.faultsink``). Each scenario makes its follow-ups fall due at once,
injects its fault while the invitations go out, and reports delivered / duplicates /
lost and the time until the outbox is empty.

Scenarios: baseline, kill (SIGKILL the worker mid-SMTP, restart it 5 s later as a
supervisor would), greylist (every 50th address 451 at first), dbkill
(``pg_terminate_backend`` twice), redis-freeze (SIGSTOP 60 s, a desk page and a patient
link timed meanwhile), slow (a relay taking 50 ms per mail: drains outlive the lease).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var" / "faults"
BIN = Path(sys.executable).parent
SCENARIOS = ("baseline", "kill", "greylist", "dbkill", "redis-freeze", "slow")
WAIT_SECONDS = 15 * 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


class Stack:
    def __init__(self, database_url: str) -> None:
        VAR.mkdir(parents=True, exist_ok=True)
        self.redis_port = free_port()
        self.smtp_port = free_port()
        self.web_port = free_port()
        self.sink_log = VAR / "sink.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp_port}",
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "faults-" + secrets.token_urlsafe(32)),
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "BACKPATH_VAR_DIR": str(VAR),
            "STATIC_ROOT": str(VAR / "static"),
            "LOG_LEVEL": "WARNING",
            "SITE_URL": f"http://127.0.0.1:{self.web_port}",
        }
        self.env.pop("BACKPATH_TESTING", None)
        self.env.pop("CELERY_BROKER_URL", None)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, command: list[str], **kwargs: Any) -> None:
        out = open(VAR / f"{name}.log", "ab")  # the process's log
        self.processes[name] = subprocess.Popen(  # our own programs
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=kwargs.pop("stdout", out),
            stderr=out,
            start_new_session=True,
            **kwargs,
        )

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def signal(self, name: str, sig: int) -> None:
        os.kill(self.processes[name].pid, sig)

    def start_redis(self) -> None:
        self.start(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", ""],
        )
        wait_for(lambda: _connects(self.redis_port), "redis-server", 10)

    def start_sink(self, *options: str) -> None:
        self.start(
            "sink",
            [sys.executable, "-m", "bench.faultsink", str(self.smtp_port), str(self.sink_log)]
            + list(options),
            stdout=subprocess.PIPE,
        )
        stdout = self.processes["sink"].stdout
        if stdout is not None:
            stdout.readline()  # "ready"

    def start_worker(self) -> None:
        self.start(
            "worker",
            [str(BIN / "celery"), "-A", "config", "worker", "-l", "WARNING", "--concurrency=2"],
        )

    def start_all(self) -> None:
        self.start_redis()
        self.start_sink()
        self.start_worker()
        self.start(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel=WARNING",
                "--schedule",
                str(VAR / "beat-schedule"),
            ],
        )
        self.start(
            "web",
            [
                str(BIN / "gunicorn"),
                "-c",
                "config/gunicorn.py",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                "2",
            ],
        )
        wait_for(lambda: _connects(self.web_port), "gunicorn", 60)

    def stop_all(self) -> None:
        for name in ("web", "beat", "worker", "sink", "redis"):
            self.stop(name)


def _connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_for(condition: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise RuntimeError(f"timed out after {seconds} s waiting for {what}")


def prepare(stack: Stack) -> None:
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=BASE_DIR, env=stack.env, check=True
        )
    os.environ.update(stack.env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


def make_due(prefix: str, count: int) -> list[str]:
    """``count`` follow-ups due since yesterday 09:00; their patients' addresses.

    One follow-up is made the way the desk makes it (``make_follow_up``: patient,
    intake, episode, follow-up), then copied in bulk with a patient of its own each.
    """
    from django.db import transaction
    from django.utils import timezone

    from followups.models import FollowUp
    from intake.models import Episode, Patient
    from tests.factories import make_follow_up

    intake_date = timezone.localdate() - timedelta(days=43)
    addresses = [f"{prefix}{number:05d}@example.org" for number in range(count)]
    model = make_follow_up(intake_date=intake_date, email=addresses[0])
    episode = model.episode
    patient = episode.patient
    with transaction.atomic():
        patients = []
        for number, address in enumerate(addresses[1:], start=1):
            copy = Patient.objects.get(pk=patient.pk)
            copy.pk = None
            copy.insz = None
            copy.email = address
            copy.last_name = f"{patient.last_name}-{number}"
            patients.append(copy)
        Patient.objects.bulk_create(patients, batch_size=1000)
        episodes = []
        for copy in patients:
            twin = Episode.objects.get(pk=episode.pk) if not episodes else _copy(episodes[0])
            twin.pk = None
            twin.patient = copy
            episodes.append(twin)
        Episode.objects.bulk_create(episodes, batch_size=1000)
        follow_ups = []
        for twin in episodes:
            follow_up = _copy(model)
            follow_up.pk = None
            follow_up.episode = twin
            follow_ups.append(follow_up)
        FollowUp.objects.bulk_create(follow_ups, batch_size=1000)
    return addresses


def _copy(instance: Any) -> Any:
    import copy

    return copy.copy(instance)


def pending() -> int:
    from followups.models import FollowUp, FollowUpState
    from outbox.models import PENDING_EMAIL_STATES, OutboundEmail

    waiting_mail = OutboundEmail.objects.filter(state__in=PENDING_EMAIL_STATES).count()
    return waiting_mail + FollowUp.objects.filter(state=FollowUpState.SCHEDULED).count()


def received(stack: Stack, prefix: str) -> list[tuple[str, str]]:
    if not stack.sink_log.exists():
        return []
    lines = stack.sink_log.read_text().splitlines()
    return [
        (parts[0], parts[1])
        for parts in (line.split(" ", 1) for line in lines)
        if len(parts) == 2 and parts[1].startswith(prefix)
    ]


def report(stack: Stack, prefix: str, addresses: list[str]) -> dict[str, Any]:
    got = received(stack, prefix)
    by_address = Counter(address for _mid, address in got)
    by_message_id = Counter(mid for mid, _address in got)
    return {
        "delivered": len(by_address),
        "duplicates": sum(n - 1 for n in by_address.values()),
        "duplicate_message_ids_differ": sum(n - 1 for n in by_message_id.values())
        != sum(n - 1 for n in by_address.values()),
        "lost": len(set(addresses) - set(by_address)),
    }


def run_scenario(stack: Stack, name: str, count: int) -> dict[str, Any]:
    prefix = f"{name.replace('-', '')}{int(time.time()) % 100000}x"
    if name == "greylist":
        stack.stop("sink")
        stack.start_sink("--greylist-every", "50")
    elif name == "slow":
        stack.stop("sink")
        stack.start_sink("--delay", "0.05")
    log(f"{name}: making {count} follow-ups due")
    addresses = make_due(prefix, count)
    started = time.monotonic()
    notes: dict[str, Any] = {}
    fault_at = started

    def out() -> int:
        return len(received(stack, prefix))

    if name == "kill":
        wait_for(lambda: out() >= count // 4, "a quarter of the mail out")
        fault_at = time.monotonic()
        notes["received_at_kill"] = out()
        stack.stop("worker", signal.SIGKILL)
        time.sleep(5)
        stack.start_worker()
    elif name == "dbkill":
        for share in (4, 2):
            wait_for(lambda share=share: out() >= count // share, f"1/{share} of the mail out")
            fault_at = time.monotonic()
            notes.setdefault("terminated", []).append(terminate_backends())
    elif name == "redis-freeze":
        wait_for(lambda: out() >= count // 4, "a quarter of the mail out")
        notes.update(freeze_redis(stack, seconds=60))
        fault_at = time.monotonic()  # Redis is back
    wait_for(lambda: pending() == 0, "the outbox to empty")
    emptied = time.monotonic()
    time.sleep(3)  # room for a late duplicate
    result = {
        "scenario": name,
        "follow_ups": count,
        **report(stack, prefix, addresses),
        "seconds_to_empty_from_start": round(emptied - started, 1),
        "seconds_to_empty_after_fault": round(emptied - fault_at, 1),
        **notes,
    }
    if name in ("greylist", "slow"):
        stack.stop("sink")
        stack.start_sink()
    log(f"{name}: {result}")
    return result


def terminate_backends() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def freeze_redis(stack: Stack, *, seconds: float) -> dict[str, Any]:
    """SIGSTOP Redis for ``seconds``; meanwhile reception e-mails an intake link and a
    patient opens one, through gunicorn. Returns their status codes and durations."""
    import requests
    from django.test import Client

    from tests.factories import PatientFactory, StaffFactory

    base = f"http://127.0.0.1:{stack.web_port}"
    receptionist = StaffFactory(username=f"faults-{secrets.token_hex(4)}", role="reception")
    patient = PatientFactory(email=f"freeze{secrets.token_hex(4)}@example.org")
    client = Client()
    client.force_login(receptionist)
    desk = requests.Session()
    desk.cookies.set("sessionid", client.cookies["sessionid"].value)
    desk.get(f"{base}/reception/", timeout=30)
    desk.headers["X-CSRFToken"] = desk.cookies["csrftoken"]
    desk.headers["Referer"] = base + "/reception/"

    def timed(call: Callable[[], Any]) -> tuple[Any, float]:
        begin = time.monotonic()
        response = call()
        return response, round(time.monotonic() - begin, 2)

    stack.signal("redis", signal.SIGSTOP)
    frozen_at = time.monotonic()
    try:
        page, desk_seconds = timed(
            lambda: desk.post(f"{base}/reception/patients/{patient.pk}/intake-link/", timeout=60)
        )
        link = _intake_url(page.text)
        opened, link_seconds = timed(lambda: requests.get(link, timeout=60))
        time.sleep(max(0.0, seconds - (time.monotonic() - frozen_at)))
    finally:
        stack.signal("redis", signal.SIGCONT)
    return {
        "desk_page": [page.status_code, desk_seconds],
        "patient_link": [opened.status_code, link_seconds],
        "frozen_seconds": round(time.monotonic() - frozen_at, 1),
    }


def _intake_url(html: str) -> str:
    import re

    found = re.search(r"https?://[^\"'<\s]+/intake/[^\"'<\s]+/", html)
    if found is None:
        raise RuntimeError("no intake link on the desk page")
    return found.group(0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--follow-ups", type=int, default=4000)
    args = parser.parse_args()
    database_url = os.environ.get(
        "FAULTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/backpath_faults"
    )
    stack = Stack(database_url)
    prepare(stack)
    results = []
    try:
        stack.start_all()
        for name in args.scenarios:
            results.append(run_scenario(stack, name, args.follow_ups))
    finally:
        stack.stop_all()
    for result in results:
        print(result)


if __name__ == "__main__":
    main()

"""The peer, side by side: "send this in six weeks" as most Celery projects write it,
``apply_async(eta=...)``, on the bench's Redis.

- Enqueue: the same number of invitations the sweep part sends (100,000 x scale), each
  a task with an ETA spread over the next minutes; the seconds it takes.
- Memory: a worker (concurrency 1) takes every ETA task off the queue and holds it in
  its own memory until the ETA; its resident memory (main process and child) once it
  holds them all.
- Duplicates: with the Redis transport's ``visibility_timeout`` shortened to 60 s and
  ETAs 90 s ahead, a 1,000-task sample; each run of a task counts itself in Redis, and a
  task that ran more than once is a duplicate invitation.

Backpath's own figures beside them: the sweep holds nothing in a worker's memory (the
schedule is the ``next_action_at`` column), and its tests show no duplicate.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
QUEUE = "bench-eta"
TASK = "bench.eta_invitation"
RUNS_KEY = "bench:eta:runs"
SPREAD_SECONDS = 600
SAMPLE = 1000
SAMPLE_AHEAD_SECONDS = 90
VISIBILITY_TIMEOUT = 60

WORKER = """
import os
import django

django.setup()
import redis
from config.celery import app

runs = redis.Redis.from_url(os.environ["REDIS_URL"])
options = {"visibility_timeout": int(os.environ["BENCH_VISIBILITY"])} if os.environ.get(
    "BENCH_VISIBILITY") else {}
app.conf.broker_transport_options = {**(app.conf.broker_transport_options or {}), **options}


@app.task(name="bench.eta_invitation")
def eta_invitation(follow_up_id):
    runs.hincrby("bench:eta:runs", str(follow_up_id), 1)


app.worker_main([
    "worker", "--loglevel=WARNING", "--without-heartbeat", "--without-mingle",
    "--without-gossip", "-Q", "bench-eta", "--concurrency", "1", "-n", f"eta-{os.getpid()}@%h",
])
"""


def _redis() -> Any:
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.REDIS_URL)


@contextmanager
def worker(**env: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", WORKER], cwd=BASE_DIR, env={**os.environ, **env}
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(process: subprocess.Popen[bytes]) -> None:
    from config.celery import app

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the ETA worker exited while starting")
        replies = app.control.ping(timeout=0.5)
        if any(f"eta-{process.pid}@" in name for reply in replies for name in reply):
            return
    raise RuntimeError("the ETA worker did not answer a ping within 300 s")


def rss_mb(pid: int) -> float:
    import psutil

    main = psutil.Process(pid)
    total = main.memory_info().rss + sum(c.memory_info().rss for c in main.children(True))
    return round(total / 2**20, 1)


def clear() -> None:
    client = _redis()
    client.delete(QUEUE, RUNS_KEY, "unacked", "unacked_index")


def enqueue(count: int, first_eta: datetime, spread: float) -> float:
    from config.celery import app

    started = time.perf_counter()
    with app.producer_or_acquire() as producer:
        for i in range(count):
            eta = first_eta + timedelta(seconds=spread * i / count)
            app.send_task(TASK, args=[i], eta=eta, queue=QUEUE, producer=producer)
    return time.perf_counter() - started


def wait_until_taken(process: subprocess.Popen[bytes], seconds: float) -> bool:
    client = _redis()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the ETA worker exited")
        if client.llen(QUEUE) == 0:
            return True
        time.sleep(1)
    return False


def measure(context: dict[str, Any]) -> dict[str, Any]:
    log, factor = context["log"], context["factor"]
    count = int(100_000 * factor)
    clear()
    baseline_env = {"BENCH_VISIBILITY": ""}
    try:
        with worker(**baseline_env) as process:
            wait_ready(process)
            time.sleep(2)
            idle = rss_mb(process.pid)
            # ETAs an hour ahead: none runs while the worker holds them.
            seconds = enqueue(count, datetime.now(UTC) + timedelta(hours=1), SPREAD_SECONDS)
            log(f"eta peer: {count:,} apply_async(eta=...) in {seconds:.1f} s")
            taken = wait_until_taken(process, 900)
            time.sleep(2)
            held = rss_mb(process.pid)
        held_all = "all of them" if taken else "not all taken within 15 min"
        log(f"  worker RSS {idle} MB ready and idle, {held} MB holding them ({held_all})")
        clear()
        now = datetime.now(UTC)
        enqueue(SAMPLE, now + timedelta(seconds=SAMPLE_AHEAD_SECONDS), 1)
        with worker(BENCH_VISIBILITY=str(VISIBILITY_TIMEOUT)):
            # Past the ETAs, and long enough for a restored copy to come back and run.
            time.sleep(SAMPLE_AHEAD_SECONDS + 2 * VISIBILITY_TIMEOUT + 30)
            runs = [int(v) for v in _redis().hgetall(RUNS_KEY).values()]
        duplicates = sum(1 for n in runs if n > 1)
        log(
            f"  visibility_timeout {VISIBILITY_TIMEOUT} s, ETAs {SAMPLE_AHEAD_SECONDS} s ahead: "
            f"{len(runs)} of {SAMPLE} ran, {duplicates} more than once"
        )
    finally:
        clear()
    return {
        "eta_peer": {
            "tasks": count,
            "enqueue_s": round(seconds, 2),
            "worker_rss_mb": held,
            "worker_idle_rss_mb": idle,
            "all_held": taken,
            "duplicates": duplicates,
            "sample": SAMPLE,
            "ran": len(runs),
        },
    }

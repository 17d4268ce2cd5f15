"""Real HTTP under load: gunicorn (the production command of docker-compose.yml, DEBUG
off) on the bench database, driven by locust in headless mode.

20 signed-in staff sessions (reception, physiotherapists, coordinators, the manager)
click their usual pages with ~2 s think time for 60 s after a warm-up; then one person
clicks the same mix alone (each click in the next of the 20 sessions, so the same pages
as often; 0.2 s think time: think time does not change a page's latency, and one
person at 2 s would give too few requests for a p95). Reported:
``http_users``, ``http_rps``, ``http_p95_ms`` (loaded), ``http_p95_single_ms``,
``http_errors`` (both runs).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.background import free_port
from bench.pages import search_terms
from bench.timing import signed_in_client

BASE_DIR = Path(__file__).resolve().parent.parent
USERS = 20
RUN_SECONDS = 60
WARM_UP_SECONDS = 10
THINK_SECONDS = 2.0
SINGLE_THINK_SECONDS = 0.2
# Who the 20 are: usernames of the loaded staff, by role.
STAFF = (
    [("reception", f"bench.reception{i}") for i in range(6)]
    + [("physio", f"bench.physio{i}") for i in range(8)]
    + [("coordinator", "bench.coord.bornem"), ("coordinator", "bench.coord.rumst")] * 2
    + [("manager", "bench.manager")] * 2
)


def sessions(count: int) -> list[dict[str, Any]]:
    """Signed-in sessions (both login steps done, as in ``bench.timing``) with the search
    terms reception types."""
    names, insz = search_terms(50)
    out = []
    for role, username in STAFF[:count]:
        client = signed_in_client(username)
        out.append(
            {
                "role": role,
                "cookies": {name: morsel.value for name, morsel in client.cookies.items()},
                "names": names,
                "insz": insz,
            }
        )
    return out


@contextmanager
def gunicorn(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``gunicorn config.wsgi --workers 3`` as docker-compose.yml runs it, on the bench
    settings (the bench database; plain static-file URLs, see bench/settings.py)."""
    process = subprocess.Popen(  # noqa: S603 - our own virtualenv
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env={**os.environ, "ALLOWED_HOSTS": "127.0.0.1,localhost"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)  # noqa: S310
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.5)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def locust(
    port: int,
    users: int,
    seconds: int,
    think: float,
    session_file: Path,
    prefix: Path,
    *,
    whole_mix: bool = False,
) -> dict[str, Any]:
    subprocess.run(  # noqa: S603 - our own virtualenv
        [
            str(Path(sys.executable).parent / "locust"),
            "-f",
            str(BASE_DIR / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "BENCH_SESSIONS": session_file.read_text(),
            "BENCH_THINK_SECONDS": str(think),
            "BENCH_WHOLE_MIX": "1" if whole_mix else "0",
        },
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv", newline="") as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    total = rows["Aggregated"]
    return {
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "rps": round(float(total["Requests/s"]), 2),
        "p95_ms": float(total["95%"]),
        "p50_ms": float(total["50%"]),
        "pages": {
            name: {"n": int(row["Request Count"]), "p95_ms": float(row["95%"])}
            for name, row in rows.items()
            if name != "Aggregated"
        },
    }


def measure(context: dict[str, Any]) -> dict[str, Any]:
    log = context["log"]
    out_dir = BASE_DIR / "var" / "bench" / "http"
    out_dir.mkdir(parents=True, exist_ok=True)
    session_file = out_dir / "sessions.json"
    session_file.write_text(json.dumps(sessions(USERS)))
    port = free_port()
    with gunicorn(port):
        log(f"http: gunicorn (3 workers) on :{port}; locust, {USERS} staff sessions")
        locust(port, USERS, WARM_UP_SECONDS, THINK_SECONDS, session_file, out_dir / "warm")
        loaded = locust(port, USERS, RUN_SECONDS, THINK_SECONDS, session_file, out_dir / "load")
        single = locust(
            port,
            1,
            RUN_SECONDS // 2,
            SINGLE_THINK_SECONDS,
            session_file,
            out_dir / "one",
            whole_mix=True,
        )
    session_file.unlink()
    log(
        f"  {USERS} users: {loaded['requests']} requests, {loaded['rps']} req/s, "
        f"p95 {loaded['p95_ms']} ms, {loaded['errors']} errors; one user: p95 "
        f"{single['p95_ms']} ms ({single['requests']} requests, {single['errors']} errors)"
    )
    return {
        "http_users": USERS,
        "http_rps": loaded["rps"],
        "http_p95_ms": loaded["p95_ms"],
        "http_p95_single_ms": single["p95_ms"],
        "http_errors": loaded["errors"] + single["errors"],
        "http": {"loaded": loaded, "single": single},
    }

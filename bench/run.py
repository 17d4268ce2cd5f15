"""The benchmark run: ``python -m bench [--small] [--reload] [--only PART ...]``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import env

RESULTS = Path(__file__).resolve().parent.parent / "var" / "bench" / "results.json"
PARTS = ("pages", "sweep", "smtp", "intake", "http", "eta")


def log(message: str) -> None:
    print(message, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--small", action="store_true", help="1/100 scale (10,000 patients)")
    parser.add_argument("--reload", action="store_true", help="load the data set again")
    parser.add_argument(
        "--only", nargs="+", choices=PARTS, help="measure only these parts (default: all)"
    )
    parser.add_argument("--load-only", action="store_true", help="load (or check) the data only")
    parser.add_argument("--requests", type=int, default=200, help="requests per page (>= 200)")
    return parser.parse_args(argv)


def ensure_database(url: str) -> None:
    """Create the bench database when it does not exist yet."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            log(f"created database {name}")


def setup_django(*, small: bool = False) -> None:
    env.configure(small=small)
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.requests < 200:
        sys.exit("bench: --requests must be at least 200")
    started = time.perf_counter()
    setup_django(small=args.small)
    from bench import load

    factor = 0.01 if args.small else 1.0
    scale = load.Scale.of(factor)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": "small (1/100)" if args.small else "full",
        "machine": machine(),
    }
    meta = None if args.reload else load.loaded(scale)
    if meta is None:
        log(f"loading {scale.patients:,} patients (COPY) ...")
        meta = load.load(scale, log)
        log(f"loaded in {meta['load_seconds']} s")
    else:
        log(f"reusing the loaded data set ({scale.patients:,} patients, as of {meta['as_of']})")
    results["patients"] = meta["patients"]
    results["load_seconds"] = meta["load_seconds"]
    parts = () if args.load_only else (args.only or PARTS)
    context = {"scale": scale, "factor": factor, "meta": meta, "log": log}

    def save() -> None:  # after each part: an interrupted run keeps what it measured
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({**previous, **results}, indent=2) + "\n")

    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() and args.only else {}
    if "pages" in parts or "http" in parts:
        # What beat does every five minutes in production: the manager's page adds up
        # these stored months and never counts while the manager waits.
        from dashboards.figures import refresh

        counting = time.perf_counter()
        refresh()
        results["dashboard_refresh_s"] = round(time.perf_counter() - counting, 2)
        log(f"manager's figures counted ahead (the beat task): {results['dashboard_refresh_s']} s")
    if "pages" in parts:
        from bench import pages

        results.update(pages.measure(context, requests=args.requests))
        save()
    if "sweep" in parts or "smtp" in parts:
        from bench import background

        results.update(background.measure(context, sweep="sweep" in parts, smtp="smtp" in parts))
        save()
    if "intake" in parts:
        from bench import intake

        results.update(intake.measure(context, requests=args.requests))
        save()
    if "http" in parts:
        from bench import http

        results.update(http.measure(context))
        save()
    if "eta" in parts:
        from bench import eta

        results.update(eta.measure(context))
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    save()
    from bench.report import table

    log("")
    log(table({**previous, **results}))
    log(f"\nwritten to {RESULTS}")


def machine() -> str:
    cores = os.cpu_count() or 0
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        memory = "?"
    return f"{cores} cores / {memory}"

"""The bench's environment: its own database and Redis database, production-like settings.

Imported before Django is set up. The loader truncates tables, so the database name
must say "bench", and Redis database 0 (CI's) is refused.
"""

import os
import secrets
import sys
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/backpath_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/10"


def configure(*, small: bool = False) -> None:
    """Set the environment the settings module reads (before ``django.setup()``).

    The small data set lives in a database of its own (``<name>_small``), so that both
    stay loaded and a second run of either reuses its data.
    """
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    if small:
        parts = urlsplit(database_url)
        database_url = parts._replace(path=parts.path.rstrip("/") + "_small").geturl()
    redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    check_targets(database_url, redis_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("BACKPATH_TESTING", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    # Production settings (DEBUG off; bench/settings.py says what differs),
    # but plain HTTP: the test client and the worker talk to nothing over the network.
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["SESSION_COOKIE_SECURE"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("BACKPATH_VAR_DIR", str(_var_dir()))


def _var_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "var" / "bench" / "var")


def check_targets(database_url: str, redis_url: str) -> None:
    db_name = urlsplit(database_url).path.lstrip("/")
    if "bench" not in db_name or db_name in ("test", "test_test"):
        sys.exit(f"bench: refusing database {db_name!r}: its name must contain 'bench'")
    redis_db = urlsplit(redis_url).path.lstrip("/") or "0"
    if redis_db == "0":
        sys.exit("bench: refusing Redis database 0 (CI's); use e.g. redis://127.0.0.1:6379/10")

"""A small fixed-window rate limiter on the Django cache.

With Redis as the cache every web process counts together; with the in-memory cache
(a laptop, tests) each process counts for itself.

When the cache cannot be reached the limiter lets requests through: a patient opening
a link must not get an error page because Redis is down. It says so in the log once per
outage (and once when the cache is back), and for ``CACHE_DOWN_PAUSE_SECONDS`` after a
failure it does not try again, so that each request does not wait out the timeouts.
"""

import hashlib
import logging
import time
from dataclasses import dataclass

from django.core.cache import cache

from clinics.cacheoutage import CacheOutage

logger = logging.getLogger(__name__)

CACHE_DOWN_PAUSE_SECONDS = 30


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int


_Cache = CacheOutage(CACHE_DOWN_PAUSE_SECONDS)


def hit(scope: str, ident: str, *, limit: int, window: int) -> Verdict:
    """Count one request of ``ident`` in ``scope``; refused past ``limit`` per ``window`` s."""
    now = int(time.time())
    window_start = now - now % window
    retry_after = window_start + window - now
    if _Cache.paused():
        return Verdict(allowed=True, retry_after=retry_after)
    digest = hashlib.sha256(f"{scope}|{ident}".encode()).hexdigest()[:32]
    key = f"ratelimit:{digest}:{window_start}"
    try:
        count = _count(key, window)
    except Exception:  # any cache failure: redis-py, a socket, a timeout
        if _Cache.failed():
            logger.warning(
                "rate limit: the cache is unreachable; patient links are not limited "
                "until it is back",
                exc_info=True,
            )
        return Verdict(allowed=True, retry_after=retry_after)
    if _Cache.succeeded():
        logger.warning("rate limit: the cache is back; patient links are limited again")
    return Verdict(allowed=count <= limit, retry_after=retry_after)


def _count(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window + 1)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first hit
        cache.set(key, 1, timeout=window + 1)
        return 1

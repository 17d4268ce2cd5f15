"""A small fixed-window rate limiter on the Django cache.

With Redis as the cache every web process counts together; with the in-memory cache
(a laptop, tests) each process counts for itself.
"""

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int


def hit(scope: str, ident: str, *, limit: int, window: int) -> Verdict:
    """Count one request of ``ident`` in ``scope``; refused past ``limit`` per ``window`` s."""
    now = int(time.time())
    window_start = now - now % window
    digest = hashlib.sha256(f"{scope}|{ident}".encode()).hexdigest()[:32]
    key = f"ratelimit:{digest}:{window_start}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first hit
        cache.set(key, 1, timeout=window + 1)
        count = 1
    return Verdict(allowed=count <= limit, retry_after=window_start + window - now)

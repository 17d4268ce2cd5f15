"""Leave an unreachable cache (Redis) alone for a while.

Each call to a cache that is down waits out the connection timeout; after one failure
the callers (the rate limiter, the manager's figures) skip the cache for ``pause``
seconds and go on without it. ``failed`` and ``succeeded`` say when an outage begins
and ends, so each is logged once.
"""

import time


class CacheOutage:
    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.down_until = 0.0
        self.outage_logged = False

    def paused(self) -> bool:
        """True while the cache is left alone after a failure."""
        return time.monotonic() < self.down_until

    def failed(self) -> bool:
        """Record a failure; True when it begins an outage (log it)."""
        self.down_until = time.monotonic() + self.pause
        began = not self.outage_logged
        self.outage_logged = True
        return began

    def succeeded(self) -> bool:
        """Record an answer; True when it ends an outage (log it)."""
        ended = self.outage_logged
        self.outage_logged = False
        return ended

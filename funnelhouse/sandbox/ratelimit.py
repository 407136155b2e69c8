"""HubSpot's rolling ten-second request limit per token (private apps: 100 requests / 10 s by default).

Refused requests do not use a slot, so a client that waits `Retry-After` seconds is guaranteed one.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    interval_ms: int
    retry_after_s: int  # 0 when allowed

    def headers(self) -> dict[str, str]:
        headers = {
            "X-HubSpot-RateLimit-Max": str(self.limit),
            "X-HubSpot-RateLimit-Remaining": str(self.remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.interval_ms),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_s)
        return headers


class RollingWindowLimiter:
    """At most `limit` requests per token in any window of `window_ms`; both can change at runtime."""

    def __init__(self, limit: int, window_ms: int = 10_000) -> None:
        self.limit = limit
        self.window_ms = window_ms
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def peek(self, token: str) -> Decision:
        """The current state for a token without using a slot (for answers that are not counted)."""
        now = time.monotonic()
        with self._lock:
            used = sum(1 for t in self._seen.get(token, ()) if t > now - self.window_ms / 1000)
        return Decision(True, self.limit, max(0, self.limit - used), self.window_ms, 0)

    def check(self, token: str) -> Decision:
        now = time.monotonic()
        window_s = self.window_ms / 1000
        with self._lock:
            seen = self._seen[token]
            while seen and seen[0] <= now - window_s:
                seen.popleft()
            if len(seen) >= self.limit:
                wait = seen[len(seen) - self.limit] + window_s - now
                return Decision(False, self.limit, 0, self.window_ms, max(1, math.ceil(wait)))
            seen.append(now)
            return Decision(True, self.limit, self.limit - len(seen), self.window_ms, 0)

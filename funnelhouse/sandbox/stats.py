"""Counters the admin endpoint reports, so tests can assert what a client actually did to the CRM."""

from __future__ import annotations

import threading
from collections import Counter

COUNTERS = ("requests", "rate_limited", "injected_errors", "dropped", "writes", "records_changed")


class Stats:
    """Thread-safe counters.

    requests: API requests received (admin endpoints excluded); rate_limited: 429 answers; injected_errors:
    5xx answers drawn by fault injection; dropped: connections closed without an answer; writes: records
    successfully created, updated, upserted or archived through the API (one per batch input);
    records_changed: updates that actually changed a value. `responses` counts answers by HTTP status.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def answered(self, status: int) -> None:
        with self._lock:
            self._statuses[str(status)] += 1

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            out: dict[str, object] = {name: self._counts[name] for name in COUNTERS}
            out["responses"] = dict(self._statuses)
            return out

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._statuses.clear()

"""Seeded fault injection: added latency, 5xx answers and dropped connections, drawn from
`random.Random(fault_seed)` so a failing test replays the same faults in the same order."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

from funnelhouse.sandbox.errors import ApiError, bad_request

_STATUSES = (500, 502, 503, 504)
_MESSAGES = {
    500: ("INTERNAL_ERROR", "Internal error, reference: injected by the sandbox CRM"),
    502: ("BAD_GATEWAY", "Bad gateway: the upstream server did not answer (injected by the sandbox CRM)"),
    503: ("SERVICE_UNAVAILABLE", "Service temporarily unavailable (injected by the sandbox CRM)"),
    504: ("GATEWAY_TIMEOUT", "Gateway timeout (injected by the sandbox CRM)"),
}


@dataclass
class FaultSettings:
    rate_limit: int = 100
    fail_rate: float = 0.0
    latency_ms: int = 0
    drop_rate: float = 0.0
    fault_seed: int = 0

    def validate(self) -> None:
        if self.rate_limit < 1:
            raise bad_request(f"rate_limit must be at least 1, got {self.rate_limit}.")
        for name in ("fail_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise bad_request(f"{name} must be between 0 and 1, got {value}.")
        if self.latency_ms < 0:
            raise bad_request(f"latency_ms must be 0 or more, got {self.latency_ms}.")


class FaultInjector:
    """Draws, per request, whether to drop the connection or answer a 5xx (drop is drawn first)."""

    def __init__(self, settings: FaultSettings) -> None:
        self._lock = threading.Lock()
        self.settings = settings
        self._random = random.Random(settings.fault_seed)

    def update(self, changes: dict[str, Any]) -> FaultSettings:
        """Change settings at runtime; a new `fault_seed` restarts the random sequence."""
        allowed = {
            "rate_limit": int,
            "fail_rate": float,
            "latency_ms": int,
            "drop_rate": float,
            "fault_seed": int,
        }
        unknown = sorted(set(changes) - set(allowed))
        if unknown:
            raise bad_request(f"Unknown fault setting(s) {unknown}; known: {sorted(allowed)}.")
        with self._lock:
            try:
                values = {k: allowed[k](v) for k, v in changes.items()}
            except (TypeError, ValueError):
                raise bad_request(f"Fault settings must be numbers: {changes}.") from None
            candidate = FaultSettings(**{**self.settings.__dict__, **values})
            candidate.validate()
            self.settings = candidate
            if "fault_seed" in values:
                self._random = random.Random(candidate.fault_seed)
            return candidate

    def draw(self) -> str | ApiError | None:
        """'drop', an injected 5xx error, or None for a normal answer."""
        with self._lock:
            settings = self.settings
            drop = self._random.random()
            fail = self._random.random()
            status = self._random.choice(_STATUSES)
        if drop < settings.drop_rate:
            return "drop"
        if fail < settings.fail_rate:
            category, message = _MESSAGES[status]
            return ApiError(status, category, message)
        return None

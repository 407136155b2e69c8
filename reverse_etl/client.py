"""The CRM side of the sync: the official `hubspot-api-client`, a rolling-window rate limiter and retries.

Why our own retry loop: the client's urllib3 layer does not retry POSTs (every batch call is a POST),
and it knows nothing of HubSpot's `Retry-After`. urllib3 retries are switched off (`retry=False`) so
every attempt passes through the rate limiter and is counted. Retrying a batch update is safe because
the values written are absolute (the same promotion always writes the same strings), and the CRM adds
a property-history entry only when a value changes: a batch that succeeded server-side before the
connection dropped is a no-op when sent again.

Responses are read raw (`_preload_content=False`) and parsed as JSON, so a 207 multi-status keeps
every per-input error exactly as the CRM worded it.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import urllib3
from hubspot import HubSpot
from hubspot.crm.contacts.exceptions import ApiException

from reverse_etl.config import SyncConfig

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class CrmError(RuntimeError):
    """A CRM call that failed; `status` is the HTTP status (0 when no answer came back)."""

    def __init__(self, message: str, *, status: int = 0, attempts: int = 0):
        super().__init__(message)
        self.status = status
        self.attempts = attempts


class CrmAuthError(CrmError):
    """The token was refused: no retry can fix it, the run stops."""


class CrmUnavailableError(CrmError):
    """Retries exhausted on 429/5xx/timeouts/dropped connections: the batch is left for the next run."""


class RateLimiter:
    """At most `max_requests` per rolling `window_seconds`, counted so the CRM's own window never overflows.

    The CRM stamps a request when it arrives, somewhere between our send and its answer; a limiter that
    counted from the send alone could see a slot free while the CRM still counts it (a request that
    travelled slowly, then a fast one a window later). So a request sent through `request()` holds its
    slot while in flight and for `window_seconds` after its answer (or failure) came back: whatever
    instant the CRM stamped it, the CRM's window never holds more than `max_requests` of ours. The cost
    is one round trip per window, about 1% at HubSpot's ten seconds; the reward is that the limit can
    sit at the CRM's own. `acquire()` counts a request from the moment it is granted (no answer awaited).
    """

    def __init__(self, max_requests: int, window_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.max_requests = max_requests
        self.window_seconds = window_seconds
        self._clock = clock
        # one entry per counted request: [granted_at, answered_at or None while in flight]
        self._slots: list[list[float | None]] = []
        self._paused_until = 0.0
        self._changed = threading.Condition()
        self.waited_seconds = 0.0

    def acquire(self) -> None:
        """Block until one more request fits in the window, then count it from now."""
        entry = self._take()
        self._finish(entry)

    @contextmanager
    def request(self) -> Iterator[None]:
        """Hold a slot for one request: granted when it fits, counted until a window after it ends."""
        entry = self._take()
        try:
            yield
        finally:
            self._finish(entry)

    def pause(self, seconds: float) -> None:
        """Hold every request for `seconds` (the CRM said so with a 429's Retry-After)."""
        with self._changed:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _take(self) -> list[float | None]:
        with self._changed:
            while True:
                now = self._clock()
                horizon = now - self.window_seconds
                self._slots = [s for s in self._slots if s[1] is None or s[1] > horizon]
                wait = max(0.0, self._paused_until - now)
                if len(self._slots) >= self.max_requests:
                    answered = [s[1] for s in self._slots if s[1] is not None]
                    # the oldest answer leaves the window first; with all in flight, an answer is awaited
                    wait = max(wait, (min(answered) - horizon) if answered else self.window_seconds)
                if wait <= 0:
                    entry: list[float | None] = [now, None]
                    self._slots.append(entry)
                    return entry
                started = self._clock()
                self._changed.wait(wait)
                self.waited_seconds += self._clock() - started

    def _finish(self, entry: list[float | None]) -> None:
        with self._changed:
            entry[1] = self._clock()
            self._changed.notify_all()


class CallStats:
    """What the sync cost the CRM: requests sent, retries, 429s, 5xx and connection errors (thread-safe)."""

    NAMES = ("requests", "retries", "rate_limited", "server_errors", "connection_errors")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(self.NAMES, 0)

    def add(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


@dataclass
class BatchOutcome:
    """The CRM's answer to one batch update: confirmed ids, and per-id errors (category, message)."""

    confirmed: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)
    attempts: int = 1
    # ids refused because their lifecycle stage moved past MQL since it was read: retried next run
    stage_conflicts: set[str] = field(default_factory=set)


class CrmClient:
    """The few calls the sync makes, each rate-limited and retried."""

    def __init__(self, base_url: str, token: str, config: SyncConfig, *, limiter: RateLimiter | None = None):
        self.config = config
        self.limiter = limiter or RateLimiter(config.max_requests, config.window_seconds)
        self.stats = CallStats()
        hubspot = HubSpot(access_token=token, host=base_url.rstrip("/"), retry=False)
        # Each accessor builds a new ApiClient with its own connection pool: build them once.
        self._contacts_batch = hubspot.crm.contacts.batch_api
        self._properties = hubspot.crm.properties.core_api
        self._timeout = (config.connect_timeout_seconds, config.read_timeout_seconds)
        self.base_url = base_url

    # -- public calls -------------------------------------------------------------------------------

    def contact_property_names(self) -> set[str]:
        """Names of every contact property the CRM knows (GET /crm/v3/properties/contacts)."""
        status, body, _ = self._call(
            "GET /crm/v3/properties/contacts",
            lambda: self._properties.get_all(
                "contacts", _preload_content=False, _request_timeout=self._timeout
            ),
        )
        return {p["name"] for p in body.get("results", []) if p.get("name")}

    def batch_update(self, inputs: Sequence[dict[str, Any]]) -> BatchOutcome:
        """POST /crm/v3/objects/contacts/batch/update; a 207 splits the batch into confirmed and errors."""
        if len(inputs) > 100:
            raise ValueError(f"a batch holds at most 100 inputs, got {len(inputs)}")
        body_in = {"inputs": list(inputs)}
        status, body, attempts = self._call(
            f"POST /crm/v3/objects/contacts/batch/update ({len(inputs)} inputs)",
            lambda: self._contacts_batch.update(
                body_in, _preload_content=False, _request_timeout=self._timeout
            ),
        )
        outcome = BatchOutcome(attempts=attempts)
        for result in body.get("results", []):
            outcome.confirmed[str(result["id"])] = result.get("properties") or {}
        outcome.errors = _errors_by_id(body)
        outcome.stage_conflicts = _stage_conflicts(body, self.config.lifecycle_property)
        if status == 207 and not outcome.errors and len(outcome.confirmed) < len(inputs):
            log.warning("207 without per-input errors; unconfirmed inputs stay pending")
        return outcome

    # -- the retry loop -----------------------------------------------------------------------------

    def _call(self, what: str, send: Callable[[], Any]) -> tuple[int, dict[str, Any], int]:
        """Send with rate limiting; retry 429/5xx/timeouts/connection errors with backoff + jitter."""
        last_problem = ""
        last_status = 0
        for attempt in range(1, self.config.max_attempts + 1):
            self.stats.add("requests")
            if attempt > 1:
                self.stats.add("retries")
            try:
                with self.limiter.request():  # the slot is held until a window after the answer
                    response = send()
            except ApiException as exc:
                status = int(exc.status or 0)
                body_text = _text(exc.body)
                if status in (401, 403):
                    raise CrmAuthError(
                        f"{what}: the CRM refused the token (HTTP {status}). Check FUNNELHOUSE_CRM_TOKEN or the "
                        f"Airflow connection 'funnelhouse_crm'. CRM said: {_short(body_text)}",
                        status=status,
                        attempts=attempt,
                    ) from None
                if status not in RETRYABLE_STATUSES:
                    raise CrmError(
                        f"{what}: HTTP {status} {_short(body_text)}", status=status, attempts=attempt
                    ) from None
                last_status, last_problem = status, f"HTTP {status} {_short(body_text)}"
                retry_after = _retry_after(exc.headers)
                if status == 429:
                    self.stats.add("rate_limited")
                    if retry_after is not None:
                        self.limiter.pause(retry_after)
                else:
                    self.stats.add("server_errors")
                self._backoff(attempt, retry_after)
                continue
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                # timeouts, refused/reset/dropped connections: the write may or may not have landed;
                # sending the same absolute values again is harmless.
                self.stats.add("connection_errors")
                last_status, last_problem = 0, f"{type(exc).__name__}: {exc}"
                self._backoff(attempt, None)
                continue
            status = response.status
            data = response.data
            try:
                body = json.loads(data) if data else {}
            except ValueError:
                last_status, last_problem = status, f"unreadable JSON answer: {_short(_text(data))}"
                self._backoff(attempt, None)
                continue
            return status, body, attempt
        raise CrmUnavailableError(
            f"{what}: gave up after {self.config.max_attempts} attempts; last problem: {last_problem}",
            status=last_status,
            attempts=self.config.max_attempts,
        )

    def _backoff(self, attempt: int, retry_after: float | None) -> None:
        """Full-jitter exponential backoff, never shorter than the CRM's Retry-After."""
        if attempt >= self.config.max_attempts:
            return
        ceiling = min(self.config.backoff_max_seconds, self.config.backoff_base_seconds * 2 ** (attempt - 1))
        delay = random.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, retry_after)
        if delay > 0:
            time.sleep(delay)


def _errors_by_id(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Per-input errors of a 207: `context.id` names the inputs, `category` says what kind."""
    errors: dict[str, tuple[str, str]] = {}
    for error in body.get("errors") or []:
        category = str(error.get("category") or error.get("subCategory") or "UNKNOWN")
        message = str(error.get("message") or "")
        ids = (error.get("context") or {}).get("id") or (error.get("context") or {}).get("ids") or []
        if isinstance(ids, str):
            ids = [ids]
        for contact_id in ids:
            errors[str(contact_id)] = (category, message)
    return errors


def _stage_conflicts(body: dict[str, Any], lifecycle_property: str) -> set[str]:
    """Inputs refused only because the lifecycle stage may not move backwards (the stage changed meanwhile)."""
    ids: set[str] = set()
    for error in body.get("errors") or []:
        context = error.get("context") or {}
        details = error.get("errors") or []
        about_stage = lifecycle_property in (context.get("propertyName") or []) or any(
            d.get("code") == "INVALID_LIFECYCLE_STAGE" for d in details if isinstance(d, dict)
        )
        if about_stage:
            ids.update(str(i) for i in context.get("id") or [])
    return ids


def _retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def _text(data: Any) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""An HTTP session for the CRM API: throttled under the rate limit, retrying what is worth retrying.

HubSpot refuses the 101st request in any ten seconds with a 429, and search/batch-read are POSTs, which
generic retry helpers (and hubspot-api-client) do not retry. This session waits *before* sending (a token
bucket at 90% of the limit, so a steady extract rarely meets a 429), and retries 429, 5xx, timeouts and
dropped connections with exponential backoff and jitter, honouring `Retry-After`. It never logs the token.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}


class CrmApiError(RuntimeError):
    """The CRM answered with an error that retrying will not fix, or retries ran out."""


class TokenBucket:
    """At most `capacity` requests in any `window_s` on average: refills continuously, waits when empty."""

    def __init__(self, rate: float, window_s: float, capacity: float | None = None):
        self.per_second = rate / window_s
        self.capacity = capacity if capacity is not None else max(1.0, rate / 10)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> float:
        """Take one token, sleeping until one is available; returns the seconds waited."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
            self.updated = now
            self.tokens -= 1
            wait = -self.tokens / self.per_second if self.tokens < 0 else 0.0
        if wait > 0:
            time.sleep(wait)
        return wait


@dataclass
class HttpFigures:
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    connection_errors: int = 0
    throttle_wait_s: float = 0.0
    by_status: dict[int, int] = field(default_factory=dict)


class CrmSession:
    """`get`/`post` JSON against the CRM base URL with throttling and retries."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        rate_limit: int = 100,
        window_s: float = 10.0,
        headroom: float = 0.9,
        max_retries: int = 8,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        timeout_s: float = 30.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        self.bucket = TokenBucket(rate_limit * headroom, window_s)
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.timeout_s = timeout_s
        self.figures = HttpFigures()

    def __repr__(self) -> str:  # the token stays out of reprs and tracebacks
        return f"CrmSession(base_url={self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("POST", path, json=body)

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        delay = min(self.backoff_max_s, self.backoff_base_s * 2**attempt) * (0.5 + random.random() / 2)
        if retry_after:
            try:
                delay = max(delay, float(retry_after))
            except ValueError:
                pass
        return delay

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send with retries; return the decoded JSON body (None for 204). 207 multi-status is a success."""
        url = f"{self.base_url}{path}"
        last_problem = ""
        for attempt in range(self.max_retries + 1):
            self.figures.throttle_wait_s += self.bucket.take()
            self.figures.requests += 1
            try:
                response = self.session.request(method, url, timeout=self.timeout_s, **kwargs)
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                self.figures.connection_errors += 1
                last_problem = f"{type(exc).__name__}"
                retry_after = None
            else:
                status = response.status_code
                self.figures.by_status[status] = self.figures.by_status.get(status, 0) + 1
                if status < 400:
                    if status == 204 or not response.content:
                        return None
                    try:
                        return response.json()
                    except ValueError:
                        last_problem = f"HTTP {status} with a body that is not JSON"
                        retry_after = None
                        self.figures.server_errors += 1
                        self._sleep_retry(method, path, attempt, retry_after, last_problem)
                        continue
                if status not in RETRY_STATUSES:
                    raise CrmApiError(
                        f"{method} {path} failed with HTTP {status}: {response.text[:500]}. "
                        "Check FUNNELHOUSE_CRM_URL / FUNNELHOUSE_CRM_TOKEN and the request."
                    )
                if status == 429:
                    self.figures.rate_limited += 1
                else:
                    self.figures.server_errors += 1
                last_problem = f"HTTP {status}"
                retry_after = response.headers.get("Retry-After")
            self._sleep_retry(method, path, attempt, retry_after, last_problem)
        raise CrmApiError(
            f"{method} {path} still failing after {self.max_retries} retries (last: {last_problem}); "
            "the CRM may be down or the rate limit too low. Re-run later: cursors were not advanced."
        )

    def _sleep_retry(
        self, method: str, path: str, attempt: int, retry_after: str | None, problem: str
    ) -> None:
        if attempt >= self.max_retries:
            return
        self.figures.retries += 1
        delay = self._backoff(attempt, retry_after)
        log.info("CRM %s %s: %s, retry %d in %.1fs", method, path, problem, attempt + 1, delay)
        time.sleep(delay)

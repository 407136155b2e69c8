"""Timestamps as HubSpot writes them: ISO-8601 UTC with milliseconds and `Z`, or epoch milliseconds."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso_from_ms(ms: int) -> str:
    """`2026-11-20T09:14:03.120Z` for an epoch-millisecond value."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def ms_from_text(text: str) -> int:
    """Epoch milliseconds from an epoch-millis string or an ISO date/datetime (naive means UTC).

    Raises ValueError naming the text when it is neither, so callers can turn it into a 400.
    """
    text = text.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is neither epoch milliseconds nor an ISO-8601 date/time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def normalize_iso(text: str) -> str:
    """Any accepted date/time text rewritten in the canonical ISO form (so string order = time order)."""
    return iso_from_ms(ms_from_text(text))

"""Time in the world: integer milliseconds since the epoch, formatted the way HubSpot and Segment do.

Integers keep the simulation exact and fast; every string is made by `iso()` so one format
(`2026-11-20T09:14:03.120Z`) is used everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

_EPOCH = date(1970, 1, 1)
_DAY_CACHE: dict[int, str] = {}


def day_string(ms: int) -> str:
    """`YYYY-MM-DD` of a timestamp (cached: a world spans few days and this is called per event)."""
    day = ms // DAY
    text = _DAY_CACHE.get(day)
    if text is None:
        text = (_EPOCH + timedelta(days=day)).isoformat()
        _DAY_CACHE[day] = text
    return text


def iso(ms: int) -> str:
    """ISO-8601 UTC with millisecond precision and a `Z` suffix."""
    day, rest = divmod(ms, DAY)
    text = _DAY_CACHE.get(day)
    if text is None:
        text = day_string(ms)
    seconds, millis = divmod(rest, SECOND)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{text}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


def ms_of(day: date) -> int:
    """Midnight UTC of a date, in epoch milliseconds."""
    return (day - _EPOCH).days * DAY


def weekday(ms: int) -> int:
    """Monday = 0 ... Sunday = 6."""
    return (ms // DAY + 3) % 7  # 1970-01-01 was a Thursday


@dataclass(frozen=True)
class Window:
    """The days a world covers: `days` days ending on `end` inclusive, until 23:59:59Z."""

    start_ms: int
    end_ms: int
    days: int

    @classmethod
    def ending(cls, end: date, days: int) -> Window:
        if days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        start = end - timedelta(days=days - 1)
        return cls(start_ms=ms_of(start), end_ms=ms_of(end) + DAY - SECOND, days=days)

    @property
    def span_ms(self) -> int:
        return self.end_ms - self.start_ms

    def contains(self, ms: int) -> bool:
        return self.start_ms <= ms <= self.end_ms

    def clamp(self, ms: int) -> int:
        return min(max(ms, self.start_ms), self.end_ms)


def today_utc() -> date:
    """The default last day of a world (the only place the generator reads the clock)."""
    return datetime.now(UTC).date()

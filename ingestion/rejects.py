"""Quarantine for bad input: the `_rejected` table every raw schema carries, and the reject-share rule.

A bad record never stops the good records around it; a batch (a file or an API page) whose share of
rejects exceeds `max_reject_share` stops the source, because that many bad records usually means the
producer changed format and loading the rest would hide it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

REJECTED_TABLE = "_rejected"
MAX_FIELD_CHARS = 64 * 1024  # a longer string value is quarantined: nothing legitimate is that long
FUTURE_TOLERANCE_HOURS = 24

REJECTED_COLUMNS: dict[str, dict[str, Any]] = {
    "source": {"data_type": "text", "nullable": False},
    "source_file": {"data_type": "text"},
    "source_line": {"data_type": "bigint"},
    "record_id": {"data_type": "text"},
    "reason": {"data_type": "text", "nullable": False},
    "raw_payload": {"data_type": "text"},
    "rejected_at": {"data_type": "timestamp", "timezone": True},
}


@dataclass(frozen=True)
class Reject:
    """One quarantined record: where it came from, why, and the payload as received."""

    source: str
    reason: str
    raw_payload: str
    source_file: str | None = None
    source_line: int | None = None
    record_id: str | None = None
    rejected_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def row(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "source_file": self.source_file,
            "source_line": self.source_line,
            "record_id": self.record_id,
            "reason": self.reason,
            "raw_payload": self.raw_payload,
            "rejected_at": self.rejected_at,
        }


class RejectShareExceeded(Exception):
    """A batch had more rejects than `max_reject_share` allows; nothing of it was loaded."""


def check_share(source: str, batch: str, rejected: int, total: int, max_share: float) -> None:
    """Raise when `rejected / total` is above the allowed share, with what to look at and what to change."""
    if total <= 0 or rejected == 0:
        return
    share = rejected / total
    if share > max_share:
        raise RejectShareExceeded(
            f"{source}: {rejected} of {total} records in {batch} were rejected ({share:.1%}), above the allowed "
            f"{max_share:.1%}. The batch was not loaded and its cursor was not advanced. Look at the reasons "
            f"below (or in the `_rejected` table of earlier runs), fix the producer, or raise "
            f"FUNNELHOUSE_MAX_REJECT_SHARE to accept this batch."
        )


def summarize_reasons(reasons: list[str], limit: int = 5) -> dict[str, int]:
    """Count reasons by their kind (the text before the first colon), most frequent first."""
    counts: dict[str, int] = {}
    for reason in reasons:
        kind = reason.split(":", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return dict(ordered[:limit])

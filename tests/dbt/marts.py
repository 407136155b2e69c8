"""Read the scoring marts in a comparable form: ordered by their grain, floats rounded, bookkeeping dropped."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from funnelhouse.warehouse import Warehouse

# mart -> its grain (also the sort order); every mart of the scoring layer is compared, and the
# incremental intermediates whose logic is not already covered by a mart (`schema.table`).
MARTS: dict[str, list[str]] = {
    "dim_leads": ["person_id"],
    "fct_lead_score_daily": ["person_id", "score_date"],
    "fct_mql_events": ["mql_event_id"],
    "intermediate.int_web__sessions": ["session_id"],
}
# Columns that record when a row was computed, not what it says.
BOOKKEEPING = {"_processed_at"}


def _normalise(value: Any) -> Any:
    if isinstance(value, Decimal | float):
        return round(float(value), 2)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def read_mart(wh: Warehouse, mart: str) -> tuple[list[str], list[tuple]]:
    """Columns (sorted by name) and rows of one mart, ordered by its grain."""
    schema, table = mart.split(".") if "." in mart else ("marts", mart)
    columns = sorted(c for c in wh.columns(schema, table) if c not in BOOKKEEPING)
    order = ", ".join(MARTS[mart])
    rows = wh.fetchall(f"select {', '.join(columns)} from {schema}.{table} order by {order}")
    return columns, [tuple(_normalise(v) for v in row) for row in rows]


def read_marts(wh: Warehouse) -> dict[str, tuple[list[str], list[tuple]]]:
    return {mart: read_mart(wh, mart) for mart in MARTS}


def first_difference(left: list[tuple], right: list[tuple], columns: list[str]) -> str:
    """A readable description of where two row lists first differ (for assertion messages)."""
    if len(left) != len(right):
        return f"{len(left)} rows vs {len(right)} rows"
    for index, (a, b) in enumerate(zip(left, right, strict=True)):
        if a != b:
            diffs = {c: (x, y) for c, x, y in zip(columns, a, b, strict=True) if x != y}
            return f"row {index}: {diffs}"
    return "no difference"

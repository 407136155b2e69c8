"""Volume against recent runs: today's row count compared with the trailing average of earlier runs.

History lives in `ops.dq_volume_history` (one row per suite, relation, scope and interval). A retried
interval replaces its own row, so re-running a day does not skew the average. Increments are compared
with increments and whole tables with whole tables (`scope`), since their sizes are unrelated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from expectations.config import DQSettings
from funnelhouse.warehouse import Warehouse

VOLUME_DDL = """
create table if not exists ops.dq_volume_history (
    suite text not null,
    table_name text not null,
    scope text not null,
    window_key text not null,
    row_count bigint not null,
    run_id text not null,
    recorded_at timestamp with time zone not null
)
"""


@dataclass
class VolumeEntry:
    suite: str
    table: str
    scope: str
    window_key: str
    row_count: int


def previous_counts(warehouse: Warehouse, entry: VolumeEntry, runs: int) -> list[int]:
    """Row counts of the latest earlier runs of this relation and scope (newest first)."""
    if not warehouse.table_exists("ops", "dq_volume_history"):
        return []
    rows = warehouse.fetchall(
        "select row_count from ops.dq_volume_history where suite = ? and table_name = ? and scope = ?"
        " and window_key <> ? order by recorded_at desc limit ?",
        [entry.suite, entry.table, entry.scope, entry.window_key, runs],
    )
    return [int(r[0]) for r in rows]


def volume_expectation(history: list[int], dq: DQSettings) -> Expectation:
    """Row count within [average / band, average x band]; with too little history it only records."""
    if len(history) < dq.volume_min_history:
        return gxe.ExpectTableRowCountToBeBetween(
            min_value=0,
            description=f"volume: no history yet ({len(history)} of {dq.volume_min_history} earlier runs)",
        )
    average = sum(history) / len(history)
    low = math.floor(average / dq.volume_band)
    high = math.ceil(average * dq.volume_band) if average > 0 else None
    return gxe.ExpectTableRowCountToBeBetween(
        min_value=low,
        max_value=high,
        description=(
            f"volume within x{dq.volume_band:g} of the trailing average {average:.1f} rows"
            f" of {len(history)} earlier runs"
        ),
    )


def record_counts(warehouse: Warehouse, entries: list[VolumeEntry], run_id: str, at: datetime) -> None:
    """Store this run's counts, replacing an earlier run of the same interval."""
    if not entries:
        return
    warehouse.execute("create schema if not exists ops")
    warehouse.execute(VOLUME_DDL)
    for entry in entries:
        warehouse.execute(
            "delete from ops.dq_volume_history where suite = ? and table_name = ? and scope = ? and window_key = ?",
            [entry.suite, entry.table, entry.scope, entry.window_key],
        )
    warehouse.executemany(
        "insert into ops.dq_volume_history (suite, table_name, scope, window_key, row_count, run_id, recorded_at)"
        " values (?, ?, ?, ?, ?, ?, ?)",
        [(e.suite, e.table, e.scope, e.window_key, e.row_count, run_id, at) for e in entries],
    )
    warehouse.commit()

"""The circuit breaker before the CRM: a run that would promote far more MQLs than usual is halted.

A scoring bug (a rule applied twice, a contract typo) shows first as a flood of MQLs; sending them would
spam sales and overwrite the CRM. `check_mql_volume` raises `CircuitBreakerTripped` when a run's
promotions exceed `FUNNELHOUSE_DQ_MQL_CEILING`, or `FUNNELHOUSE_DQ_MQL_SPIKE_FACTOR` times the trailing
average of earlier runs (once `FUNNELHOUSE_DQ_MQL_MIN_HISTORY` runs exist and the run promotes more than
`FUNNELHOUSE_DQ_MQL_SPIKE_MIN_COUNT`: both DAGs share the history, and a 15-minute sync promoting 2 after
a quiet hour is no flood).

History: every call appends a row to `ops.mql_volume` (checked_at, promotions_count, tripped, reason).
The average reads only runs that were let through (a tripped run sent nothing, so it must not raise the
bar for the next). `ops.sync_log` is not used: it logs per contact, including dry runs and retries, so its
counts are not one number per run. The operator's override (`funnelhouse sync --override-circuit-breaker`)
is decided and logged by the reverse ETL, which then does not call the breaker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from expectations.config import DQSettings
from funnelhouse.settings import Settings, get_settings
from funnelhouse.warehouse import Warehouse, open_warehouse

MQL_VOLUME_DDL = """
create table if not exists ops.mql_volume (
    checked_at timestamp with time zone not null,
    promotions_count bigint not null,
    tripped boolean not null,
    reason text
)
"""
OVERRIDE_HINT = (
    "check the marts (`funnelhouse check marts`), then send anyway with "
    "`funnelhouse sync --override-circuit-breaker`, or raise FUNNELHOUSE_DQ_MQL_CEILING / "
    "FUNNELHOUSE_DQ_MQL_SPIKE_FACTOR if this volume is the new normal"
)


class CircuitBreakerTripped(RuntimeError):
    """Too many MQL promotions in one run; the message gives the count, the limit and the override."""

    def __init__(self, count: int, limit_text: str):
        self.count = count
        self.limit_text = limit_text
        super().__init__(
            f"circuit breaker tripped: {count} MQL promotions in this run exceed {limit_text}; {OVERRIDE_HINT}"
        )


@dataclass(frozen=True)
class Verdict:
    tripped: bool
    reason: str


def judge(count: int, history: list[int], dq: DQSettings) -> Verdict:
    """The breaker's rule, apart from storage: ceiling first, then the spike against the trailing average."""
    if count < 0:
        raise ValueError(f"promotions_count must be >= 0, got {count}")
    if count > dq.mql_ceiling:
        return Verdict(True, f"the ceiling FUNNELHOUSE_DQ_MQL_CEILING={dq.mql_ceiling}")
    if count > dq.mql_spike_min_count and len(history) >= dq.mql_min_history:
        average = sum(history) / len(history)
        limit = average * dq.mql_spike_factor
        if average > 0 and count > limit:
            return Verdict(
                True,
                f"{dq.mql_spike_factor:g} x the trailing average {average:.1f} of the last {len(history)} runs "
                f"(= {limit:.1f}; FUNNELHOUSE_DQ_MQL_SPIKE_FACTOR)",
            )
    return Verdict(
        False, f"within the ceiling {dq.mql_ceiling} and {dq.mql_spike_factor:g} x the trailing average"
    )


def _history(warehouse: Warehouse, runs: int) -> list[int]:
    if not warehouse.table_exists("ops", "mql_volume"):
        return []
    rows = warehouse.fetchall(
        "select promotions_count from ops.mql_volume where not tripped order by checked_at desc limit ?",
        [runs],
    )
    return [int(r[0]) for r in rows]


def check_mql_volume(promotions_count: int, settings: Settings | None = None) -> None:
    """Record this run's MQL promotions; raise CircuitBreakerTripped when they are abnormally many."""
    settings = settings or get_settings()
    dq = DQSettings()
    with open_warehouse(settings) as warehouse:
        verdict = judge(promotions_count, _history(warehouse, dq.mql_history_runs), dq)
        warehouse.execute("create schema if not exists ops")
        warehouse.execute(MQL_VOLUME_DDL)
        warehouse.execute(
            "insert into ops.mql_volume (checked_at, promotions_count, tripped, reason) values (?, ?, ?, ?)",
            [datetime.now(UTC), promotions_count, verdict.tripped, verdict.reason],
        )
        warehouse.commit()
    if verdict.tripped:
        raise CircuitBreakerTripped(promotions_count, verdict.reason)

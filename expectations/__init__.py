"""Great Expectations gates on the raw layer and the marts, and the circuit breaker before the CRM.

Entry points:
- `run_check(suite, since=None, until=None, settings=None, run_id=None) -> CheckReport`: validate the
  `raw` or `marts` layer; `.ok` is the verdict, `.describe()` names each failed table, expectation and
  sample bad values. `funnelhouse check raw|marts [--since ISO] [--until ISO]` exits 1 when it fails.
- `expectations.circuit_breaker.check_mql_volume(promotions_count, settings=None)`: raises
  `CircuitBreakerTripped` when a sync would send too many MQL promotions.

Where results go: `ops.dq_results` (one row per expectation and run), `ops.dq_volume_history` (row counts
per relation, for the volume check), `ops.mql_volume` (MQL promotions per sync run, for the breaker), and
GX Data Docs at `$FUNNELHOUSE_HOME/gx/uncommitted/data_docs/local_site/index.html` (the index lists the
latest gate run; the history is `ops.dq_results`).

Increments: with `since`/`until`, event-scale relations (`raw_web.events` on `received_at`,
`raw_email.events` on `event_at`, `raw_hubspot.property_history` on `changed_at`,
`marts.fct_lead_score_daily` on `score_date`) are validated only inside [since, until); CRM objects and
the other marts are dimension-like and validated whole. Freshness is judged against `until` (default: now).

Engines: on DuckDB each relation is read through a read-only connection into pandas and validated by GX's
pandas datasource (GX's SQL datasource over duckdb-engine silently returns no rows); on PostgreSQL GX's
SQL datasource validates query assets in the database.

Thresholds (environment variables, defaults in brackets):
- `FUNNELHOUSE_DQ_MQL_CEILING` [500]: most MQL promotions one sync may send.
- `FUNNELHOUSE_DQ_MQL_SPIKE_FACTOR` [3]: trip above this many times the trailing average of earlier runs.
- `FUNNELHOUSE_DQ_MQL_HISTORY_RUNS` [7], `FUNNELHOUSE_DQ_MQL_MIN_HISTORY` [3]: runs averaged, and needed
  before the spike rule applies.
- `FUNNELHOUSE_DQ_MQL_SPIKE_MIN_COUNT` [25]: a run promoting at most this many is never a spike (both DAGs share
  the history, and a 15-minute sync promoting 2 after quiet slots is normal).
- `FUNNELHOUSE_DQ_VOLUME_BAND` [3]: a relation's row count must lie within [average / band, average x band]
  of its earlier runs (same scope: increment or whole table).
- `FUNNELHOUSE_DQ_VOLUME_HISTORY_RUNS` [7], `FUNNELHOUSE_DQ_VOLUME_MIN_HISTORY` [3]: same, for volumes;
  before that the count is only recorded ("no history yet").
- `FUNNELHOUSE_DQ_FRESHNESS_HOURS` [36]: newest record of each source within this many hours of `until`.
- `FUNNELHOUSE_DQ_FUTURE_SKEW_HOURS` [24]: timestamps later than now plus this count as in the future.
- `FUNNELHOUSE_DQ_UNKNOWN_EMAIL_SHARE` [0.05]: share of e-mail events allowed to name no known contact.
- `FUNNELHOUSE_DQ_SCORE_MAX` [100]: score upper bound when the contract gives none.
- `FUNNELHOUSE_DQ_REQUIRED_MARTS` [fct_lead_status_history,dim_leads,fct_mql_events]: marts whose absence
  fails the marts gate (other missing marts are skipped).
- `FUNNELHOUSE_DQ_DATA_DOCS` [true]: render Data Docs after each run (about a second per run).
- `FUNNELHOUSE_DQ_SAMPLE_SIZE` [5]: bad values quoted per failure.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import funnelhouse  # noqa: F401  (telemetry off before GX is imported by any submodule)

# GX logs at INFO while it imports and on every store operation; the gate's report is what people read.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

if TYPE_CHECKING:
    from expectations.results import CheckReport

__all__ = ["run_check", "CheckReport", "CircuitBreakerTripped"]


def __getattr__(name: str) -> Any:
    """Import GX lazily: `import expectations` (e.g. by a DAG file) must stay cheap."""
    if name == "run_check":
        from expectations.runner import run_check

        return run_check
    if name == "CheckReport":
        from expectations.results import CheckReport

        return CheckReport
    if name == "CircuitBreakerTripped":
        from expectations.circuit_breaker import CircuitBreakerTripped

        return CircuitBreakerTripped
    raise AttributeError(f"module 'expectations' has no attribute {name!r}")

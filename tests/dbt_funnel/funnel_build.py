"""Build the funnel / SLA / pipeline marts over a world and read them back, for tests/dbt_funnel.

The raw layer is loaded with the dbt tests' `raw_loader` (tests/dbt, the documented raw contract without
dlt), like the scoring tests do; swap it for `ingestion.run_ingest` over the sandbox once that is the
faster path. The world is the shared generated small world with the hand-written journeys appended, so
one build per engine serves the exact journey checks, the invariants on generated data and the
DuckDB / PostgreSQL comparison. Only these marts and what they read are built, and only their own data
and unit tests run (the scoring layer's tests belong to tests/dbt).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "dbt"))

from raw_loader import load_world  # noqa: E402

from funnelhouse.dbt_runner import run_dbt  # noqa: E402
from funnelhouse.settings import PROJECT_ROOT, Settings  # noqa: E402
from funnelhouse.warehouse import open_warehouse  # noqa: E402

# The folders these tests own; `+` builds everything they read.
FUNNEL_PATHS = [
    "path:models/intermediate/lifecycle",
    "path:models/marts/funnel",
    "path:models/marts/sales",
    "path:models/marts/pipeline",
]

# relation -> its grain column (the sort order of a row-by-row comparison).
FUNNEL_RELATIONS: dict[str, str] = {
    "marts.fct_lead_status_history": "spell_id",
    "marts.fct_funnel_cohorts": "cohort_id",
    "marts.fct_mql_followups": "mql_event_id",
    "marts.fct_mql_followups_weekly_by_rep": "rep_week_id",
    "marts.fct_mql_volume_weekly": "week_start",
    "marts.fct_deal_stage_durations": "deal_stage_spell_id",
    "marts.fct_stalled_deals": "deal_id",
    "marts.fct_stage_health_by_rep": "rep_stage_id",
    "marts.fct_pipeline_forecast": "forecast_id",
    "intermediate.int_lead_status__current": "person_id",
}


@dataclass
class FunnelBuild:
    """One warehouse with the funnel marts built: the exit code of each dbt step, and a query helper."""

    settings: Settings
    exit_codes: dict[str, int]
    run_results: dict = field(default_factory=dict)

    def query(self, sql: str, params: list | None = None) -> list[dict[str, Any]]:
        with open_warehouse(self.settings, read_only=True) as wh:
            return wh.fetch_dicts(sql, params)

    def relation(self, name: str) -> tuple[list[str], list[tuple]]:
        """Columns (sorted) and rows (ordered by the grain) of one relation, numbers rounded to 4 places."""
        schema, table = name.split(".")
        with open_warehouse(self.settings, read_only=True) as wh:
            columns = sorted(wh.columns(schema, table))
            rows = wh.fetchall(f"select {', '.join(columns)} from {name} order by {FUNNEL_RELATIONS[name]}")
        return columns, [tuple(_normalise(v) for v in row) for row in rows]


def _normalise(value: Any) -> Any:
    if isinstance(value, Decimal | float):
        return round(float(value), 4)
    return value


# The scoring layer's data and unit tests belong to tests/dbt: leave them out of these builds.
OTHER_LAYERS = [
    "path:models/staging",
    "path:models/intermediate/people",
    "path:models/intermediate/engagement",
    "path:models/intermediate/scoring",
    "path:models/marts/scoring",
]
OTHER_TESTS = [f"test_type:{kind},{path}" for kind in ("data", "unit") for path in OTHER_LAYERS]


def build_funnel(world: Path, home: Path, *, with_tests: bool, **settings: Any) -> FunnelBuild:
    """Load `world` into a fresh warehouse and `dbt build` the funnel marts and what they read, with the
    funnel marts' own data and unit tests when asked (one dbt invocation)."""
    build = FunnelBuild(Settings(home=home, contract_dir=PROJECT_ROOT / "models", **settings), {})
    with open_warehouse(build.settings) as wh:
        load_world(wh, world)
    excluded = OTHER_TESTS if with_tests else ["test_type:data", "test_type:unit"]
    build.exit_codes["build"] = run_dbt(
        ["build", "--quiet", "--select", *(f"+{p}" for p in FUNNEL_PATHS), "--exclude", *excluded],
        build.settings,
    )
    results = build.settings.home / "dbt" / "target" / "run_results.json"
    build.run_results = json.loads(results.read_text()) if results.exists() else {}
    return build

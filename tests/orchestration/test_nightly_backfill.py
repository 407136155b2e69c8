"""`funnelhouse_nightly` is backfillable (`airflow backfill create`); how idempotent it is for its data interval.

What runs here, and what does not: in Airflow 3 `backfill create` only records the runs; a scheduler then
executes them, one process per task. Two nightly runs that way take several times the suite's budget on
2 cores, so no scheduler runs here. Instead, on a copy of the session's nightly run:
- `airflow backfill create --dry-run` over two consecutive days lists exactly the runs a scheduler would
  execute: the day that has no run yet and, with `--reprocess-behavior completed`, both days;
- `airflow dags test` of the same logical date a second time (the first is the session's baseline) succeeds,
  sends nothing to the CRM, and rebuilds every mart row for row, in the warehouse and in the published copy:
  dbt judges both runs at the end of the data interval (var `as_of`), so the first run's own CRM write-back,
  stamped later, is left out. Only the CRM mirror comes back: the first run moved contacts to MQL there, and
  the second extraction reads that stage into `dim_leads.lifecycle_stage` for exactly them.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from funnelhouse.orchestration.testing import (
    MQL_STAGE,
    Baseline,
    Pipeline,
    clone_pipeline,
    output_tail,
    run_succeeded,
)

pytestmark = pytest.mark.timeout(1200)

DAG_ID = "funnelhouse_nightly"
# Mirrors of the CRM that the first run's own write-back changes (checked on their own below).
WRITTEN_BACK = {"dim_leads": {"lifecycle_stage"}}


@dataclass
class Rerun:
    baseline: Baseline
    pipeline: Pipeline
    result: subprocess.CompletedProcess
    crm_writes_before: int
    sync_state_before: list[tuple]
    sync_log_runs_before: set[str]


@pytest.fixture(scope="module")
def rerun(nightly_baseline: Baseline, tmp_path_factory: pytest.TempPathFactory) -> Rerun:
    """The baseline's logical date run a second time, on a copy of the baseline."""
    from funnelhouse.orchestration.local_airflow import run_dag

    with clone_pipeline(nightly_baseline, tmp_path_factory.mktemp("e2e-backfill")) as pipeline:
        if not run_succeeded(pipeline.first):
            pytest.fail(f"the nightly run this module starts from failed:\n{output_tail(pipeline.first)}")
        with duckdb.connect(str(pipeline.settings.duckdb_path), read_only=True) as wh:
            state = wh.execute("select * from ops.sync_state order by crm_contact_id").fetchall()
            runs = {r[0] for r in wh.execute("select distinct run_id from ops.sync_log").fetchall()}
        writes = pipeline.crm.stats()["writes"]
        result = run_dag(DAG_ID, nightly_baseline.logical_date, pipeline.env)
        (pipeline.home / "second-run.log").write_text(result.stdout + result.stderr)
        yield Rerun(nightly_baseline, pipeline, result, writes, state, runs)


def _planned_runs(pipeline: Pipeline, first_day: date, last_day: date, *options: str) -> list[str]:
    """The logical dates `airflow backfill create --dry-run` would create runs for."""
    from funnelhouse.orchestration.local_airflow import airflow_command

    args = ["backfill", "create", "--dag-id", DAG_ID, "--from-date", first_day.isoformat()]
    args += ["--to-date", last_day.isoformat(), "--dry-run", *options]
    result = subprocess.run(airflow_command(args), env=pipeline.env, capture_output=True, text=True)
    assert result.returncode == 0, output_tail(result)
    assert "Runs to be attempted" in result.stdout, output_tail(result)
    return re.findall(r"^\|\s*(\d{4}-\d{2}-\d{2})[ T]00:00:00\+00:00\s*\|", result.stdout, re.MULTILINE)


def test_backfill_of_two_days_plans_only_the_day_not_run_yet(rerun: Rerun):
    last_day = date.fromisoformat(rerun.baseline.logical_date)
    day_before = last_day - timedelta(days=1)
    assert _planned_runs(rerun.pipeline, day_before, last_day) == [day_before.isoformat()]


def test_backfill_with_reprocessing_plans_both_days(rerun: Rerun):
    last_day = date.fromisoformat(rerun.baseline.logical_date)
    day_before = last_day - timedelta(days=1)
    planned = _planned_runs(rerun.pipeline, day_before, last_day, "--reprocess-behavior", "completed")
    assert planned == [day_before.isoformat(), last_day.isoformat()]


def test_the_same_interval_runs_again_successfully(rerun: Rerun):
    assert run_succeeded(rerun.result), output_tail(rerun.result)
    output = rerun.result.stdout + rerun.result.stderr
    assert f"logical_date={rerun.baseline.logical_date} 00:00:00+00:00" in output
    assert "end task task_id=publish" in output


def _mart_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_catalog = ? and table_schema = 'marts'"
            " order by table_name",
            [catalog],
        ).fetchall()
    ]


def _differences(warehouse: Path, baseline_warehouse: Path) -> dict[str, tuple[int, int]]:
    """Per mart: (rows only in `warehouse`, rows only in the baseline), without bookkeeping columns (`_*`)
    and the CRM mirrors in WRITTEN_BACK."""
    differences = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{baseline_warehouse}' as baseline (read_only)")
        current = con.execute("select current_database()").fetchone()[0]
        tables = _mart_tables(con, current)
        assert tables and tables == _mart_tables(con, "baseline")
        for table in tables:
            columns = [
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns where table_catalog = ?"
                    " and table_schema = 'marts' and table_name = ? order by ordinal_position",
                    [current, table],
                ).fetchall()
                if not row[0].startswith("_") and row[0] not in WRITTEN_BACK.get(table, set())
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            now = f"select {listed} from marts.{table}"
            before = f"select {listed} from baseline.marts.{table}"
            added = con.execute(f"select count(*) from ({now} except all {before})").fetchone()[0]
            removed = con.execute(f"select count(*) from ({before} except all {now})").fetchone()[0]
            differences[table] = (added, removed)
    return differences


def _changed(differences: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    return {table: d for table, d in differences.items() if d != (0, 0)}


def test_every_mart_is_row_for_row_the_same(rerun: Rerun):
    """Scoring and lifecycle marts alike: both runs judge at the end of the interval (dbt var `as_of`),
    so the first run's CRM write-back, stamped later, changes nothing but the CRM mirror column."""
    assert run_succeeded(rerun.result), output_tail(rerun.result)
    differences = _differences(rerun.pipeline.settings.duckdb_path, rerun.baseline.home / "warehouse.duckdb")
    assert {"fct_mql_events", "fct_lead_score_daily", "dim_leads", "fct_mql_followups"} <= differences.keys()
    assert _changed(differences) == {}


def test_the_published_copy_holds_the_same_marts(rerun: Rerun):
    assert run_succeeded(rerun.result), output_tail(rerun.result)
    published = Path("published") / "funnelhouse.duckdb"
    differences = _differences(rerun.pipeline.home / published, rerun.baseline.home / published)
    assert {"fct_mql_events", "fct_lead_status_history"} <= differences.keys()
    assert _changed(differences) == {}


def test_the_crm_receives_nothing_and_the_sync_state_stands(rerun: Rerun):
    assert run_succeeded(rerun.result), output_tail(rerun.result)
    assert rerun.pipeline.crm.stats()["writes"] == rerun.crm_writes_before
    with duckdb.connect(str(rerun.pipeline.settings.duckdb_path), read_only=True) as wh:
        state = wh.execute("select * from ops.sync_state order by crm_contact_id").fetchall()
        logged = wh.execute("select run_id, action, status from ops.sync_log").fetchall()
    assert state == rerun.sync_state_before
    sent = [row for row in logged if row[0] not in rerun.sync_log_runs_before and row[2] != "skipped"]
    assert sent == []


def test_only_the_stages_the_first_run_wrote_to_the_crm_came_back(rerun: Rerun):
    assert run_succeeded(rerun.result), output_tail(rerun.result)
    with duckdb.connect(str(rerun.pipeline.settings.duckdb_path), read_only=True) as con:
        con.execute(f"attach '{rerun.baseline.home / 'warehouse.duckdb'}' as baseline (read_only)")
        changed = con.execute(
            "select now.crm_contact_id, now.lifecycle_stage from marts.dim_leads as now"
            " join baseline.marts.dim_leads as before using (person_id)"
            " where now.lifecycle_stage is distinct from before.lifecycle_stage"
        ).fetchall()
        moved_to_mql = {
            row[0]
            for row in con.execute(
                "select distinct log.crm_contact_id from baseline.ops.sync_log as log"
                " join baseline.marts.dim_leads as leads using (crm_contact_id)"
                " where log.status = 'confirmed' and log.action in ('create', 'update')"
                " and leads.lifecycle_stage in ('subscriber', 'lead')"
            ).fetchall()
        }
    assert moved_to_mql, "the first run moved contacts to MQL in the CRM"
    assert {contact for contact, _ in changed} == moved_to_mql
    assert {stage for _, stage in changed} == {MQL_STAGE}

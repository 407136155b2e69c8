"""Benchmark steps no other script measures: DAG parse time, a BI-style query per mart, `make demo`.

    python -m bench.bench_pipeline dag-parse
    python -m bench.bench_pipeline bi --home bench/work/S/home_duckdb [--no-build-missing]
    python -m bench.bench_pipeline demo --home bench/work/S/demo_home

Each prints a JSON object of its figures on its last stdout line (`bench.harness` reads it) and exits
non-zero when what it measured failed, so the driver records the step as failed with the reason.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.harness import report  # noqa: E402

# One BI-style question per mart, as a dashboard would ask it: aggregate by month and owner (or the
# mart's natural dimensions). DuckDB SQL; `count(*) filter (...)` also runs on PostgreSQL.
MART_QUERIES: dict[str, str] = {
    "dim_leads": """
        select date_trunc('month', first_mql_at) as month, owner_name, fit_grade,
               count(*) as leads, count(*) filter (where is_mql) as mqls, avg(lead_score) as avg_score
        from marts.dim_leads group by 1, 2, 3 order by 1, 2, 3""",
    "fct_lead_score_daily": """
        select date_trunc('month', score_date) as month, fit_grade, count(distinct person_id) as people,
               avg(lead_score) as avg_score, count(*) filter (where is_mql) as mql_days,
               sum(events_today) as events
        from marts.fct_lead_score_daily group by 1, 2 order by 1, 2""",
    "fct_mql_events": """
        select date_trunc('month', mql_at) as month, fit_grade, contract_version,
               count(*) as mqls, avg(lead_score) as avg_score
        from marts.fct_mql_events group by 1, 2, 3 order by 1, 2, 3""",
    "fct_lead_status_history": """
        select date_trunc('month', valid_from) as month, status, count(*) as spells,
               count(distinct person_id) as people, avg(days_in_status) as avg_days
        from marts.fct_lead_status_history group by 1, 2 order by 1, 2""",
    "fct_funnel_cohorts": """
        select cohort_month, dimension_name, sum(mql_count) as mqls, sum(sal_count) as sals,
               sum(sql_count) as sqls, avg(mql_to_sal_rate) as avg_mql_to_sal_rate
        from marts.fct_funnel_cohorts group by 1, 2 order by 1, 2""",
    "fct_deal_stage_durations": """
        select date_trunc('month', entered_at) as month, owner_id, deal_stage, count(*) as spells,
               avg(days_in_stage) as avg_days, count(*) filter (where is_stalled) as stalled
        from marts.fct_deal_stage_durations group by 1, 2, 3 order by 1, 2, 3""",
    "fct_stalled_deals": """
        select owner_name, deal_stage, count(*) as deals, sum(amount) as amount,
               avg(ratio_to_standard) as avg_ratio
        from marts.fct_stalled_deals group by 1, 2 order by 1, 2""",
    "fct_stage_health_by_rep": """
        select owner_name, deal_stage, sum(spells) as spells, avg(stalled_share) as stalled_share,
               avg(rushed_share) as rushed_share
        from marts.fct_stage_health_by_rep group by 1, 2 order by 1, 2""",
    "fct_pipeline_forecast": """
        select expected_close_month, owner_name, sum(open_deals) as open_deals,
               sum(pipeline_amount) as pipeline, sum(weighted_amount) as weighted
        from marts.fct_pipeline_forecast group by 1, 2 order by 1, 2""",
    "fct_mql_followups": """
        select date_trunc('month', mql_at) as month, owner_name, count(*) as mqls,
               avg(response_minutes) as avg_response_minutes,
               count(*) filter (where within_30_minutes) as within_30_minutes,
               count(*) filter (where is_untreated) as untreated
        from marts.fct_mql_followups group by 1, 2 order by 1, 2""",
    "fct_mql_followups_weekly_by_rep": """
        select date_trunc('month', week_start) as month, owner_name, sum(mqls) as mqls,
               sum(untreated) as untreated, avg(within_1_day_share) as within_1_day_share
        from marts.fct_mql_followups_weekly_by_rep group by 1, 2 order by 1, 2""",
    "fct_mql_volume_weekly": """
        select quarter_start, sum(mqls) as mqls, max(quarter_target) as quarter_target,
               count(*) filter (where is_on_pace) as weeks_on_pace
        from marts.fct_mql_volume_weekly group by 1 order by 1""",
}
# Cosmos renders the dbt project from this manifest (funnelhouse.orchestration.dags); not imported from
# there, because that module imports Airflow and would hide Airflow's import time.
MANIFEST_PATH = PROJECT_ROOT / "dbt_project" / "target" / "manifest.json"
# "cosmos.exceptions.CosmosDbtRunError: ..." - an exception as a traceback's last line names it.
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Failure): ")
QUERY_REPEATS = 3  # the first run is cold (file pages, catalog); the best of the rest is warm


def _fail(figures: dict[str, Any], message: str) -> None:
    """Print the figures measured so far (the harness keeps them) and exit non-zero with the reason."""
    report(figures)
    print(message, file=sys.stderr, flush=True)
    sys.exit(1)


def dag_parse() -> None:
    """Import `dags/` through Airflow's DagBag in this fresh process, with a throw-away AIRFLOW_HOME.

    Airflow's own import is timed apart from the parse: the scheduler pays it once, the parse every loop.
    """
    airflow_home = Path(tempfile.mkdtemp(prefix="fh-bench-airflow-"))
    os.environ["AIRFLOW_HOME"] = str(airflow_home)
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    # Parsing must not need the warehouse: point the home at an empty folder, as the integrity test does.
    os.environ["FUNNELHOUSE_HOME"] = str(airflow_home / "empty-home")
    figures: dict[str, Any] = {}

    started = time.perf_counter()
    if not MANIFEST_PATH.exists():
        from funnelhouse.dbt_runner import parse_manifest

        parse_manifest()
        figures["manifest_parse_s"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    from airflow.dag_processing.dagbag import DagBag

    figures["import_airflow_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    figures["parse_s"] = round(time.perf_counter() - started, 3)
    figures["dags"] = len(bag.dag_ids)
    figures["tasks"] = sum(len(dag.tasks) for dag in bag.dags.values())
    figures["import_errors"] = len(bag.import_errors)
    if bag.import_errors:
        first_file, first_error = next(iter(bag.import_errors.items()))
        _fail(figures, f"{len(bag.import_errors)} DAG import error(s); first in {first_file}:\n{first_error}")
    if not bag.dag_ids:
        _fail(figures, f"no DAG found in {PROJECT_ROOT / 'dags'}")
    report(figures)


def _timed_query(run: Callable[[str], list[tuple]], sql: str) -> tuple[int, float, float]:
    """Rows returned, cold milliseconds, best warm milliseconds."""
    times = []
    rows = 0
    for _ in range(QUERY_REPEATS):
        started = time.perf_counter()
        rows = len(run(sql))
        times.append((time.perf_counter() - started) * 1000)
    return rows, round(times[0], 2), round(min(times[1:] or times), 2)


def bi_queries(home: Path, build_missing: bool) -> None:
    """Time one dashboard query per mart on the DuckDB warehouse the dbt step left in `home`.

    The dbt benchmark builds the scoring layer only; with `build_missing`, the other marts are built
    first (`dbt run`, timed apart as `prepare_s`) so every mart gets its query.
    """
    import duckdb

    from funnelhouse.settings import Settings

    settings = Settings(home=home, warehouse="duckdb")
    if not settings.duckdb_path.exists():
        _fail({}, f"no DuckDB warehouse at {settings.duckdb_path}: run the dbt step first (bench.bench_dbt)")
    figures: dict[str, Any] = {}
    if build_missing and _present_marts(settings.duckdb_path) != set(MART_QUERIES):
        from funnelhouse.dbt_runner import run_dbt

        started = time.perf_counter()
        # stdout carries the figures line: keep dbt's own output on stderr.
        saved_stdout, sys.stdout = sys.stdout, sys.stderr
        try:
            code = run_dbt(["run", "--quiet", "--select", "+path:models/marts"], settings)
        finally:
            sys.stdout = saved_stdout
        figures["prepare_s"] = round(time.perf_counter() - started, 2)
        if code != 0:
            figures["prepare_error"] = f"dbt run of the marts exited {code}; querying the marts that exist"

    present = _present_marts(settings.duckdb_path)
    figures["missing_marts"] = ", ".join(sorted(set(MART_QUERIES) - present)) or "none"
    query_ms: dict[str, float] = {}
    cold_ms: dict[str, float] = {}
    rows: dict[str, int] = {}
    errors: dict[str, str] = {}
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        for mart, sql in MART_QUERIES.items():
            if mart not in present:
                continue
            try:
                rows[mart], cold_ms[mart], query_ms[mart] = _timed_query(
                    lambda q: con.execute(q).fetchall(), sql
                )
            except duckdb.Error as exc:
                errors[mart] = str(exc).splitlines()[0][:200]
    finally:
        con.close()
    figures.update(
        {
            "marts_queried": len(query_ms),
            "total_warm_ms": round(sum(query_ms.values()), 2),
            "total_cold_ms": round(sum(cold_ms.values()), 2),
            "slowest_mart": max(query_ms, key=query_ms.__getitem__) if query_ms else None,
            "warm_ms": query_ms,
            "rows": rows,
        }
    )
    if errors:
        figures["query_errors"] = errors
        _fail(figures, "BI query failed on " + "; ".join(f"marts.{m}: {e}" for m, e in errors.items()))
    if not query_ms:
        _fail(
            figures, f"no mart to query in {settings.duckdb_path} (expected some of {sorted(MART_QUERIES)})"
        )
    report(figures)


def _present_marts(path: Path) -> set[str]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        found = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    finally:
        con.close()
    return {name for (name,) in found}


def demo(home: Path, timeout_s: float) -> None:
    """`make demo` end to end (`python -m funnelhouse.demo`) with its home in the bench workdir."""
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "FUNNELHOUSE_HOME": str(home.resolve())}
    log = home / "bench-demo.log"
    started = time.perf_counter()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "funnelhouse.demo"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired as exc:
        figures = {"demo_s": round(time.perf_counter() - started, 1), "log": str(log)}
        log.write_text(str(exc.stdout or "") + str(exc.stderr or ""))
        _fail(figures, f"make demo did not finish within {timeout_s:.0f} s; its output is in {log}")
        return
    output = result.stdout + result.stderr
    log.write_text(output)
    figures = {
        "demo_s": round(time.perf_counter() - started, 1),
        "exit_code": result.returncode,
        "log": str(log),
    }
    confirmed = [line for line in result.stdout.splitlines() if "confirmed by the CRM" in line]
    if confirmed and confirmed[-1].rsplit(":", 1)[-1].strip().isdigit():
        figures["mqls_synced"] = int(confirmed[-1].rsplit(":", 1)[-1].strip())
    if result.returncode != 0:
        lines = output.strip().splitlines()
        # The last line is often just "DagRun failed": end with the first error, which says why.
        first_error = next((line.strip() for line in lines if EXCEPTION_LINE.match(line)), "")
        _fail(
            figures,
            f"make demo failed (exit code {result.returncode}; full output in {log}):\n"
            + "\n".join(lines[-10:])
            + (f"\nfirst error: {first_error[:300]}" if first_error else ""),
        )
    report(figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dag-parse", help="DagBag import of dags/ in a fresh AIRFLOW_HOME")
    bi = commands.add_parser("bi", help="a BI-style query per mart on a built DuckDB warehouse")
    bi.add_argument("--home", type=Path, required=True, help="FUNNELHOUSE_HOME holding warehouse.duckdb")
    bi.add_argument(
        "--no-build-missing",
        dest="build_missing",
        action="store_false",
        help="query only marts already built",
    )
    demo_cmd = commands.add_parser("demo", help="make demo end to end")
    demo_cmd.add_argument("--home", type=Path, required=True, help="FUNNELHOUSE_HOME for the demo")
    demo_cmd.add_argument("--timeout", type=float, default=1800.0, help="seconds before giving up")
    args = parser.parse_args()
    if args.command == "dag-parse":
        dag_parse()
    elif args.command == "bi":
        bi_queries(args.home, args.build_missing)
    else:
        demo(args.home, args.timeout)


if __name__ == "__main__":
    main()

"""`make demo`: the whole pipeline on a small world, through Airflow itself, then a summary.

1. generate a deterministic world ending yesterday (UTC) under $FUNNELHOUSE_HOME/world;
2. start the sandbox CRM on it (a real HTTP server, HubSpot v3 contract);
3. initialise a local Airflow (SQLite metadata) and run `funnelhouse_nightly` for the world's last day
   with `airflow dags test`;
4. stop the sandbox and print: people per status, MQLs synced to the CRM, SLA compliance, stalled deals,
   and where the published marts and docs are.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import funnelhouse  # noqa: F401  (telemetry off)
from funnelhouse.settings import get_settings

DEMO_CONTACTS = int(os.environ.get("FUNNELHOUSE_DEMO_CONTACTS", "1500"))
DEMO_DAYS = int(os.environ.get("FUNNELHOUSE_DEMO_DAYS", "90"))
DEMO_SEED = int(os.environ.get("FUNNELHOUSE_DEMO_SEED", "42"))
DEMO_TOKEN = "demo-sandbox-token"


def _say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def _fresh_home(home: Path) -> None:
    """The demo starts from a clean warehouse, world and state (the Airflow metadata DB is kept)."""
    for name in ("world", "warehouse.duckdb", "warehouse.duckdb.wal", "dlt", "gx", "published"):
        path = home / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def summary(settings=None) -> str:
    """Read the published copy (as a BI tool would) and the sync log."""
    import duckdb

    from funnelhouse.publish import published_dir

    settings = settings or get_settings()
    published = published_dir(settings) / "funnelhouse.duckdb"
    lines = []
    con = duckdb.connect(str(published), read_only=True)
    try:
        lines.append("People per status (current):")
        for status, people in con.execute(
            "select status, count(*) from marts.fct_lead_status_history where is_current group by 1 order by 2 desc"
        ).fetchall():
            lines.append(f"  {status:<12} {people:>6}")
        followups = con.execute(
            "select count(*), sum(case when within_30_minutes then 1 else 0 end),"
            " sum(case when within_1_day then 1 else 0 end), sum(case when is_untreated then 1 else 0 end)"
            " from marts.fct_mql_followups"
        ).fetchone()
        total, in_30, in_day, untreated = (v or 0 for v in followups)
        if total:
            lines.append(
                f"SLA: {total} MQL hand-offs, {in_30 / total:.0%} touched within 30 minutes, "
                f"{in_day / total:.0%} within 1 day, {untreated} untreated"
            )
        stalled = con.execute(
            "select count(distinct deal_id) from marts.fct_deal_stage_durations where is_stalled and is_current_stage"
        ).fetchone()[0]
        lines.append(f"Stalled open deals (hand back to nurturing): {stalled}")
    finally:
        con.close()
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as wh:
        synced = wh.execute(
            "select count(*) from ops.sync_log where status = 'confirmed' and not dry_run"
        ).fetchone()[0]
    lines.append(f"MQL promotions confirmed by the CRM: {synced}")
    out = published_dir(settings)
    lines += [
        f"Published marts (read-only DuckDB for BI): {published}",
        f"Parquet per mart: {out / 'parquet'}",
        f"dbt docs: {out / 'dbt_docs' / 'index.html'}",
        f"Data-quality docs: {out / 'data_quality_docs' / 'index.html'}",
    ]
    return "\n".join(lines)


def main() -> int:
    from funnelhouse.generator import generate_world
    from funnelhouse.orchestration.local_airflow import init_airflow, output_tail, run_dag, run_succeeded
    from funnelhouse.sandbox.testing import running_sandbox

    started = time.monotonic()
    settings = get_settings()
    home = settings.ensure_home().resolve()
    _fresh_home(home)
    last_day = (datetime.now(UTC) - timedelta(days=1)).date()
    _say(f"generating a world of {DEMO_CONTACTS} contacts over {DEMO_DAYS} days ending {last_day} ...")
    world = generate_world(
        out=settings.world_dir, contacts=DEMO_CONTACTS, days=DEMO_DAYS, seed=DEMO_SEED, end=last_day
    )
    print(world.describe(), flush=True)

    with running_sandbox(settings.world_dir, token=DEMO_TOKEN, db=home / "sandbox.sqlite") as crm:
        _say(f"sandbox CRM answering at {crm.url}")
        extra = {"FUNNELHOUSE_CRM_URL": crm.url, "FUNNELHOUSE_CRM_TOKEN": DEMO_TOKEN}
        _say("initialising a local Airflow (SQLite metadata) ...")
        env = init_airflow(settings, extra)
        from funnelhouse.dbt_runner import parse_manifest

        parse_manifest(settings)
        # The first run sends the whole history's MQLs at once, far above a night's volume: the demo
        # lets it through with the circuit breaker's explicit, logged override (the DAG's param).
        # Airflow 3: a manual run of logical date D covers the day before D, so the run that covers the
        # world's last day (and judges the marts at its end) is the next day's.
        logical_date = (last_day + timedelta(days=1)).isoformat()
        _say(
            f"running funnelhouse_nightly over {last_day} through Airflow (airflow dags test {logical_date});"
        )
        _say("  first sync of the world's whole history: the MQL circuit breaker is overridden (logged) ...")
        result = run_dag("funnelhouse_nightly", logical_date, env, conf='{"override_circuit_breaker": true}')
        log_path = home / "demo-airflow.log"
        log_path.write_text(result.stdout + result.stderr)
        if not run_succeeded(result):
            _say(f"the DAG run failed; Airflow's output is in {log_path}")
            print(output_tail(result, 40))
            return 1
    _say(f"sandbox stopped; Airflow's output is in {log_path}")
    print(summary(settings), flush=True)
    _say(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

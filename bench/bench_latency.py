"""Event-to-CRM latency: a qualifying web event lands → the CRM contact shows MQL, through Airflow itself.

The scenario of `tests/orchestration/test_mql_sync_end_to_end.py`, timed. Setup (not timed): a generated
world, the sandbox CRM on it and `funnelhouse_nightly` for its last day through Airflow (`airflow dags
test`, SQLite metadata; the circuit breaker overridden as `make demo` does, since that first run carries
the whole history's MQLs). Then a `Demo Requested` track event (30 points in the default contract) of an
identified contact who never was an MQL lands in a new `dt=` partition of the web events folder, and
`funnelhouse_mql_sync` runs for the next 15-minute slot. The clock starts when the file is written and
stops when the official HubSpot client first reads `lifecyclestage = marketingqualifiedlead` on the contact.

Figures:
- `dag_run_s`: the `airflow dags test funnelhouse_mql_sync` process, start to exit (parse, extract, the
  scoring/status dbt subgraph with its tests, marts gate, CRM sync); `dag_tasks`: tasks it ran;
- `event_to_crm_s`: file written → CRM shows MQL, when the run starts at once (the DAG run plus the poll);
- `slot_wait_avg_min` / `slot_wait_worst_min`: the wait for the next 15-minute slot (7.5 on average for
  events arriving uniformly, 15 at worst);
- `expected_latency_min` / `worst_latency_min`: slot wait + `event_to_crm_s`;
- `sla_target_min`: the contract's `sla.response_minutes_target` (the rep's follow-up target, counted from
  the MQL time, which is the event's time); `rep_minutes_left_expected` / `_worst`: what the latency leaves
  the rep of it; `worst_within_sla`: the worst case still leaves the rep time;
- `nightly_setup_s`: the setup's nightly run (not part of the latency).

Not measured: a real scheduler's delay from a slot to the run's first task, and its process per task,
which `airflow dags test` (every task in its one process) does not have.

Usage: `python -m bench.bench_latency [--contacts 300] [--days 60] [--workdir DIR]` (prints one dict; about
8 minutes at the defaults on 2 shared cores, more than half of it the setup's nightly run).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

SLOT_MINUTES = 15
END = date(2026, 11, 20)
EVENT_AT = datetime(2026, 11, 21, 0, 1, tzinfo=UTC)  # first minute of the day after the world's last day
POLL_S = 0.2
POLL_TIMEOUT_S = 60.0


def _wait_for_mql(crm, contact_id: str, lifecycle_property: str) -> float | None:
    """Poll the CRM until the contact shows MQL; the moment (perf_counter) it did, or None."""
    from funnelhouse.orchestration.testing import MQL_STAGE, crm_contact_properties

    deadline = time.perf_counter() + POLL_TIMEOUT_S
    while time.perf_counter() < deadline:
        if crm_contact_properties(crm, contact_id, [lifecycle_property])[lifecycle_property] == MQL_STAGE:
            return time.perf_counter()
        time.sleep(POLL_S)
    return None


def measure(contacts: int, days: int, seed: int, workdir: Path) -> dict:
    """Run the scenario once in `workdir` and return the figures."""
    import funnelhouse  # noqa: F401  (telemetry off)
    from funnelhouse.contract import load_contract
    from funnelhouse.generator import generate_world
    from funnelhouse.orchestration.dags import SYNC_INTERVAL
    from funnelhouse.orchestration.local_airflow import run_dag
    from funnelhouse.orchestration.testing import (
        build_baseline,
        clone_pipeline,
        land_track_event,
        next_sync_slot,
        output_tail,
        pick_unqualified_contact,
        run_succeeded,
    )
    from funnelhouse.settings import get_settings
    from reverse_etl.config import SyncConfig

    world = workdir / "world"
    shutil.rmtree(world, ignore_errors=True)
    generate_world(out=world, contacts=contacts, days=days, seed=seed, end=END)
    started = time.perf_counter()
    # the first run carries the whole history's MQLs, above the breaker's ceiling at larger worlds (as the demo)
    override = json.dumps({"override_circuit_breaker": True})
    # Airflow 3: the run for logical date D covers the day before D, so this one covers the world's last day
    nightly_date = (END + timedelta(days=1)).isoformat()
    baseline = build_baseline(world, workdir / "nightly", nightly_date, conf=override)
    nightly_setup_s = time.perf_counter() - started
    if not run_succeeded(baseline.result):
        raise RuntimeError(f"the setup's nightly run failed:\n{output_tail(baseline.result)}")

    shutil.rmtree(workdir / "sync", ignore_errors=True)
    (workdir / "sync").mkdir(parents=True)
    with clone_pipeline(baseline, workdir / "sync", own_web_events=True) as pipeline:
        contact = pick_unqualified_contact(pipeline.settings)
        slot = next_sync_slot(EVENT_AT, SYNC_INTERVAL)
        landed = time.perf_counter()
        land_track_event(pipeline.web_events, contact, "Demo Requested", EVENT_AT)
        result = run_dag("funnelhouse_mql_sync", slot.isoformat(), pipeline.env)
        ran = time.perf_counter()
        (workdir / "sync" / "mql-sync-run.log").write_text(result.stdout + result.stderr)
        if not run_succeeded(result):
            raise RuntimeError(f"funnelhouse_mql_sync failed:\n{output_tail(result)}")
        shown = _wait_for_mql(pipeline.crm, contact.crm_contact_id, SyncConfig().lifecycle_property)
        if shown is None:
            raise RuntimeError(
                f"contact {contact.crm_contact_id} did not show MQL within {POLL_TIMEOUT_S:g} s"
            )
    sla_min = load_contract(get_settings().contract_dir).sla.response_minutes_target
    output = result.stdout + result.stderr
    event_to_crm_min = (shown - landed) / 60
    wait_avg, wait_worst = SLOT_MINUTES / 2, float(SLOT_MINUTES)
    expected, worst = wait_avg + event_to_crm_min, wait_worst + event_to_crm_min
    return {
        "contacts": contacts,
        "days": days,
        "nightly_setup_s": round(nightly_setup_s, 1),
        "dag_run_s": round(ran - landed, 1),
        "dag_tasks": output.count("[DAG TEST] end task"),
        "event_to_crm_s": round(shown - landed, 1),
        "slot_wait_avg_min": wait_avg,
        "slot_wait_worst_min": wait_worst,
        "expected_latency_min": round(expected, 2),
        "worst_latency_min": round(worst, 2),
        "sla_target_min": sla_min,
        "rep_minutes_left_expected": round(sla_min - expected, 2),
        "rep_minutes_left_worst": round(sla_min - worst, 2),
        "worst_within_sla": worst < sla_min,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=300)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None, help="kept afterwards (default: a temp folder)")
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="fh-bench-latency-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        result = measure(args.contacts, args.days, args.seed, workdir.resolve())
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    lines = [
        f"funnelhouse_mql_sync run: {result['dag_run_s']} s ({result['dag_tasks']} tasks); "
        f"event landed -> CRM shows MQL: {result['event_to_crm_s']} s",
        f"with the wait for the next {SLOT_MINUTES}-minute slot: expected {result['expected_latency_min']} min, "
        f"worst {result['worst_latency_min']} min",
        f"SLA target {result['sla_target_min']} min: leaves the rep {result['rep_minutes_left_expected']} min "
        f"(expected), {result['rep_minutes_left_worst']} min (worst)",
    ]
    print("\n".join(lines), file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

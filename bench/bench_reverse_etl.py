"""Throughput of the CRM sync against the sandbox at its default limit (100 requests / 10 s).

The ceiling is 100 requests per 10 s x 100 records per batch = 1,000 records/s. Three runs are measured
on one sandbox world of N contacts (every 50th already a customer, so some promotions keep their stage),
with `raw_hubspot.contacts` holding the stages as the last extraction saw them:
- `promote`: N first promotions. The stage each starts from comes from the warehouse, so one request
  carries 100 records, as for a re-score.
- `rescore`: the same N contacts with a changed score (score fields only).
- `stream`: three more promotions (re-MQLs) for each of the first min(N, 10,000) contacts, applied in three
  rounds within one run: a stream of at least three windows, to see the steady state.

Figures per run:
- `share_of_ceiling` (whole run): records / wall time of `run_sync` (planning, the property check, every
  CRM call and every commit included) / 1,000. A run of about one window gains from the first window's
  burst, which the CRM's rolling window allows (the limiter starts empty).
- `steady_state_share`: records answered in the whole windows after the first one (the first request
  opens the first window), / their length / 1,000: the rate the limiter sustains once the burst is spent.
  Null when the run does not last two windows (promote and rescore at N = 10,000).
- `crm_span_s` (first batch started to last answer), `before_first_batch_s` (planning and checks),
  `after_last_answer_s` (commits left when the CRM was done), `requests`, `rate_limited_429` (the
  sandbox's count of 429 answers).

Usage: `python bench/bench_reverse_etl.py [--contacts 10000]` (prints one dict; about 1.5 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

CEILING_RECORDS_PER_S = 100 / 10 * 100
WINDOW_S = 10.0  # the sandbox's default rolling window
FIRST_ID = 1001
CUSTOMER_EVERY = 50  # every 50th contact is already a customer: its promotions keep that stage
STREAM_CONTACTS = 10_000
STREAM_PROMOTIONS = 3
TARGETS = {
    "funnelhouse_lead_score": "number",
    "funnelhouse_fit_grade": "string",
    "funnelhouse_mql_at": "datetime",
    "funnelhouse_mql_reasons": "string",
    "funnelhouse_contract_version": "string",
}
EXTRACTED_AT = datetime(2026, 12, 1, 2, tzinfo=UTC)


def stage_of(n: int) -> str:
    return "customer" if n % CUSTOMER_EVERY == 0 else "lead"


def write_world(root: Path, contacts: int) -> Path:
    """A minimal world: `contacts` leads (some customers) and the target property definitions."""
    (root / "crm" / "properties").mkdir(parents=True)
    created = "2026-10-01T09:00:00.000Z"
    with (root / "crm" / "contacts.jsonl").open("w") as out:
        for n in range(contacts):
            cid = str(FIRST_ID + n)
            props = {
                "email": f"bench{cid}@example.test",
                "lifecyclestage": stage_of(n),
                "createdate": created,
                "lastmodifieddate": created,
                "hs_object_id": cid,
            }
            out.write(
                json.dumps(
                    {
                        "id": cid,
                        "properties": props,
                        "createdAt": created,
                        "updatedAt": created,
                        "archived": False,
                    }
                )
                + "\n"
            )
    with (root / "crm" / "properties" / "contacts.jsonl").open("w") as out:
        for name, kind in TARGETS.items():
            out.write(
                json.dumps({"name": name, "label": name, "type": kind, "groupName": "funnelhouse"}) + "\n"
            )
    return root


def write_raw(settings, contacts: int) -> None:
    """`raw_hubspot.contacts` as the last extraction saw the world."""
    from reverse_etl.testing import replace_raw_contacts

    replace_raw_contacts(settings, [(str(FIRST_ID + n), stage_of(n), EXTRACTED_AT) for n in range(contacts)])


def write_mart(
    settings, contacts: int, score_offset: int, re_mqls: int = 0, re_mql_contacts: int = 0
) -> None:
    """One first promotion per contact, plus `re_mqls` later ones for the first `re_mql_contacts`."""
    from reverse_etl.testing import replace_mql_events

    start = datetime(2026, 11, 1, 9)
    rows = []
    for n in range(contacts):
        for sequence in range(1, 2 + (re_mqls if n < re_mql_contacts else 0)):
            rows.append(
                (
                    f"mql-{FIRST_ID + n}-{sequence}",
                    f"person-{n}",
                    str(FIRST_ID + n),
                    None,
                    start + timedelta(minutes=n, days=7 * (sequence - 1)),
                    40 + (n + score_offset + sequence) % 60,
                    30,
                    20,
                    "A",
                    "Demo requested; pricing page visited",
                    "2026.4",
                    sequence,
                )
            )
    replace_mql_events(settings, rows)


def answer_times(settings, run_id: str) -> tuple[datetime, list[datetime]]:
    """When the run's first batch started, and when each confirmed record's batch was answered (UTC)."""
    from funnelhouse.warehouse import open_warehouse

    with open_warehouse(settings, read_only=True) as wh:
        rows = wh.fetchall(
            "select started_at, finished_at from ops.sync_log where run_id = ? and status = 'confirmed'",
            [run_id],
        )
    first = min(r[0] for r in rows).replace(tzinfo=UTC)
    return first, sorted(r[1].replace(tzinfo=UTC) for r in rows)


def steady_state_share(first: datetime, answered: list[datetime]) -> float | None:
    """Records answered in whole windows after the first window, as a share of the ceiling."""
    span = (answered[-1] - first).total_seconds()
    windows = int(span // WINDOW_S) - 1
    if windows < 1:
        return None
    start = first + timedelta(seconds=WINDOW_S)
    end = start + timedelta(seconds=windows * WINDOW_S)
    records = sum(1 for t in answered if start <= t < end)
    return round(records / (windows * WINDOW_S) / CEILING_RECORDS_PER_S, 3)


def measure(settings, sandbox, label: str) -> dict:
    from reverse_etl import run_sync

    sandbox.reset_stats()
    started = time.monotonic()
    report = run_sync(settings=settings, override_circuit_breaker=True)  # bulk volume by design
    elapsed = time.monotonic() - started
    if not report.ok:
        raise SystemExit(f"{label}: the sync failed:\n{report.describe()}")
    stats = sandbox.stats()
    first, answered = answer_times(settings, report.run_id)
    rate = report.confirmed / elapsed
    return {
        "records": report.confirmed,
        "seconds": round(elapsed, 2),
        "requests": stats["requests"],
        "records_per_s": round(rate, 1),
        "share_of_ceiling": round(rate / CEILING_RECORDS_PER_S, 3),
        "steady_state_share": steady_state_share(first, answered),
        "crm_span_s": round((answered[-1] - first).total_seconds(), 2),
        "before_first_batch_s": round((first - report.started_at).total_seconds(), 2),
        "after_last_answer_s": round((report.finished_at - answered[-1]).total_seconds(), 2),
        "kept_stage": sum(
            n for reason, n in report.skip_reasons.items() if reason.startswith("lifecyclestage")
        ),
        "rate_limited_429": stats["rate_limited"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    args = parser.parse_args()

    import funnelhouse  # noqa: F401  (telemetry off)
    from funnelhouse.sandbox.testing import running_sandbox
    from funnelhouse.settings import get_settings
    from reverse_etl.config import SyncConfig

    tmp = Path(tempfile.mkdtemp(prefix="fh-bench-retl-"))
    world = write_world(tmp / "world", args.contacts)
    stream_contacts = min(args.contacts, STREAM_CONTACTS)
    with running_sandbox(world, token="bench-token", rate_limit=100) as sandbox:
        os.environ.update(
            FUNNELHOUSE_HOME=str(tmp / "home"),
            FUNNELHOUSE_WAREHOUSE="duckdb",
            FUNNELHOUSE_CRM_URL=sandbox.url,
            FUNNELHOUSE_CRM_TOKEN=sandbox.token,
        )
        get_settings.cache_clear()
        settings = get_settings()
        config = SyncConfig()
        write_raw(settings, args.contacts)
        write_mart(settings, args.contacts, score_offset=0)
        promote = measure(settings, sandbox, "promote")
        time.sleep(WINDOW_S)  # let the CRM's window drain so the next run starts cold too
        write_mart(settings, args.contacts, score_offset=1)
        rescore = measure(settings, sandbox, "rescore")
        time.sleep(WINDOW_S)
        write_mart(settings, args.contacts, 1, re_mqls=STREAM_PROMOTIONS, re_mql_contacts=stream_contacts)
        stream = measure(settings, sandbox, "stream")
    result = {
        "contacts": args.contacts,
        "ceiling_records_per_s": CEILING_RECORDS_PER_S,
        "client_limit": (
            f"{config.max_requests} requests / {config.window_seconds:g} s (FUNNELHOUSE_SYNC_MAX_REQUESTS),"
            " each slot held until a window after its answer"
        ),
        "concurrency": config.concurrency,
        "promote": promote,
        "rescore": rescore,
        "stream": stream,
        "rate_limited_429_total": promote["rate_limited_429"]
        + rescore["rate_limited_429"]
        + stream["rate_limited_429"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

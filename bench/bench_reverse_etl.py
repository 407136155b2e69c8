"""Throughput of the CRM sync against the sandbox at its default limit (100 requests / 10 s).

The ceiling is 100 requests per 10 s x 100 records per batch = 1,000 records/s. Two runs are measured:
- `promote`: N first promotions. Each batch of 100 needs a batch read of the contacts' lifecycle stage
  (stages only move forward) plus the batch update, so two requests per 100 records: the best possible is
  half the ceiling.
- `rescore`: the same N contacts with a changed score: updates only, no stage read.

For each: records/s over the whole run (planning, CRM calls and state commits included) as a share of
the ceiling, the requests sent and the 429s the sandbox answered. The client keeps itself at 95 requests
per rolling 10 s, so 95% is the most a long run can reach; a short run gains a little from the first
window's burst (the CRM's rolling window allows it too).

Usage: `python bench/bench_reverse_etl.py [--contacts 10000]` (prints one dict; takes about a minute).
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
TARGETS = {
    "funnelhouse_lead_score": "number",
    "funnelhouse_fit_grade": "string",
    "funnelhouse_mql_at": "datetime",
    "funnelhouse_mql_reasons": "string",
    "funnelhouse_contract_version": "string",
}


def write_world(root: Path, contacts: int) -> Path:
    """A minimal world: `contacts` leads and the target property definitions."""
    (root / "crm" / "properties").mkdir(parents=True)
    created = "2026-10-01T09:00:00.000Z"
    with (root / "crm" / "contacts.jsonl").open("w") as out:
        for n in range(contacts):
            cid = str(FIRST_ID + n)
            props = {
                "email": f"bench{cid}@example.test",
                "lifecyclestage": "lead",
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


def write_mart(settings, contacts: int, score_offset: int) -> None:
    from reverse_etl.testing import replace_mql_events

    start = datetime(2026, 11, 1, 9, tzinfo=UTC).replace(tzinfo=None)
    rows = [
        (
            f"mql-{FIRST_ID + n}",
            f"person-{n}",
            str(FIRST_ID + n),
            None,
            start + timedelta(minutes=n),
            40 + (n + score_offset) % 60,
            30,
            20,
            "A",
            "Demo requested; pricing page visited",
            "2026.4",
            1,
        )
        for n in range(contacts)
    ]
    replace_mql_events(settings, rows)


def measure(settings, sandbox, label: str) -> dict:
    from reverse_etl import run_sync

    sandbox.reset_stats()
    started = time.monotonic()
    report = run_sync(settings=settings, override_circuit_breaker=True)  # bulk volume by design
    elapsed = time.monotonic() - started
    if not report.ok:
        raise SystemExit(f"{label}: the sync failed:\n{report.describe()}")
    stats = sandbox.stats()
    rate = report.confirmed / elapsed
    return {
        "records": report.confirmed,
        "seconds": round(elapsed, 2),
        "requests": stats["requests"],
        "records_per_s": round(rate, 1),
        "share_of_ceiling": round(rate / CEILING_RECORDS_PER_S, 3),
        "rate_limited_429": stats["rate_limited"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    args = parser.parse_args()

    import funnelhouse  # noqa: F401  (telemetry off)
    from funnelhouse.sandbox.testing import running_sandbox
    from funnelhouse.settings import get_settings

    tmp = Path(tempfile.mkdtemp(prefix="fh-bench-retl-"))
    world = write_world(tmp / "world", args.contacts)
    with running_sandbox(world, token="bench-token", rate_limit=100) as sandbox:
        os.environ.update(
            FUNNELHOUSE_HOME=str(tmp / "home"),
            FUNNELHOUSE_WAREHOUSE="duckdb",
            FUNNELHOUSE_CRM_URL=sandbox.url,
            FUNNELHOUSE_CRM_TOKEN=sandbox.token,
        )
        get_settings.cache_clear()
        settings = get_settings()
        write_mart(settings, args.contacts, score_offset=0)
        promote = measure(settings, sandbox, "promote")
        time.sleep(WINDOW_S)  # let the CRM's window drain so the second run starts cold too
        write_mart(settings, args.contacts, score_offset=1)
        rescore = measure(settings, sandbox, "rescore")
    result = {
        "contacts": args.contacts,
        "ceiling_records_per_s": CEILING_RECORDS_PER_S,
        "client_limit": "95 requests / 10 s (FUNNELHOUSE_SYNC_MAX_REQUESTS)",
        "promote": promote,
        "rescore": rescore,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

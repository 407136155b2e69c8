"""Time of the raw gate on one day's increment versus the whole history, at a given history size.

The raw gate validates event-scale tables (web events, e-mail events, property history) only inside the
run's interval. This measures why: a synthetic DuckDB warehouse with `--events` web events spread over
`--days` days (plus e-mail events, a tenth as many, and a CRM of `--contacts` contacts) is validated
1. for the last day only (what the nightly DAG runs), and
2. over whole tables (what the gate would cost without increments; skip with `--skip-whole` when the
   history is too large to hold in memory: on DuckDB every validated relation is read into pandas).

Each measurement is a fresh `run_check` (a new GX context, as in a DAG task) and reports its wall time and
the rows validated. `--nightly-seconds` (the rest of the nightly run, measured elsewhere) turns the
increment's time into a share of the night.

Usage: `python bench/bench_quality.py [--events 10000000] [--days 90] [--contacts 10000] [--skip-whole]`
Prints one JSON object on its last line.
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
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

TS = "timestamp with time zone"


def build_warehouse(path: Path, events: int, days: int, contacts: int, end: datetime) -> None:
    """Synthesise a clean raw layer with DuckDB's own generators (seconds even at 10M rows)."""
    import duckdb

    start = end - timedelta(days=days)
    span = days * 86400
    emails = max(events // 10, 1)
    con = duckdb.connect(str(path))
    try:
        for schema in ("raw_hubspot", "raw_web", "raw_email"):
            con.execute(f"create schema {schema}")
        crm = f"created_at {TS}, updated_at {TS}, archived boolean, is_deleted boolean, _extracted_at {TS}"
        con.execute(
            """create table raw_hubspot.contacts as
            select cast(i as varchar) as id, ?::timestamptz as created_at, ?::timestamptz as updated_at,
                   false as archived, false as is_deleted, ?::timestamptz as _extracted_at,
                   'person' || i || '@example.com' as email,
                   (['subscriber', 'lead', 'marketingqualifiedlead', 'customer'])[1 + i % 4] as lifecyclestage,
                   (['NEW', 'OPEN', 'CONNECTED'])[1 + i % 3] as hs_lead_status,
                   '2026-01-01T00:00:00.000Z' as createdate, '2026-01-02T00:00:00.000Z' as lastmodifieddate
            from range(?) t(i)""",
            [start, start, end, contacts],
        )
        con.execute(
            "create table raw_hubspot.companies as select cast(i as varchar) as id, ?::timestamptz as created_at,"
            " ?::timestamptz as updated_at, false as archived, false as is_deleted, ?::timestamptz as _extracted_at,"
            " 'Company ' || i as name from range(?) t(i)",
            [start, start, end, max(contacts // 4, 1)],
        )
        con.execute(
            "create table raw_hubspot.deals as select cast(1000000 + i as varchar) as id, ?::timestamptz as created_at,"
            " ?::timestamptz as updated_at, false as archived, false as is_deleted, ?::timestamptz as _extracted_at,"
            " 'proposal' as dealstage from range(?) t(i)",
            [start, start, end, max(contacts // 20, 1)],
        )
        con.execute(
            "create table raw_hubspot.associations as select 'deals' as from_object_type,"
            " cast(1000000 + i as varchar) as from_object_id, 'contacts' as to_object_type,"
            " cast(i as varchar) as to_object_id, 'deal_to_contact' as association_type,"
            " ?::timestamptz as _extracted_at from range(?) t(i)",
            [end, max(contacts // 20, 1)],
        )
        con.execute(
            f"create table raw_hubspot.owners (id varchar, email varchar, first_name varchar, last_name varchar,"
            f" user_id bigint, {crm})"
        )
        con.execute("insert into raw_hubspot.owners values ('31', 'rep@example.com', 'R', 'Ep', 1, ?, ?, false, false, ?)",
                    [start, start, end])  # fmt: skip
        con.execute(
            """create table raw_hubspot.property_history as
            select 'contacts' as object_type, cast(i % ? as varchar) as object_id, 'lifecyclestage' as property,
                   'lead' as value, ?::timestamptz + to_seconds(cast(i * ? / ? as bigint)) as changed_at,
                   'CRM_UI' as source_type, null as source_id, null as updated_by_user_id, ?::timestamptz as _extracted_at
            from range(?) t(i)""",
            [contacts, start, span, contacts, end, contacts],
        )
        con.execute(
            """create table raw_web.events as
            with e as (select i, ?::timestamptz + to_seconds(cast(i * ? / ? as bigint)) as ts from range(?) t(i))
            select 'm' || i as message_id, (['page', 'track', 'identify'])[1 + i % 3] as type,
                   case when i % 3 = 1 then 'Demo Requested' end as event, 'Home' as name,
                   'anon-' || (i % 50000) as anonymous_id, null as user_id,
                   ts as "timestamp", ts as sent_at, ts + interval 2 second as received_at,
                   case when i % 3 = 2 then 'person' || (i % ?) || '@example.com' end as traits__email,
                   '/pricing' as context__page__path
            from e""",
            [start, span, events, events, contacts],
        )
        con.execute(
            """create table raw_email.events as
            with e as (select i, ?::timestamptz + to_seconds(cast(i * ? / ? as bigint)) as ts from range(?) t(i))
            select 'sg' || i as sg_event_id, 'msg' || i as sg_message_id, 'person' || (i % ?) || '@example.com' as email,
                   (['delivered', 'open', 'click'])[1 + i % 3] as event, epoch(ts)::bigint as "timestamp",
                   ts as event_at, 'nurture' as campaign
            from e""",
            [start, span, emails, emails, contacts],
        )
    finally:
        con.close()


def timed_check(**kwargs: Any) -> dict[str, Any]:
    from expectations import run_check

    started = time.perf_counter()
    report = run_check("raw", **kwargs)
    seconds = time.perf_counter() - started
    rows = {
        o.table: int(o.observed_value)
        for o in report.outcomes
        if o.expectation.startswith("expect_table_row")
    }
    return {
        "seconds": round(seconds, 2),
        "ok": report.ok,
        "expectations": len(report.outcomes),
        "web_event_rows": rows.get("raw_web.events"),
        "email_event_rows": rows.get("raw_email.events"),
        "failures": [o.line()[:200] for o in report.failures][:5],
    }


def run(
    events: int, days: int, contacts: int, skip_whole: bool, nightly_seconds: float | None
) -> dict[str, Any]:
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="fh-bench-quality-") as tmp:
        os.environ["FUNNELHOUSE_HOME"] = tmp
        os.environ["FUNNELHOUSE_WAREHOUSE"] = "duckdb"
        os.environ.setdefault("FUNNELHOUSE_DQ_DATA_DOCS", "false")
        from funnelhouse.settings import get_settings

        get_settings.cache_clear()
        started = time.perf_counter()
        build_warehouse(get_settings().duckdb_path, events, days, contacts, end)
        build_seconds = time.perf_counter() - started
        import expectations.runner  # noqa: F401  (GX import time is not the gate's time)

        since = (end - timedelta(days=1)).isoformat()
        increment = timed_check(since=since, until=end.isoformat())
        whole = None if skip_whole else timed_check(until=end.isoformat())
    result: dict[str, Any] = {
        "bench": "quality",
        "events": events,
        "days": days,
        "contacts": contacts,
        "synthesis_seconds": round(build_seconds, 2),
        "increment": increment,
        "whole": whole,
    }
    if whole:
        result["whole_over_increment"] = round(whole["seconds"] / max(increment["seconds"], 1e-9), 1)
    if nightly_seconds:
        result["increment_share_of_night"] = round(
            increment["seconds"] / (nightly_seconds + increment["seconds"]), 3
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="web events of history")
    parser.add_argument("--days", type=int, default=90, help="days the history spans")
    parser.add_argument("--contacts", type=int, default=10_000, help="CRM contacts")
    parser.add_argument("--skip-whole", action="store_true", help="measure the increment only")
    parser.add_argument(
        "--nightly-seconds", type=float, default=None, help="rest of the nightly run, seconds"
    )
    args = parser.parse_args()
    print(json.dumps(run(args.events, args.days, args.contacts, args.skip_whole, args.nightly_seconds)))


if __name__ == "__main__":
    main()

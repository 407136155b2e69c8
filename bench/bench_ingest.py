"""Benchmark ingestion: web events against DuckDB's own `read_json` ceiling, CRM against the rate limit.

    python -m bench.bench_ingest --events 10000000 --files 40 --contacts 2000 [--skip-crm] [--skip-web]

Web: writes synthetic Segment events (the world format, 0.1% re-delivered duplicates) as dt=... JSONL
partitions, then times (a) DuckDB `CREATE TABLE AS SELECT * FROM read_json(...)` of the same files (the
practical ceiling: no checks, no de-duplication) and (b) `ingest_web` into a fresh warehouse. The ratio
(b)/(a) in rows per second is the figure to watch; the aim is at least 0.25.
CRM: generates a world, serves it from the sandbox at HubSpot's default limit (100 requests / 10 s) and
times `ingest_crm`: records per second and how much of the request budget was used.

Prints a short human summary, then (last line) a JSON object of the figures, as `bench.harness` expects.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import funnelhouse  # noqa: F401  (telemetry off)

WINDOW_END = date(2026, 11, 20)


def write_web_events(folder: Path, events: int, files: int) -> int:
    """Synthetic Segment events in `files` daily partitions; returns the number of lines written."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    per_file = max(1, events // files)
    written = 0
    for n in range(files):
        day = WINDOW_END - timedelta(days=files - 1 - n)
        start, stop = n * per_file, events if n == files - 1 else (n + 1) * per_file
        path = folder / f"dt={day.isoformat()}" / "part-0000.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"""
            COPY (
              WITH base AS (
                SELECT i, TIMESTAMPTZ '{day.isoformat()} 00:00:00+00' + to_milliseconds(i % 86400000) AS happened
                FROM range({start}, {stop}) t(i)
              ), events AS (
                SELECT i, happened FROM base UNION ALL SELECT i, happened FROM base WHERE i % 1000 = 0
              )
              SELECT
                'msg-' || i AS messageId,
                CASE i % 10 WHEN 0 THEN 'track' WHEN 1 THEN 'identify' ELSE 'page' END AS type,
                CASE WHEN i % 10 = 0 THEN 'White Paper Downloaded' END AS event,
                CASE WHEN i % 10 > 1 THEN 'Pricing' END AS name,
                'anon-' || (i // 7) AS anonymousId,
                CASE WHEN i % 10 = 1 THEN 'user-' || (i // 7) END AS userId,
                strftime(happened, '%Y-%m-%dT%H:%M:%S.%gZ') AS timestamp,
                strftime(happened + INTERVAL 1 SECOND, '%Y-%m-%dT%H:%M:%S.%gZ') AS sentAt,
                strftime(happened + INTERVAL 2 SECOND, '%Y-%m-%dT%H:%M:%S.%gZ') AS receivedAt,
                struct_pack(
                  page := struct_pack(url := 'https://northwind.example/p/' || (i % 50), path := '/p/' || (i % 50),
                                      referrer := 'https://www.google.com/', title := 'Page ' || (i % 50)),
                  campaign := struct_pack(source := 'google', medium := 'cpc', name := 'fall-' || (i % 5)),
                  ip := '10.0.' || (i % 250) || '.' || (i % 200),
                  userAgent := 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/131.0',
                  library := struct_pack(name := 'analytics.js', version := '4.1.0')
                ) AS context,
                struct_pack(url := 'https://northwind.example/p/' || (i % 50), path := '/p/' || (i % 50),
                            title := 'Page ' || (i % 50), asset_id := 'asset-' || (i % 9)) AS properties,
                CASE WHEN i % 10 = 1 THEN struct_pack(email := 'u' || (i // 7) || '@x.example', firstName := 'Ada')
                END AS traits
              FROM events
            ) TO '{path}' (FORMAT json)
            """
        )
        written += (stop - start) + len(range(start + (-start % 1000), stop, 1000))
    con.close()
    return written


def bench_web(events: int, files: int, work: Path) -> dict[str, Any]:
    import duckdb

    from funnelhouse.settings import Settings
    from ingestion.web import ingest_web

    folder = work / "web"
    started = time.perf_counter()
    lines = write_web_events(folder, events, files)
    generate_s = time.perf_counter() - started

    ceiling_db = work / "ceiling.duckdb"
    started = time.perf_counter()
    con = duckdb.connect(str(ceiling_db))
    con.execute(
        f"CREATE TABLE events AS SELECT * FROM read_json('{folder}/*/*.jsonl', format = 'newline_delimited')"
    )
    ceiling_rows = con.execute("SELECT count(*) FROM events").fetchone()[0]
    con.close()
    ceiling_s = time.perf_counter() - started
    ceiling_db.unlink(missing_ok=True)

    home = work / "home"
    settings = Settings(home=home, web_events=str(folder), warehouse="duckdb")
    started = time.perf_counter()
    report = ingest_web(settings)
    ingest_s = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(report.describe())
    ceiling_rate = ceiling_rows / ceiling_s
    ingest_rate = lines / ingest_s
    return {
        "web_lines": lines,
        "web_files": files,
        "web_rows_loaded": report.rows.get("events", 0),
        "web_generate_s": round(generate_s, 2),
        "web_read_json_s": round(ceiling_s, 2),
        "web_read_json_rows_per_s": round(ceiling_rate),
        "web_ingest_s": round(ingest_s, 2),
        "web_ingest_rows_per_s": round(ingest_rate),
        "web_ratio_to_read_json": round(ingest_rate / ceiling_rate, 3),
    }


def bench_crm(contacts: int, work: Path) -> dict[str, Any]:
    from funnelhouse.generator import generate_world
    from funnelhouse.sandbox.testing import running_sandbox
    from funnelhouse.settings import Settings
    from ingestion.crm import ingest_crm

    world = work / "world"
    generate_world(out=world, contacts=contacts, days=90, seed=42, end=WINDOW_END)
    limit = 100
    with running_sandbox(world, rate_limit=limit) as sandbox:
        os.environ["FUNNELHOUSE_CRM_RATE_LIMIT"] = str(limit)
        settings = Settings(home=work / "crm-home", crm_url=sandbox.url, crm_token=sandbox.token)
        started = time.perf_counter()
        report = ingest_crm(settings)
        seconds = time.perf_counter() - started
        stats = sandbox.stats()
    if not report.ok:
        raise RuntimeError(report.describe())
    records = sum(n for table, n in report.rows.items() if table not in ("property_history", "associations"))
    requests_per_s = report.figures["requests"] / seconds
    return {
        "crm_contacts": contacts,
        "crm_records": records,
        "crm_requests": int(report.figures["requests"]),
        "crm_429s": stats.get("rate_limited", 0),
        "crm_s": round(seconds, 2),
        "crm_records_per_s": round(records / seconds, 1),
        "crm_requests_per_s": round(requests_per_s, 2),
        "crm_rate_limit_per_s": limit / 10,
        "crm_rate_limit_share_used": round(requests_per_s / (limit / 10), 3),
    }


def run(events: int, files: int, contacts: int, web: bool = True, crm: bool = True) -> dict[str, Any]:
    """Run the selected benchmarks in a scratch folder; returns the figures."""
    work = Path(tempfile.mkdtemp(prefix="fh-bench-ingest-"))
    figures: dict[str, Any] = {}
    try:
        if web:
            figures.update(bench_web(events, files, work))
        if crm:
            figures.update(bench_crm(contacts, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--contacts", type=int, default=2_000)
    parser.add_argument("--skip-web", action="store_true")
    parser.add_argument("--skip-crm", action="store_true")
    args = parser.parse_args()
    figures = run(args.events, args.files, args.contacts, web=not args.skip_web, crm=not args.skip_crm)
    if "web_ratio_to_read_json" in figures:
        print(
            f"web: {figures['web_ingest_rows_per_s']:,} rows/s vs read_json {figures['web_read_json_rows_per_s']:,} "
            f"rows/s (ratio {figures['web_ratio_to_read_json']})"
        )
    if "crm_records_per_s" in figures:
        print(
            f"crm: {figures['crm_records_per_s']} records/s, {figures['crm_requests_per_s']} requests/s of "
            f"{figures['crm_rate_limit_per_s']} allowed"
        )
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()

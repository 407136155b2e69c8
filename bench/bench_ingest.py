"""Benchmark ingestion: web events against DuckDB's own `read_json` ceiling, CRM against the rate limit.

    python -m bench.bench_ingest --events 10000000 --files 40 --contacts 2000 [--skip-crm] [--skip-web]
                                 [--ceiling-runs 2] [--crm-max-contacts 10000] [--duckdb-memory-limit 3GB]

Web: writes synthetic Segment events (the world format, 0.1% re-delivered duplicates) as dt=... JSONL
partitions, then times (a) DuckDB `CREATE TABLE AS SELECT * FROM read_json(...)` of the same files into a
database file (the practical ceiling: no checks, no de-duplication) and (b) `ingest_web` into a fresh
DuckDB warehouse. The ratio (b)/(a) in rows per second is the figure to watch; the aim is at least 0.25.
On a shared machine the neighbours' load moves both, so (a) runs before and after (b) (`--ceiling-runs`,
default 2) and the ratio uses their mean: the ceiling as it was around the ingestion. The same ratio in
CPU seconds of the process (`web_ratio_to_read_json_cpu`) moves least with the neighbours' load; it
does not see idle time, so the wall-time ratio stays the figure to watch. Before (b), a
100-event file is ingested into a throwaway warehouse, so (b) pays no one-off imports (dlt, ...), as (a)
pays none for `duckdb`; `web_warm_up_s` reports that warm-up.
Memory: the ingestion runs under FUNNELHOUSE_DUCKDB_MEMORY_LIMIT `--duckdb-memory-limit` (default 3GB, as
bench_dbt's builds; `none`: DuckDB's default, 80% of the machine's memory), reported as
`duckdb_memory_limit`. Without it the load's closing checkpoint let DuckDB's buffer pool grow with the
load (4,181 MiB at M, over the 4 GiB budget). The `read_json` ceiling keeps DuckDB's default.
CRM: generates a world, serves it from the sandbox at HubSpot's default limit (100 requests / 10 s) and
times `ingest_crm`: records per second and how much of the request budget was used. Both are rates, so a
subset measures them: past `--crm-max-contacts` contacts (default 10,000, scale S; the M world's 100k
contacts would take over half an hour at the rate limit) the world is generated with that many contacts,
`crm_contacts` says how many, `crm_contacts_requested` how many were asked for, and `crm_subset` is true.

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
DUCKDB_MEMORY_LIMIT = "3GB"  # as bench_dbt: each DuckDB session of the step stays under the 4 GiB budget


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


def read_json_ceiling(folder: Path, work: Path) -> tuple[int, float, float, float]:
    """DuckDB's own `read_json` of every file into a table of a database file: (rows, seconds, CPU seconds,
    peak RSS MiB of the process that read them).

    Run in a child process (and timed there), so the memory DuckDB keeps after it does not add to the
    ingestion's in this process: the step's peak RSS is the larger of the two, as for separate steps.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_read_json_ceiling_here, folder, work).result()


def _read_json_ceiling_here(folder: Path, work: Path) -> tuple[int, float, float, float]:
    import duckdb

    ceiling_db = work / "ceiling.duckdb"
    cpu = time.process_time()
    started = time.perf_counter()
    con = duckdb.connect(str(ceiling_db))
    con.execute(
        f"CREATE TABLE events AS SELECT * FROM read_json('{folder}/*/*.jsonl', format = 'newline_delimited')"
    )
    rows = con.execute("SELECT count(*) FROM events").fetchone()[0]
    con.close()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    ceiling_db.unlink(missing_ok=True)
    Path(f"{ceiling_db}.wal").unlink(missing_ok=True)
    return rows, seconds, cpu, _own_peak_rss_mb()


def _reset_own_peak_rss() -> None:
    """Start this process's VmHWM afresh from its current RSS (Linux: `5` to /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # not Linux, or not allowed: the figure then includes what came before


def _own_peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not `ru_maxrss`: Linux carries that over `execve`, so a spawned
    child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def warm_up(work: Path, memory_limit: str | None = DUCKDB_MEMORY_LIMIT) -> float:
    """Ingest a 100-event file into a throwaway warehouse, so the timed run pays no one-off imports."""
    from funnelhouse.settings import Settings
    from ingestion.web import ingest_web

    folder = work / "warm-up"
    write_web_events(folder, 100, 1)
    started = time.perf_counter()
    report = ingest_web(
        Settings(
            home=work / "warm-up-home",
            web_events=str(folder),
            warehouse="duckdb",
            duckdb_memory_limit=memory_limit,
        )
    )
    seconds = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(report.describe())
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(work / "warm-up-home", ignore_errors=True)
    return seconds


def bench_web(
    events: int,
    files: int,
    work: Path,
    ceiling_runs: int = 2,
    memory_limit: str | None = DUCKDB_MEMORY_LIMIT,
) -> dict[str, Any]:
    from funnelhouse.settings import Settings
    from ingestion.web import ingest_web

    folder = work / "web"
    started = time.perf_counter()
    lines = write_web_events(folder, events, files)
    generate_s = time.perf_counter() - started
    warm_up_s = warm_up(work, memory_limit)

    ceilings = [read_json_ceiling(folder, work)]
    home = work / "home"
    settings = Settings(
        home=home, web_events=str(folder), warehouse="duckdb", duckdb_memory_limit=memory_limit
    )
    files_peak_mb = _own_peak_rss_mb()  # writing the files and the warm-up
    _reset_own_peak_rss()
    cpu = time.process_time()
    started = time.perf_counter()
    report = ingest_web(settings)
    ingest_s = time.perf_counter() - started
    ingest_cpu_s = time.process_time() - cpu
    # the ingestion's own peak (the peak was reset before it; the ceiling reads run in children)
    ingest_peak_mb = _own_peak_rss_mb()
    if not report.ok:
        raise RuntimeError(report.describe())
    shutil.rmtree(home, ignore_errors=True)  # room on disk for the ceiling's second run
    ceilings += [read_json_ceiling(folder, work) for _ in range(max(0, ceiling_runs - 1))]
    ceiling_rows = ceilings[0][0]
    ceiling_s = sum(c[1] for c in ceilings) / len(ceilings)
    ceiling_cpu_s = sum(c[2] for c in ceilings) / len(ceilings)
    ceiling_rate = ceiling_rows / ceiling_s
    ingest_rate = lines / ingest_s
    figures = {
        "web_lines": lines,
        "web_files": files,
        "web_rows_loaded": report.rows.get("events", 0),
        "web_generate_s": round(generate_s, 2),
        "web_read_json_s": round(ceiling_s, 2),
        "web_read_json_rows_per_s": round(ceiling_rate),
        "web_ingest_s": round(ingest_s, 2),
        "web_ingest_rows_per_s": round(ingest_rate),
        "web_ratio_to_read_json": round(ingest_rate / ceiling_rate, 3),
        # beside them: how the ceiling moved, and what ingestion did
        "web_read_json_runs": len(ceilings),
        "web_read_json_first_s": round(ceilings[0][1], 2),
        "web_read_json_last_s": round(ceilings[-1][1], 2),
        "web_ratio_to_first_read_json": round(ceilings[0][1] / ingest_s * lines / ceiling_rows, 3),
        # CPU seconds of this process (every thread): what a neighbour's load moves least
        "web_read_json_cpu_s": round(ceiling_cpu_s, 2),
        "web_ingest_cpu_s": round(ingest_cpu_s, 2),
        "web_ratio_to_read_json_cpu": round(ceiling_cpu_s / ingest_cpu_s * lines / ceiling_rows, 3),
        "web_warm_up_s": round(warm_up_s, 2),
        # peak memory of each side (the step's peak RSS is the larger)
        "web_files_peak_rss_mb": round(files_peak_mb),
        "web_ingest_peak_rss_mb": round(ingest_peak_mb),
        "web_read_json_peak_rss_mb": round(max(c[3] for c in ceilings)),
        "web_duplicates_dropped": int(report.figures.get("duplicates_dropped", 0)),
        "web_file_passes": int(report.figures.get("file_passes", 0)),
        "web_files_read_line_by_line": int(report.figures.get("files_read_line_by_line", 0)),
    }
    return figures


CRM_MAX_CONTACTS = 10_000  # scale S: above it, extraction is measured on a world of this many contacts


def bench_crm(
    contacts: int,
    work: Path,
    max_contacts: int = CRM_MAX_CONTACTS,
    memory_limit: str | None = DUCKDB_MEMORY_LIMIT,
) -> dict[str, Any]:
    from funnelhouse.generator import generate_world
    from funnelhouse.sandbox.testing import running_sandbox
    from funnelhouse.settings import Settings
    from ingestion.crm import ingest_crm

    requested, contacts = contacts, min(contacts, max_contacts)
    world = work / "world"
    generate_world(out=world, contacts=contacts, days=90, seed=42, end=WINDOW_END)
    limit = 100
    with running_sandbox(world, rate_limit=limit) as sandbox:
        os.environ["FUNNELHOUSE_CRM_RATE_LIMIT"] = str(limit)
        settings = Settings(
            home=work / "crm-home",
            crm_url=sandbox.url,
            crm_token=sandbox.token,
            duckdb_memory_limit=memory_limit,
        )
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
        "crm_contacts_requested": requested,
        "crm_subset": contacts < requested,  # the rates below are measured on a subset of the requested world
        "crm_records": records,
        "crm_requests": int(report.figures["requests"]),
        "crm_429s": stats.get("rate_limited", 0),
        "crm_s": round(seconds, 2),
        "crm_records_per_s": round(records / seconds, 1),
        "crm_requests_per_s": round(requests_per_s, 2),
        "crm_rate_limit_per_s": limit / 10,
        "crm_rate_limit_share_used": round(requests_per_s / (limit / 10), 3),
    }


def run(
    events: int,
    files: int,
    contacts: int,
    web: bool = True,
    crm: bool = True,
    ceiling_runs: int = 2,
    crm_max_contacts: int = CRM_MAX_CONTACTS,
    memory_limit: str | None = DUCKDB_MEMORY_LIMIT,
) -> dict[str, Any]:
    """Run the selected benchmarks in a scratch folder, the ingestion under DuckDB `memory_limit` (None:
    DuckDB's default); returns the figures."""
    work = Path(tempfile.mkdtemp(prefix="fh-bench-ingest-"))
    figures: dict[str, Any] = {"duckdb_memory_limit": memory_limit or "default (80% of memory)"}
    try:
        if web:
            figures.update(bench_web(events, files, work, ceiling_runs, memory_limit))
            shutil.rmtree(work / "web", ignore_errors=True)
        if crm:
            figures.update(bench_crm(contacts, work, crm_max_contacts, memory_limit))
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
    parser.add_argument(
        "--ceiling-runs", type=int, default=2, help="read_json runs around the ingestion (1: before it only)"
    )
    parser.add_argument(
        "--crm-max-contacts",
        type=int,
        default=CRM_MAX_CONTACTS,
        help="CRM world size cap: records/s is a rate, measured on at most this many contacts",
    )
    parser.add_argument(
        "--duckdb-memory-limit",
        default=DUCKDB_MEMORY_LIMIT,
        help="FUNNELHOUSE_DUCKDB_MEMORY_LIMIT for the ingestion (its file-preparation and warehouse "
        "sessions each get it): keeps the step under the 4 GiB budget; 'none' for DuckDB's default",
    )
    args = parser.parse_args()
    memory_limit = (
        None if args.duckdb_memory_limit.strip().lower() in ("", "none") else args.duckdb_memory_limit
    )
    figures = run(
        args.events,
        args.files,
        args.contacts,
        web=not args.skip_web,
        crm=not args.skip_crm,
        ceiling_runs=max(1, args.ceiling_runs),
        crm_max_contacts=args.crm_max_contacts,
        memory_limit=memory_limit,
    )
    if "web_ratio_to_read_json" in figures:
        print(
            f"web: {figures['web_ingest_rows_per_s']:,} rows/s vs read_json {figures['web_read_json_rows_per_s']:,} "
            f"rows/s (ratio {figures['web_ratio_to_read_json']}), peak {figures['web_ingest_peak_rss_mb']:,} MiB "
            f"under DuckDB memory limit {figures['duckdb_memory_limit']}"
        )
    if "crm_records_per_s" in figures:
        subset = (
            f" (world capped at {figures['crm_contacts']:,} of {figures['crm_contacts_requested']:,} contacts)"
            if figures["crm_subset"]
            else ""
        )
        print(
            f"crm: {figures['crm_records_per_s']} records/s, {figures['crm_requests_per_s']} requests/s of "
            f"{figures['crm_rate_limit_per_s']} allowed{subset}"
        )
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()

"""Incremental loading of a folder of JSONL event files (web or e-mail) through dlt.

Only files not seen before (or whose size changed) are read. The list of loaded files lives in the dlt
resource state, which is committed in the same load package as the rows: a crash before the load
finishes leaves the files unmarked, and the next run reads them again; `insert-only` merge on the event
id makes that re-read (and any retried delivery) add nothing twice.

Each file is checked, flattened and de-duplicated against the files before it in the same load
(`jsonl_events`) into one prepared file (Parquet for DuckDB, CSV for PostgreSQL) that dlt links into the
load package; on DuckDB the load job inserts the rows whose id the table does not hold yet in one
statement, without dlt's staging copy and merge.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from funnelhouse.settings import Settings
from ingestion.destination import finish_pending, load_file_format, make_pipeline, resource_state, scratch_dir
from ingestion.jsonl_events import EventFileEngine, EventSpec
from ingestion.rejects import REJECTED_COLUMNS, REJECTED_TABLE, RejectShareExceeded, check_share
from ingestion.report import SourceReport

log = logging.getLogger(__name__)

EVENTS_TABLE = "events"
FILES_PER_LOAD = 64  # files per load package: bounds memory and the work a crash can lose


@dataclass(frozen=True)
class EventFile:
    url: str  # what DuckDB reads
    key: str  # the file's path relative to the location: its identity in the state and `_source_file`
    size: int


def list_event_files(location: str) -> tuple[list[EventFile], Any]:
    """Every `*.jsonl` file under `location` (folder or fsspec URL), in path order (dt= partitions sort by day)."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(location)
    root = root.rstrip("/")
    if not fs.exists(root):
        raise FileNotFoundError(
            f"Event location {location!r} does not exist: set FUNNELHOUSE_WEB_EVENTS / FUNNELHOUSE_EMAIL_EVENTS "
            "to the folder (or fsspec URL) holding the dt=YYYY-MM-DD partitions."
        )
    local = "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))
    files = []
    for path, info in sorted(fs.find(root, detail=True).items()):
        if not path.endswith(".jsonl") or info.get("type") == "directory":
            continue
        key = path[len(root) :].lstrip("/")
        url = path if local else fs.unstrip_protocol(path)
        files.append(EventFile(url=url, key=key, size=int(info.get("size") or 0)))
    return files, (None if local else fs)


def _naming() -> Any:
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    return NamingConvention().normalize_identifier


def _row_count(pipeline: Any, table: str) -> int:
    """Rows in a destination table (0 before it exists): what a load really added, after de-duplication."""
    try:
        with pipeline.sql_client() as client:
            with client.execute_query(
                f"SELECT count(*) FROM {client.make_qualified_table_name(table)}"
            ) as cursor:
                return int(cursor.fetchone()[0])
    except Exception:  # noqa: BLE001 - no dataset or table yet
        return 0


def ingest_event_files(settings: Settings, source: str, spec: EventSpec, location: str) -> SourceReport:
    """Load every new file under `location` into `<dataset>.events`; rejects go to `<dataset>._rejected`."""
    import dlt

    report = SourceReport(source=source)
    started = time.monotonic()
    pipeline = make_pipeline(settings, source)
    file_format = load_file_format(settings)
    try:
        files, remote_fs = list_event_files(location)
    except FileNotFoundError as exc:
        report.fail(str(exc))
        return report
    pipeline.sync_destination()
    if finish_pending(pipeline):
        report.figures["recovered_packages"] = 1
    done: dict[str, int] = resource_state(pipeline, EVENTS_TABLE).get("files", {})
    pending = [f for f in files if done.get(f.key) != f.size]
    report.figures["files_seen"] = len(files)
    report.figures["files_new"] = len(pending)
    out_dir = scratch_dir(settings, source)
    naming = _naming()
    events_read = duplicates = passes = line_by_line = 0

    while pending and report.ok:
        chunk, pending = pending[:FILES_PER_LOAD], pending[FILES_PER_LOAD:]
        engine = EventFileEngine(
            spec,
            file_format,
            naming,
            memory_limit=settings.duckdb_memory_limit,
            temp_directory=out_dir / "duckdb.tmp",
        )
        if remote_fs is not None:
            engine.register_filesystem(remote_fs)
        written: list[Any] = []
        counts = {"rows": 0, "rejects": 0, "lines": 0, "duplicates": 0, "passes": 0, "line_by_line": 0}

        def extract(chunk: list[EventFile], engine: EventFileEngine, written: list[Any], counts: dict) -> Any:
            try:
                yield from extract_files(chunk, engine, written, counts)
            finally:
                # the ids seen and the last file's rows are not needed while dlt loads: the engine's
                # session is closed before the destination's opens (also when a file fails the batch),
                # so the two never hold memory at once and each may use FUNNELHOUSE_DUCKDB_MEMORY_LIMIT
                engine.close()

        def extract_files(
            chunk: list[EventFile], engine: EventFileEngine, written: list[Any], counts: dict
        ) -> Any:
            state = dlt.current.resource_state()
            loaded = state.setdefault("files", {})
            load_id = dlt.current.load_package_state()["load_id"]
            for number, event_file in enumerate(chunk):
                out_path = out_dir / f"{load_id}.{number}.{file_format}"
                result = engine.process(event_file.url, event_file.key, out_path, load_id)
                counts["passes"] += result.passes
                counts["line_by_line"] += result.line_by_line
                try:
                    check_share(
                        source,
                        f"file {event_file.key}",
                        len(result.rejects),
                        result.lines,
                        settings.max_reject_share,
                    )
                except RejectShareExceeded as exc:
                    report.add_rejects([r.reason for r in result.rejects])
                    examples = "; ".join(f"line {r.source_line}: {r.reason}" for r in result.rejects[:3])
                    report.fail(f"{exc} First reasons: {examples}")
                    return
                if result.path is not None:
                    written.append(result.path)
                    yield dlt.mark.with_file_import(
                        str(result.path),
                        "csv",  # Parquet too: dlt only links a csv import, the destination job reads either
                        result.rows,
                        hints=dlt.mark.make_hints(columns=result.columns),
                    )
                if result.rejects:
                    yield dlt.mark.with_table_name([r.row() for r in result.rejects], REJECTED_TABLE)
                report.add_rejects([r.reason for r in result.rejects])
                counts["rows"] += result.rows
                counts["rejects"] += len(result.rejects)
                counts["lines"] += result.lines
                counts["duplicates"] += result.duplicates
                loaded[event_file.key] = event_file.size

        # the `_rejected` variant is declared while the resource has no hints yet: a variant starts as a
        # copy of the resource's hints, and the events' primary key must not leak into it
        events = dlt.resource(extract(chunk, engine, written, counts), name=EVENTS_TABLE)
        events.apply_hints(
            table_name=REJECTED_TABLE,
            write_disposition="append",
            columns=REJECTED_COLUMNS,
            create_table_variant=True,
        )
        events.apply_hints(
            table_name=EVENTS_TABLE,
            write_disposition={"disposition": "merge", "strategy": "insert-only"},
            primary_key=spec.key_column,
        )
        before = _row_count(pipeline, EVENTS_TABLE)
        try:
            pipeline.run(events)
        finally:
            engine.close()
            for path in written:  # the load package holds its own link (or copy) of each file
                path.unlink(missing_ok=True)
        events_read += counts["lines"]
        duplicates += counts["duplicates"]
        passes += counts["passes"]
        line_by_line += counts["line_by_line"]
        new_rows = _row_count(pipeline, EVENTS_TABLE) - before
        if new_rows:
            report.add_rows(EVENTS_TABLE, new_rows)
        duplicates += counts["rows"] - new_rows  # delivered again after an earlier load
        if counts["rejects"]:
            report.add_rows(REJECTED_TABLE, counts["rejects"])

    report.figures["lines_read"] = events_read
    report.figures["duplicates_dropped"] = duplicates
    # full reads of the files: 2 each (key check, parse), more when new fields appear
    report.figures["file_passes"] = passes
    # files read the slower way: with a blank, malformed or non-object line, or one read_json refused
    report.figures["files_read_line_by_line"] = line_by_line
    report.figures["seconds"] = round(time.monotonic() - started, 3)
    loaded_files = resource_state(pipeline, EVENTS_TABLE).get("files", {})
    report.cursors["files_loaded"] = len(loaded_files)
    if loaded_files:
        report.cursors["last_file"] = max(loaded_files)
    return report

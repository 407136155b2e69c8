"""FUNNELHOUSE_DUCKDB_MEMORY_LIMIT in ingestion: both DuckDB sessions (the event-file engine and dlt's load
into the DuckDB warehouse) run under it, without it they keep DuckDB's default, and a load under a limit
loads exactly the rows a load without one does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from funnelhouse.settings import Settings
from ingestion import event_files, run_ingest
from ingestion.destination import _typed_duckdb
from ingestion.report import IngestReport

LIMIT = "256MiB"  # far below DuckDB's default on any machine, above what one small file needs


def duckdb_reports(limit: str | None) -> str:
    """What `current_setting('memory_limit')` shows for a session given `limit` (None: DuckDB's default)."""
    con = duckdb.connect(config={"memory_limit": limit} if limit else {})
    try:
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()


def ingest(settings: Settings, sources: list[str]) -> IngestReport:
    report = run_ingest(sources, settings)
    assert report.ok, report.describe()
    return report


@pytest.fixture
def spy_limits(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The memory limit each session reported while it worked: the engine per file, the load per job."""
    seen: dict[str, list[str]] = {"engine": [], "load": []}
    engine_process = event_files.EventFileEngine.process

    def process(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen["engine"].append(self.con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
        return engine_process(self, *args, **kwargs)

    copy_job = _typed_duckdb().copy_job
    job_run = copy_job.run

    def run(self: Any) -> None:
        job_run(self)
        with self._job_client.sql_client.execute_query("SELECT current_setting('memory_limit')") as cursor:
            seen["load"].append(cursor.fetchone()[0])

    monkeypatch.setattr(event_files.EventFileEngine, "process", process)
    monkeypatch.setattr(copy_job, "run", run)
    return seen


@pytest.mark.parametrize("limit", [LIMIT, None], ids=["limit", "no-limit"])
def test_both_duckdb_sessions_of_an_event_load_report_the_limit(
    small_world: Path, tmp_path: Path, spy_limits: dict[str, list[str]], limit: str | None
) -> None:
    settings = Settings(
        home=tmp_path / "home",
        warehouse="duckdb",
        web_events=str(small_world / "web"),
        duckdb_memory_limit=limit,
    )

    ingest(settings, ["web"])

    expected = duckdb_reports(limit)  # without the setting: DuckDB's own default, as before
    assert spy_limits["engine"] and set(spy_limits["engine"]) == {expected}
    assert spy_limits["load"] and set(spy_limits["load"]) == {expected}
    if limit:
        assert expected != duckdb_reports(None)
    # the destination outside a load (the row counts, the state sync) opens under it too
    from ingestion.destination import make_pipeline

    with make_pipeline(settings, "web").sql_client() as client:
        with client.execute_query("SELECT current_setting('memory_limit')") as cursor:
            assert cursor.fetchone()[0] == expected


@pytest.mark.parametrize("use_warehouse", ["postgres"], indirect=True)
def test_the_event_engine_runs_under_the_limit_when_the_warehouse_is_postgresql(
    small_world: Path, use_warehouse: str, spy_limits: dict[str, list[str]]
) -> None:
    from funnelhouse.settings import get_settings

    settings = get_settings().model_copy(
        update={"web_events": str(small_world / "web"), "duckdb_memory_limit": LIMIT}
    )

    report = ingest(settings, ["web"])

    assert report["web"].rows["events"] > 0
    assert spy_limits["engine"] and set(spy_limits["engine"]) == {duckdb_reports(LIMIT)}
    assert spy_limits["load"] == []  # PostgreSQL loads with COPY, not through DuckDB


def with_extra_file(small_world: Path, folder: Path) -> Path:
    """A copy of the world's web events plus a file holding a bad line and an id delivered again."""
    shutil.copytree(small_world / "web", folder)
    first = sorted(folder.rglob("*.jsonl"))[0]
    again = json.loads(first.read_text(encoding="utf-8").splitlines()[0])
    extra = folder / "dt=2099-01-01" / "part-0000.jsonl"
    extra.parent.mkdir(parents=True)
    fresh = dict(again, messageId="extra-1")
    extra.write_text(
        "\n".join([json.dumps(again), '{"messageId": "broken", ', json.dumps(fresh)]) + "\n", encoding="utf-8"
    )
    return folder


def loaded(settings: Settings) -> dict[str, list[tuple]]:
    """Every loaded row (load ids and reject times aside, which differ from load to load), in a fixed order."""
    tables = {
        "raw_web.events": "_dlt_load_id",
        "raw_email.events": "_dlt_load_id",
        "raw_web._rejected": "_dlt_load_id, _dlt_id, rejected_at",
    }
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        return {
            table: con.execute(f"SELECT * EXCLUDE ({drop}) FROM {table} ORDER BY ALL").fetchall()
            for table, drop in tables.items()
        }
    finally:
        con.close()


def test_a_load_under_a_memory_limit_loads_exactly_the_rows_of_one_without(
    small_world: Path, tmp_path: Path
) -> None:
    web = with_extra_file(small_world, tmp_path / "web")

    def settings(name: str, limit: str | None) -> Settings:
        return Settings(
            home=tmp_path / name,
            warehouse="duckdb",
            web_events=str(web),
            email_events=str(small_world / "email"),
            max_reject_share=0.5,
            duckdb_memory_limit=limit,
        )

    unlimited, limited = settings("unlimited", None), settings("limited", LIMIT)
    without = ingest(unlimited, ["web", "email"])
    under = ingest(limited, ["web", "email"])

    assert under["web"].rows == without["web"].rows and under["email"].rows == without["email"].rows
    assert under["web"].rows[event_files.REJECTED_TABLE] == 1
    assert under["web"].figures["duplicates_dropped"] == without["web"].figures["duplicates_dropped"] >= 1
    rows, expected = loaded(limited), loaded(unlimited)
    assert all(expected.values())
    assert rows == expected

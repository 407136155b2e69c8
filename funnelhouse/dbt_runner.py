"""Run the dbt project against the configured warehouse, after validating and compiling the contract.

`funnelhouse build [dbt args]` calls `run_dbt(["build", ...])`. The contract is checked first, so a bad
rule fails in a second with a message naming the file and the path inside it, before dbt opens the
warehouse. dbt runs in-process (`dbtRunner`), with the profile in `dbt_project/profiles.yml` filled from
environment variables derived from `Settings`; secrets never appear on a command line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import funnelhouse  # noqa: F401  (telemetry off before dbt is imported)
from funnelhouse.contract import ContractError, compile_contract
from funnelhouse.settings import Settings, get_settings

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
DEFAULT_THREADS = 2


def _duckdb_default_memory_limit() -> str:
    """DuckDB's own default, 80% of the machine's memory, spelled out for profiles.yml."""
    import psutil

    return f"{int(psutil.virtual_memory().total * 0.8 / 2**20)}MiB"


def _postgres_session_options() -> str:
    """libpq's PGOPTIONS for dbt's PostgreSQL sessions: JIT compilation off. The models are few large
    queries whose plans cost far over PostgreSQL's JIT thresholds, and compiling them took longer than
    running them (3.6 s of 5.8 s for the engagement stream's incremental run at 100k contacts). Options
    already in PGOPTIONS come after, so a user's own `-c jit=on` still wins."""
    return " ".join(["-c jit=off", os.environ.get("PGOPTIONS", "")]).strip()


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The environment variables `profiles.yml` reads, derived from the settings."""
    env = {
        "FUNNELHOUSE_DBT_TARGET": settings.warehouse,
        "FUNNELHOUSE_DUCKDB_PATH": str(settings.duckdb_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        # libpq applies PGTZ to the session: timestamps are cast in UTC on PostgreSQL as on DuckDB.
        "PGTZ": "UTC",
        "PGOPTIONS": _postgres_session_options(),
    }
    env.setdefault("FUNNELHOUSE_DBT_THREADS", os.environ.get("FUNNELHOUSE_DBT_THREADS", str(DEFAULT_THREADS)))
    env["FUNNELHOUSE_DUCKDB_MEMORY_LIMIT"] = settings.duckdb_memory_limit or _duckdb_default_memory_limit()
    dsn = urlparse(settings.postgres_dsn)
    if dsn.scheme not in {"postgresql", "postgres"}:
        if settings.warehouse == "postgres":
            raise ValueError(
                f"FUNNELHOUSE_POSTGRES_DSN must look like postgresql://user:password@host:port/dbname, "
                f"got scheme {dsn.scheme!r}"
            )
        return env
    env.update(
        {
            "FUNNELHOUSE_PG_HOST": dsn.hostname or "127.0.0.1",
            "FUNNELHOUSE_PG_PORT": str(dsn.port or 5432),
            "FUNNELHOUSE_PG_USER": unquote(dsn.username or "postgres"),
            "FUNNELHOUSE_PG_PASSWORD": unquote(dsn.password or ""),
            "FUNNELHOUSE_PG_DBNAME": (dsn.path or "/funnelhouse").lstrip("/") or "funnelhouse",
        }
    )
    return env


@contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block, restoring (or removing) them afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _invoke(args: list[str], settings: Settings, target_path: Path | None = None) -> int:
    from dbt.cli.main import dbtRunner

    settings.ensure_home()
    # Each home gets its own target/ and logs/, so two builds (tests, a DAG and a CLI run) never
    # overwrite each other's compiled SQL; `parse_manifest` writes to dbt_project/target for Cosmos.
    target_path = target_path or settings.home / "dbt" / "target"
    full_args = [
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path.parent / "logs"),
    ]
    environment = dbt_environment(settings)
    holds_duckdb_file = settings.warehouse == "duckdb"
    if holds_duckdb_file:
        environment["FUNNELHOUSE_DUCKDB_KEEP_OPEN"] = "true"
    try:
        with patched_environ(environment):
            result = dbtRunner().invoke(full_args)
    finally:
        if holds_duckdb_file:
            release_duckdb_file()
    if result.exception is not None:
        print(f"dbt {' '.join(args)} failed: {result.exception}", file=sys.stderr)
        return 2
    return 0 if result.success else 1


def run_dbt(args: list[str], settings: Settings | None = None) -> int:
    """Validate and compile the contract, then run `dbt <args>`; returns dbt's exit code (0 = success).

    Raises ContractError (file, path and problem in the message) before dbt starts if the contract is
    invalid. Exit codes: 0 success, 1 a model or test failed, 2 dbt could not run.
    """
    settings = settings or get_settings()
    contract = compile_contract(settings.contract_dir)
    scored_with = _scored_contract_version(settings) if _builds_models(args) else None
    if needs_full_refresh(args, scored_with, contract.version):
        print(
            f"contract version changed ({scored_with} -> {contract.version}): rebuilding scores from scratch",
            file=sys.stderr,
        )
        args = [*args, "--full-refresh"]
    return _invoke(args, settings)


def _builds_models(args: list[str]) -> bool:
    return bool(args) and args[0] in {"build", "run"}


def needs_full_refresh(args: list[str], scored_with: str | None, contract_version: str) -> bool:
    """Incremental models keep old rows: when the contract version changed, history must be re-scored."""
    return (
        _builds_models(args)
        and "--full-refresh" not in args
        and _contract_changed(scored_with, contract_version)
    )


def _contract_changed(scored_with: str | None, contract_version: str) -> bool:
    """Whether scores exist and were made with another contract version than `contract_version`."""
    return scored_with is not None and scored_with != contract_version


def scored_with_another_contract(settings: Settings, contract_version: str) -> str | None:
    """The contract version the warehouse's daily scores were made with, if it is not `contract_version`:
    then their history must be re-scored, by building with `--full-refresh` (`run_dbt` adds it; the Airflow
    DAGs pass it to their dbt tasks). None when they match or nothing is scored yet."""
    scored_with = _scored_contract_version(settings)
    return scored_with if _contract_changed(scored_with, contract_version) else None


def _scored_contract_version(settings: Settings) -> str | None:
    """The contract version the warehouse's daily scores were made with; None if there are none yet."""
    from funnelhouse.warehouse import open_warehouse

    if settings.warehouse == "duckdb" and not settings.duckdb_path.exists():
        return None
    try:
        with open_warehouse(settings, read_only=True) as wh:
            if not wh.table_exists("marts", "fct_lead_score_daily"):
                return None
            rows = wh.fetchall("select max(contract_version) from marts.fct_lead_score_daily")
    except Exception as exc:  # noqa: BLE001 - an unreadable warehouse is dbt's to report, not ours
        print(f"could not read the scored contract version ({exc}); building incrementally", file=sys.stderr)
        return None
    return rows[0][0] if rows else None


def release_duckdb_file() -> None:
    """Close the DuckDB database dbt-duckdb holds open for this process (`keep_open`), checkpointing it.

    `_invoke` keeps the file open for one dbt invocation, so dbt does not reopen and checkpoint it between
    nodes (about a hundred times per build), then calls this: once dbt returns, the file is free for the
    next task, as with `keep_open: false`. dbt-duckdb offers no public call for this; if its internals
    change, tests/dbt/test_dbt_runner.py fails rather than a later task finding the file locked.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
    if environment is not None:
        environment.close()


def parse_manifest(settings: Settings | None = None) -> Path:
    """Run `dbt parse` (no warehouse connection) and return `dbt_project/target/manifest.json` for Cosmos."""
    settings = settings or get_settings()
    compile_contract(settings.contract_dir)
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    code = _invoke(["parse"], settings, target_path=manifest.parent)
    if code != 0 or not manifest.is_file():
        raise RuntimeError(f"dbt parse failed (exit code {code}); see the dbt output above")
    return manifest


__all__ = [
    "ContractError",
    "DBT_PROJECT_DIR",
    "dbt_environment",
    "needs_full_refresh",
    "parse_manifest",
    "run_dbt",
]

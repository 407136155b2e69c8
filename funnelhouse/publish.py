"""Publish the marts where BI tools read without ever locking the pipeline.

DuckDB: the marts are copied into a fresh file, then swapped in atomically (`os.replace`) as
`$FUNNELHOUSE_HOME/published/funnelhouse.duckdb`, with one Parquet file per mart beside it. A BI tool
that has the previous copy open keeps reading it; the next connection sees the new one. The pipeline's
own `warehouse.duckdb` is never opened by readers.

PostgreSQL: the marts already live in the `marts` schema; publishing grants a read-only role
(`funnelhouse_bi` by default) usage on it and SELECT on every table, now and in future.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from funnelhouse.settings import Settings, get_settings
from funnelhouse.warehouse import open_warehouse

MARTS_SCHEMA = "marts"
PUBLISHED_DB_NAME = "funnelhouse.duckdb"
READ_ONLY_ROLE = os.environ.get("FUNNELHOUSE_BI_ROLE", "funnelhouse_bi")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class PublishReport:
    engine: str
    tables: dict[str, int] = field(default_factory=dict)
    location: str = ""
    extras: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"Published {len(self.tables)} marts ({self.engine}) to {self.location}"]
        lines += [f"  {name}: {rows} rows" for name, rows in sorted(self.tables.items())]
        lines += [f"  {extra}" for extra in self.extras]
        return "\n".join(lines)


def published_dir(settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    return settings.home.resolve() / "published"


def _safe(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"Refusing to publish a table with an unexpected name: {name!r}")
    return name


def _mart_tables(settings: Settings) -> list[str]:
    with open_warehouse(settings, read_only=True) as wh:
        rows = wh.fetchall(
            "select table_name from information_schema.tables where table_schema = ? order by table_name",
            [MARTS_SCHEMA],
        )
    return [_safe(r[0]) for r in rows]


def _publish_duckdb(settings: Settings) -> PublishReport:
    import duckdb

    target_dir = published_dir(settings)
    parquet_dir = target_dir / "parquet"
    parquet_dir.mkdir(parents=True, exist_ok=True)
    final = target_dir / PUBLISHED_DB_NAME
    staging = target_dir / f".{PUBLISHED_DB_NAME}.{os.getpid()}.tmp"
    staging.unlink(missing_ok=True)
    report = PublishReport(engine="duckdb", location=str(final))
    tables = _mart_tables(settings)
    con = duckdb.connect(str(staging))
    try:
        con.execute(f"attach '{settings.duckdb_path}' as pipeline (read_only)")
        con.execute(f"create schema {MARTS_SCHEMA}")
        for table in tables:
            con.execute(
                f"create table {MARTS_SCHEMA}.{table} as select * from pipeline.{MARTS_SCHEMA}.{table}"
            )
            report.tables[table] = con.execute(f"select count(*) from {MARTS_SCHEMA}.{table}").fetchone()[0]
            part = parquet_dir / f".{table}.parquet.tmp"
            con.execute(f"copy {MARTS_SCHEMA}.{table} to '{part}' (format parquet)")
            os.replace(part, parquet_dir / f"{table}.parquet")
        con.execute("detach pipeline")
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(staging, final)
    report.extras.append(f"parquet: {parquet_dir}")
    return report


def _publish_postgres(settings: Settings) -> PublishReport:
    role = _safe(READ_ONLY_ROLE)
    report = PublishReport(engine="postgres", location=f"schema {MARTS_SCHEMA}, read-only role {role}")
    with open_warehouse(settings) as wh:
        exists = wh.fetchall("select 1 from pg_roles where rolname = ?", [role])
        if not exists:
            wh.execute(f"create role {role} nologin")
        wh.execute(f"grant usage on schema {MARTS_SCHEMA} to {role}")
        wh.execute(f"grant select on all tables in schema {MARTS_SCHEMA} to {role}")
        wh.execute(f"alter default privileges in schema {MARTS_SCHEMA} grant select on tables to {role}")
        for (table,) in wh.fetchall(
            "select table_name from information_schema.tables where table_schema = ? order by 1",
            [MARTS_SCHEMA],
        ):
            report.tables[table] = wh.fetchall(f"select count(*) from {MARTS_SCHEMA}.{_safe(table)}")[0][0]
    return report


def _copy_tree(source: Path, destination: Path) -> None:
    """Replace `destination` with a copy of `source` (copy beside it, then swap names)."""
    staging = destination.with_name(f".{destination.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    old = destination.with_name(f".{destination.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if destination.exists():
        destination.rename(old)
    staging.rename(destination)
    shutil.rmtree(old, ignore_errors=True)


def publish_docs(settings: Settings, dbt_docs_dir: Path | None, gx_docs_dir: Path | None) -> list[str]:
    """Copy the dbt docs site and the GX Data Docs beside the published marts."""
    placed = []
    target_dir = published_dir(settings)
    for name, source in (("dbt_docs", dbt_docs_dir), ("data_quality_docs", gx_docs_dir)):
        if source and source.exists():
            _copy_tree(source, target_dir / name)
            placed.append(f"{name}: {target_dir / name}")
    return placed


def publish_marts(settings: Settings | None = None) -> PublishReport:
    """Publish the `marts` schema for BI (see module docstring)."""
    settings = settings or get_settings()
    if settings.warehouse == "duckdb":
        return _publish_duckdb(settings)
    return _publish_postgres(settings)

"""One way to open the warehouse (DuckDB file or PostgreSQL) from Python code outside dbt and dlt.

Queries use `?` placeholders on both engines; the PostgreSQL path translates them to `%s`.
DuckDB allows one writer per file: open read-only wherever you only read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from funnelhouse.settings import Settings, get_settings

_QMARK = re.compile(r"\?")


class Warehouse:
    """A thin DB-API wrapper with the same calls on DuckDB and PostgreSQL."""

    def __init__(self, engine: str, connection: Any):
        self.engine = engine
        self.connection = connection

    def _sql(self, sql: str) -> str:
        return _QMARK.sub("%s", sql.replace("%", "%%")) if self.engine == "postgres" else sql

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        cur = self.connection.cursor()
        try:
            cur.execute(self._sql(sql), params or ())
        finally:
            cur.close()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        cur = self.connection.cursor()
        try:
            cur.executemany(self._sql(sql), rows)
        finally:
            cur.close()

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        cur = self.connection.cursor()
        try:
            cur.execute(self._sql(sql), params or ())
            return [tuple(row) for row in cur.fetchall()]
        finally:
            cur.close()

    def fetch_dicts(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.connection.cursor()
        try:
            cur.execute(self._sql(sql), params or ())
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            cur.close()

    def fetch_df(self, sql: str, params: Sequence[Any] | None = None):
        import pandas as pd

        cur = self.connection.cursor()
        try:
            cur.execute(self._sql(sql), params or ())
            names = [d[0] for d in cur.description]
            return pd.DataFrame.from_records(cur.fetchall(), columns=names)
        finally:
            cur.close()

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.fetchall(
            "select 1 from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        )
        return bool(rows)

    def columns(self, schema: str, table: str) -> list[str]:
        rows = self.fetchall(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?"
            " order by ordinal_position",
            [schema, table],
        )
        return [r[0] for r in rows]

    def commit(self) -> None:
        if self.engine == "postgres":
            self.connection.commit()


@contextmanager
def open_warehouse(settings: Settings | None = None, *, read_only: bool = False) -> Iterator[Warehouse]:
    """Open the configured warehouse; commits on success (PostgreSQL), always closes."""
    settings = settings or get_settings()
    if settings.warehouse == "duckdb":
        import duckdb

        path = settings.duckdb_path
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(str(path), read_only=read_only)
        try:
            yield Warehouse("duckdb", connection)
        finally:
            connection.close()
    else:
        import psycopg2

        connection = psycopg2.connect(settings.postgres_dsn)
        if read_only:
            connection.set_session(readonly=True)
        try:
            yield Warehouse("postgres", connection)
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()

"""Bulk-load a generated world's raw layer for the warehouse benchmarks, at M and L scale.

The dbt tests' loader (tests/dbt/raw_loader.py) parses every event in Python: exact, but about an hour
for the 10M events of scale M. The benchmark only needs the same tables and columns
(docs/raw-schema.md) fast, so here:

- CRM objects still go through the test loader's `_load_crm` (a few hundred thousand records);
- web and e-mail events are read by DuckDB's own `read_json` into the raw tables, nested fields
  flattened to `parent__child` columns as dlt names them, de-duplicated on their ids (first copy in file
  order kept, as the test loader does);
- PostgreSQL gets the DuckDB raw tables through `COPY` (CSV), typed the same way.

Like the test loader, `load_world_duckdb` replaces the raw layer with the world up to the end of `until`.
The dbt benchmark loads the whole world once into a raw file, then gives each engine its part of it:
everything before the last day (for the full build), then the last day (for the one-day incremental).
"""

from __future__ import annotations

import importlib.util
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
RAW_SCHEMAS = ("raw_hubspot", "raw_web", "raw_email")
WEB_TIMESTAMPS = ("timestamp", "sent_at", "received_at")
LOADER_MEMORY_LIMIT = "2GB"  # DuckDB spills past it: the load stays within the steps' 4 GiB budget
NULL = "\\N"  # how a missing value travels in the COPY stream
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def test_raw_loader():
    """The dbt tests' raw loader (tests/dbt/raw_loader.py), for its CRM part and naming rules."""
    spec = importlib.util.spec_from_file_location("raw_loader", ROOT / "tests" / "dbt" / "raw_loader.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _snake(name: str) -> str:
    return _CAMEL.sub(r"_\1", name).lower().replace("-", "_")


def _leaves(type_text: str, path: list[str]) -> list[tuple[list[str], str]]:
    """(path, leaf type) of every leaf of a DuckDB STRUCT type string."""
    if not type_text.startswith("STRUCT("):
        return [(path, type_text)]
    inner = type_text[len("STRUCT(") : -1]
    fields, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            fields.append(inner[start:i].strip())
            start = i + 1
    fields.append(inner[start:].strip())
    leaves: list[tuple[list[str], str]] = []
    for field in fields:
        if field.startswith('"'):
            end = field.index('"', 1)
            name, rest = field[1:end], field[end + 1 :].strip()
        else:
            name, rest = field.split(" ", 1)
        leaves.extend(_leaves(rest.strip(), [*path, name]))
    return leaves


def _partition_files(folder: Path, until: date | None, after: date | None) -> list[str]:
    files = []
    for part in sorted(folder.glob("dt=*")):
        day = date.fromisoformat(part.name.removeprefix("dt="))
        if (until is None or day <= until) and (after is None or day > after):
            files.extend(str(p) for p in sorted(part.glob("*.jsonl")))
    return files


def _read_events(con: duckdb.DuckDBPyConnection, path: str) -> list[tuple[list[str], str]]:
    """Read one file into temp table `_events` (rows numbered in file order); the leaves of its columns."""
    con.execute(
        "create or replace temp table _events as "
        "select *, row_number() over () as _file_order from read_json(?, format='newline_delimited', "
        "sample_size=-1, hive_partitioning=false, filename='_source_path', maximum_object_size=16777216)",
        [path],
    )
    leaves = []
    for name, type_text, *_ in con.execute("describe _events").fetchall():
        if name in ("_source_path", "_file_order"):
            continue
        leaves.extend(_leaves(type_text, [name]))
    return leaves


def _leaf_sql(path: list[str], type_text: str) -> str:
    expr = ".".join(f'"{p}"' for p in path)
    if type_text.endswith("[]") or type_text.startswith(("MAP", "JSON")):
        return f"cast(to_json({expr}) as varchar)"
    return f"cast({expr} as varchar)"


def _web_columns(leaves: list[tuple[list[str], str]]) -> list[str]:
    columns = []
    for path, type_text in leaves:
        name = "__".join(_snake(p) for p in path)
        if name in WEB_TIMESTAMPS:
            columns.append(f"cast({_leaf_sql(path, type_text)} as timestamptz) as {name}")
        else:
            columns.append(f"{_leaf_sql(path, type_text)} as {name}")
    return columns


def _email_columns(leaves: list[tuple[list[str], str]]) -> list[str]:
    columns = []
    for path, type_text in leaves:
        name = "__".join(_snake(p) for p in path)
        if name == "timestamp":
            columns += [
                'cast("timestamp" as bigint) as timestamp',
                'to_timestamp(cast("timestamp" as bigint)) as event_at',
            ]
        elif name == "category":
            # A string or a list of strings: the first one, and all of them comma-joined.
            as_json = 'cast(to_json("category") as json)'
            columns += [
                f"case when json_type({as_json}) = 'ARRAY' then {as_json} ->> 0 "
                f'else cast("category" as varchar) end as category',
                f"case when json_type({as_json}) = 'ARRAY' then array_to_string("
                f"cast({as_json} ->> '$[*]' as varchar[]), ',') else cast(\"category\" as varchar) end "
                "as categories",
            ]
        else:
            columns.append(f"{_leaf_sql(path, type_text)} as {name}")
    return columns


def _load_events(
    con: duckdb.DuckDBPyConnection,
    table: str,
    files: list[str],
    columns_of,
    id_column: str,
    world: Path,
    replace: bool,
    load_id: str,
) -> int:
    """Append the files to `table` one at a time (bounded memory), then keep the first copy of each id."""
    schema, name = table.split(".")
    con.execute(f"create schema if not exists {schema}")
    if replace:
        con.execute(f"drop table if exists {table}")
    prefix = str(world) + "/"
    for path in files:
        columns = columns_of(_read_events(con, path))
        con.execute(
            f"""
            create or replace temp table _loaded as
            select {", ".join(columns)},
                   replace(_source_path, '{prefix}', '') as _source_file,
                   cast(_file_order as bigint) as _source_line,
                   '{load_id}' as _dlt_load_id,
                   cast(gen_random_uuid() as varchar) as _dlt_id
            from _events
            where {id_column} is not null
            """
        )
        _append(con, table, schema, name)
        con.execute("drop table _events; drop table _loaded")
    if not con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()[0]:
        con.execute(f"create table {table} ({id_column} varchar)")
    # Duplicates (retried deliveries): the first copy in file order stays, as dlt's merge keeps one.
    con.execute(
        f"""
        delete from {table} where _dlt_id in (
            select _dlt_id from (
                select _dlt_id, row_number() over (
                    partition by {id_column} order by _source_file, _source_line) as copy_number
                from {table}
            ) where copy_number > 1
        )
        """
    )
    return con.execute(f"select count(*) from {table}").fetchone()[0]


def _append(con: duckdb.DuckDBPyConnection, table: str, schema: str, name: str) -> None:
    existing = {
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }
    if not existing:
        con.execute(f"create table {table} as select * from _loaded")
        return
    for column, kind, *_ in con.execute("describe _loaded").fetchall():
        if column not in existing:  # schema drift: a field first seen in a later file
            con.execute(f'alter table {table} add column "{column}" {kind}')
    con.execute(f"insert into {table} by name select * from _loaded")


def load_world_duckdb(
    database: Path, world: Path, until: date | None = None, after: date | None = None
) -> dict[str, int]:
    """Replace the raw layer of the DuckDB file `database` with the world (up to `until`), or, with
    `after`, replace the CRM records and append the events of the days after `after` (a nightly load)."""
    from funnelhouse.warehouse import Warehouse

    loader = test_raw_loader()
    load_id = f"{(until or date(2099, 1, 1)).isoformat()}-bench"
    con = duckdb.connect(str(database))
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"set memory_limit = '{LOADER_MEMORY_LIMIT}'")
    try:
        wh = Warehouse("duckdb", con)
        loader._load_crm(wh, world, until, datetime(2030, 1, 1, tzinfo=UTC), load_id)
        counts = {
            "web_events": _load_events(
                con,
                "raw_web.events",
                _partition_files(world / "web", until, after),
                _web_columns,
                "message_id",
                world,
                after is None,
                load_id,
            ),
            "email_events": _load_events(
                con,
                "raw_email.events",
                _partition_files(world / "email", until, after),
                _email_columns,
                "sg_event_id",
                world,
                after is None,
                load_id,
            ),
        }
        con.commit()
        return counts
    finally:
        con.close()


def _postgres_type(duckdb_type: str) -> str:
    upper = duckdb_type.upper()
    if upper.startswith("TIMESTAMP WITH TIME ZONE"):
        return "timestamptz"
    if upper.startswith("TIMESTAMP"):
        return "timestamp"
    return {
        "BOOLEAN": "boolean",
        "BIGINT": "bigint",
        "INTEGER": "integer",
        "DOUBLE": "double precision",
        "DATE": "date",
    }.get(upper, "text")


def day_split(last_day: date) -> dict[str, tuple[str, str]]:
    """Per raw table, the SQL conditions of (everything before `last_day`, `last_day` itself): events by the
    partition they came from, CRM objects by creation time, property history by change time.
    Tables not named here (owners, associations) are copied whole in both."""
    events = f"_source_file < '{{folder}}/dt={last_day.isoformat()}'"
    before = f"cast(created_at as date) < date '{last_day.isoformat()}'"
    split = {
        "raw_web.events": (events.format(folder="web"), f"not ({events.format(folder='web')})"),
        "raw_email.events": (events.format(folder="email"), f"not ({events.format(folder='email')})"),
        "raw_hubspot.property_history": (f"cast(changed_at as date) < date '{last_day.isoformat()}'", "true"),
    }
    for crm_object in ("contacts", "companies", "deals", "calls", "emails", "tasks", "meetings"):
        split[f"raw_hubspot.{crm_object}"] = (before, "true")
    return split


def _raw_tables(duck: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return duck.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('raw_hubspot', 'raw_web', 'raw_email') order by 1, 2"
    ).fetchall()


def copy_raw_to_duckdb(
    source: Path, target: Path, last_day: date, part: str, memory_limit: str | None = None
) -> None:
    """Give the DuckDB warehouse `target` the raw layer of `source` before `last_day` (part "before":
    replaces it) or add `last_day`'s events and replace the CRM tables (part "last_day").
    `memory_limit`: DuckDB's, as the builds have it (its default, 80% of memory, let L's copy peak at 13 GB)."""
    con = duckdb.connect(str(target), config={"memory_limit": memory_limit} if memory_limit else {})
    try:
        con.execute(f"attach '{source}' as source (read_only)")
        split = day_split(last_day)
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = 'source' "
            "and table_schema in ('raw_hubspot', 'raw_web', 'raw_email') order by 1, 2"
        ).fetchall():
            before, on_day = split.get(f"{schema}.{table}", ("true", "true"))
            con.execute(f"create schema if not exists {schema}")
            if part == "last_day" and schema != "raw_hubspot":
                con.execute(
                    f'insert into {schema}."{table}" by name select * from source.{schema}."{table}" where {on_day}'
                )
            else:
                condition = before if part == "before" else "true"
                con.execute(
                    f'create or replace table {schema}."{table}" as '
                    f'select * from source.{schema}."{table}" where {condition}'
                )
        con.commit()
    finally:
        con.close()


def copy_raw_to_postgres(source: Path, dsn: str, last_day: date, part: str) -> None:
    """The same as `copy_raw_to_duckdb` for a PostgreSQL warehouse, through `COPY`."""
    import psycopg2

    duck = duckdb.connect(str(source), read_only=True)
    pg = psycopg2.connect(dsn)
    split = day_split(last_day)
    try:
        with pg.cursor() as cur:
            for schema in RAW_SCHEMAS:
                if part == "last_day" and schema != "raw_hubspot":
                    cur.execute(f"create schema if not exists {schema}")
                else:
                    cur.execute(f"drop schema if exists {schema} cascade; create schema {schema}")
            for schema, table in _raw_tables(duck):
                before, on_day = split.get(f"{schema}.{table}", ("true", "true"))
                if part == "before":
                    condition = before
                else:
                    condition = on_day if schema != "raw_hubspot" else "true"
                described = duck.execute(f'describe {schema}."{table}"').fetchall()
                ddl = ", ".join(f'"{name}" {_postgres_type(kind)}' for name, kind, *_ in described)
                cur.execute(f'create table if not exists {schema}."{table}" ({ddl})')
                columns = ", ".join(f'"{name}"' for name, *_ in described)
                with duck.cursor() as reader:
                    reader.execute(f'select * from {schema}."{table}" where {condition}')
                    while True:
                        chunk = reader.fetchmany(200_000)
                        if not chunk:
                            break
                        cur.copy_expert(
                            f"copy {schema}.\"{table}\" ({columns}) from stdin with (format csv, null '{NULL}')",
                            _csv(chunk),
                        )
        pg.commit()
    finally:
        pg.close()
        duck.close()


def _csv(rows: list[tuple]) -> io.StringIO:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(
            [NULL if v is None else (v.isoformat() if isinstance(v, datetime | date) else v) for v in row]
        )
    buffer.seek(0)
    return buffer

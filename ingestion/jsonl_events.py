"""Turn one JSON Lines file of events into a bulk-loadable file plus its rejects, using in-memory DuckDB.

Why DuckDB and not dlt's row normaliser: web events arrive by the ten million, and normalising Python
dicts row by row runs a hundred times slower than a columnar engine. DuckDB splits the file into lines,
checks every line (valid JSON object, id, timestamp, field length), discovers the nested structure
(so a new event field becomes a new column), flattens it with `__` and writes CSV (bulk-loaded by
both warehouses). dlt then imports that file as is: it still owns the schema
(column hints), the merge, the state and the load package.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ingestion.rejects import FUTURE_TOLERANCE_HOURS, MAX_FIELD_CHARS, Reject

# (column name, SQL expression over the raw text value, dlt data type)
Derived = list[tuple[str, str, str]]


@dataclass(frozen=True)
class EventSpec:
    """What is special about one event feed: its id, its timestamp, and fields that need a transform."""

    source: str  # label in `_rejected.source`
    key_field: str  # JSON key of the unique event id
    key_column: str  # its column name in the raw table
    timestamp_field: str
    timestamp_sql: str  # SQL turning the raw text `{raw}` into a TIMESTAMPTZ (NULL when unparseable)
    # top-level fields whose raw JSON value (not text) is turned into one or more columns
    json_fields: dict[str, Callable[[str], Derived]] = field(default_factory=dict)
    # top-level fields whose text value is turned into one or more columns
    text_fields: dict[str, Callable[[str], Derived]] = field(default_factory=dict)


@dataclass
class FileResult:
    """What one file gave: the prepared load file (if any rows), its columns, counts and rejects."""

    lines: int = 0
    rows: int = 0
    duplicates: int = 0
    rejects: list[Reject] = field(default_factory=list)
    path: Path | None = None
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _json_path(parts: tuple[str, ...]) -> str:
    return "$" + "".join('."' + part + '"' for part in parts)


def _leaves(structure: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of the scalar (or list) values in a `json_group_structure` result, in document order."""
    if isinstance(structure, dict):
        paths: list[tuple[str, ...]] = []
        for key, value in structure.items():
            if '"' in key or "\\" in key:
                continue  # unaddressable by a JSONPath without escaping; such keys are not in any spec
            paths.extend(_leaves(value, (*prefix, key)))
        return paths
    return [prefix] if prefix else []


STRUCTURE_SAMPLE = 5000


def _object_paths(structure: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of the JSON objects in a structure (the root first)."""
    if not isinstance(structure, dict):
        return []
    paths = [prefix]
    for key, value in structure.items():
        if '"' not in key and "\\" not in key:
            paths.extend(_object_paths(value, (*prefix, key)))
    return paths


def _keys_at(structure: dict[str, Any], path: tuple[str, ...]) -> list[str]:
    node: Any = structure
    for part in path:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return list(node) if isinstance(node, dict) else []


def _merge_structure(into: dict[str, Any], other: Any) -> None:
    """Add the keys of `other` to `into`; a key that is an object on either side stays an object."""
    if not isinstance(other, dict):
        return
    for key, value in other.items():
        mine = into.get(key)
        if isinstance(mine, dict):
            _merge_structure(mine, value)
        elif isinstance(value, dict):
            into[key] = value
        elif key not in into:
            into[key] = value


class EventFileEngine:
    """One in-memory DuckDB session for one load: remembers the ids it has seen to drop duplicates."""

    def __init__(self, spec: EventSpec, file_format: str, normalize_name: Callable[[str], str]):
        self.spec = spec
        self.file_format = file_format
        self.normalize_name = normalize_name
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("CREATE TEMP TABLE seen (id VARCHAR)")

    def close(self) -> None:
        self.con.close()

    def register_filesystem(self, fs: Any) -> None:
        """Let DuckDB read a non-local fsspec filesystem (s3://, gcs://, memory:// ...)."""
        self.con.register_filesystem(fs)

    def _read_lines(self, url: str) -> None:
        """Table `checked(line_no, line, is_object, is_json)`: the file's non-blank lines, numbered from 1.

        The CSV reader (one column, no quoting) is ten times faster than splitting the text, but it turns
        blank lines and CRLF endings into extra rows; such files take the exact (slower) split instead.
        """
        con = self.con
        flags = "is_json AND starts_with(ltrim(line), '{') AS is_object, is_json"
        try:
            con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE checked AS
                SELECT line_no, line, {flags}
                FROM (SELECT row_number() OVER () AS line_no, line, json_valid(line) AS is_json
                      FROM read_csv(?, columns = {{'line': 'VARCHAR'}}, header = false, delim = chr(1), quote = '',
                                    escape = '', new_line = '\\n', auto_detect = false, strict_mode = false))
                """,
                [url],
            )
            blank = con.execute(
                "SELECT count(*) FROM checked WHERE line IS NULL OR trim(line) = ''"
            ).fetchone()[0]
        except duckdb.Error:
            blank = -1
        if blank == 0:
            return
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE checked AS
            SELECT line_no, line, {flags}
            FROM (SELECT line_no, line, json_valid(line) AS is_json
                  FROM (SELECT line_no, rtrim(line, chr(13)) AS line
                        FROM (SELECT generate_subscripts(parts, 1) AS line_no, unnest(parts) AS line
                              FROM (SELECT string_split(content, chr(10)) AS parts FROM read_text(?))))
                  WHERE trim(line) <> '')
            """,
            [url],
        )

    def _structure(self) -> dict[str, Any]:
        """The nested key structure of every JSON object line (table `checked`), without a full-file merge.

        `json_group_structure` over millions of lines is slow, so: take it over a sample, then look for
        lines whose keys (at every object level the sample knows) include one the sample lacks, and add
        one example of each such key set. Repeat until nothing new appears (new nested objects).
        """
        con = self.con
        text = con.execute(
            "SELECT json_group_structure(line::JSON) FROM "
            f"(SELECT line FROM checked WHERE is_object ORDER BY line_no LIMIT {STRUCTURE_SAMPLE})"
        ).fetchone()[0]
        structure = json.loads(text) if text else {}
        if not isinstance(structure, dict):
            structure = {}
        for _ in range(8):
            objects = _object_paths(structure)
            known = [sorted(_keys_at(structure, p)) for p in objects]
            paths_list = "[" + ", ".join(_sql_str(_json_path(p)) for p in objects) + "]"
            rows = con.execute(
                f"""
                SELECT min(line_no) FROM (
                    SELECT line_no, json_keys(line, {paths_list}) AS sig FROM checked WHERE is_object)
                GROUP BY sig
                """
            ).fetchall()
            examples = [r[0] for r in rows]
            sigs = con.execute(
                f"SELECT line_no, json_keys(line, {paths_list}) FROM checked WHERE line_no IN "
                f"(SELECT unnest(?::BIGINT[]))",
                [examples],
            ).fetchall()
            novel = [
                line_no
                for line_no, sig in sigs
                if any(set(keys or []) - set(known[i]) for i, keys in enumerate(sig))
            ]
            if not novel:
                return structure
            text = con.execute(
                "SELECT json_group_structure(line::JSON) FROM checked WHERE line_no IN (SELECT unnest(?::BIGINT[]))",
                [novel],
            ).fetchone()[0]
            _merge_structure(structure, json.loads(text))
        return structure

    def column_name(self, parts: tuple[str, ...]) -> str:
        return "__".join(self.normalize_name(part) for part in parts)

    def process(self, url: str, label: str, out_path: Path, load_id: str) -> FileResult:
        """Check, flatten and de-duplicate one file; write the good rows to `out_path`."""
        con, spec = self.con, self.spec
        self._read_lines(url)
        result = FileResult(lines=con.execute("SELECT count(*) FROM checked").fetchone()[0])
        rejects: list[Reject] = []
        for line_no, line, is_json in con.execute(
            "SELECT line_no, line, is_json FROM checked WHERE NOT is_object ORDER BY line_no"
        ).fetchall():
            reason = "malformed JSON line" if not is_json else "line is not a JSON object"
            rejects.append(Reject(spec.source, reason, line, label, line_no))

        structure = self._structure()
        paths = _leaves(structure if isinstance(structure, dict) else {})
        if not paths:
            result.rejects = rejects
            return result

        text_list = "[" + ", ".join(_sql_str(_json_path(p)) for p in paths) + "]"
        json_top = [name for name in spec.json_fields if name in structure]
        json_list = "[" + ", ".join(_sql_str(_json_path((name,))) for name in json_top) + "]"
        index = {p: i + 1 for i, p in enumerate(paths)}
        json_select = f", json_extract(line, {json_list}) AS j" if json_top else ""

        def raw(parts: tuple[str, ...]) -> str:
            return f"v[{index[parts]}]" if parts in index else "NULL::VARCHAR"

        key_raw, ts_raw = raw((spec.key_field,)), raw((spec.timestamp_field,))
        ts_sql = spec.timestamp_sql.format(raw=ts_raw)
        names_list = "[" + ", ".join(_sql_str(".".join(p)) for p in paths) + "]"
        too_long = f"list_position(list_transform(v, x -> coalesce(length(x), 0) > {MAX_FIELD_CHARS}), true)"
        # one pass: extract every leaf (one parse per line), then judge the line
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE judged AS
            SELECT line_no, v {", j" if json_top else ""}, {key_raw} AS _key, CASE
                WHEN {key_raw} IS NULL OR trim({key_raw}) = '' THEN 'missing {spec.key_field}: the event id is absent or empty'
                WHEN {ts_raw} IS NULL OR trim({ts_raw}) = '' THEN 'missing {spec.timestamp_field}: the event time is absent or empty'
                WHEN ({ts_sql}) IS NULL THEN 'unparseable {spec.timestamp_field}: ' || {ts_raw}
                WHEN ({ts_sql}) > now() + INTERVAL {FUTURE_TOLERANCE_HOURS} HOUR
                    THEN 'future {spec.timestamp_field}: ' || {ts_raw} || ' is more than a day ahead of now'
                WHEN long_line AND {too_long} > 0
                    THEN 'over-long field ' || {names_list}[{too_long}] || ': more than {MAX_FIELD_CHARS} characters'
                END AS _reason
            FROM (SELECT line_no, length(line) > {MAX_FIELD_CHARS} AS long_line,
                         json_extract_string(line, {text_list}) AS v {json_select}
                  FROM checked WHERE is_object)
            """
        )
        for line_no, line, key, reason in con.execute(
            "SELECT c.line_no, c.line, j._key, j._reason FROM judged j JOIN checked c USING (line_no)"
            " WHERE j._reason IS NOT NULL ORDER BY c.line_no"
        ).fetchall():
            rejects.append(Reject(spec.source, reason, line, label, line_no, key))
        result.rejects = sorted(rejects, key=lambda r: r.source_line or 0)

        select, columns = self._select_list(paths, raw, json_top)
        select.append(f"{_sql_str(label)} AS _source_file")
        select.append("line_no AS _source_line")
        select.append(f"{_sql_str(load_id)} AS _dlt_load_id")
        select.append("substr(md5(_key), 1, 22) AS _dlt_id")
        columns["_source_file"] = {"data_type": "text"}
        columns["_source_line"] = {"data_type": "bigint"}
        columns["_dlt_load_id"] = {"data_type": "text", "nullable": False}
        columns["_dlt_id"] = {"data_type": "text", "nullable": False, "unique": True}
        # first occurrence of each id not loaded earlier in this load
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE keep AS
            SELECT min(line_no) AS line_no, _key FROM judged
            WHERE _reason IS NULL AND _key NOT IN (SELECT id FROM seen)
            GROUP BY _key
            """
        )
        con.execute("INSERT INTO seen SELECT _key FROM keep")
        good = con.execute("SELECT count(*) FROM judged WHERE _reason IS NULL").fetchone()[0]
        result.rows = con.execute("SELECT count(*) FROM keep").fetchone()[0]
        result.duplicates = good - result.rows
        result.columns = columns
        if result.rows:
            options = "FORMAT csv, HEADER true"
            con.execute(
                f"COPY (SELECT {', '.join(select)} FROM judged SEMI JOIN keep USING (line_no))"
                f" TO {_sql_str(str(out_path))} ({options})"
            )
            result.path = out_path
        return result

    def _select_list(
        self, paths: list[tuple[str, ...]], raw: Callable[[tuple[str, ...]], str], json_top: list[str]
    ) -> tuple[list[str], dict[str, dict[str, Any]]]:
        """SELECT expressions and dlt column hints for every leaf, with the spec's transforms applied."""
        spec = self.spec
        select: list[str] = []
        columns: dict[str, dict[str, Any]] = {}

        def add(name: str, expr: str, data_type: str) -> None:
            if name in columns:
                return  # two raw keys normalising to one name: the first one wins
            hint: dict[str, Any] = {"data_type": data_type}
            if data_type == "timestamp":
                hint["timezone"] = True
            if name == spec.key_column:
                hint["nullable"] = False
            columns[name] = hint
            select.append(f'{expr} AS "{name}"')

        for i, name in enumerate(json_top, start=1):
            for column, expr, data_type in spec.json_fields[name](f"j[{i}]"):
                add(column, expr, data_type)
        for parts in paths:
            if parts[0] in spec.json_fields:
                continue
            if len(parts) == 1 and parts[0] in spec.text_fields:
                for column, expr, data_type in spec.text_fields[parts[0]](raw(parts)):
                    add(column, expr, data_type)
                continue
            add(self.column_name(parts), raw(parts), "text")
        return select, columns

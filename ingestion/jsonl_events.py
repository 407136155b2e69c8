"""Turn one JSON Lines file of events into a bulk-loadable file plus its rejects, using in-memory DuckDB.

Why DuckDB and not dlt's row normaliser: web events arrive by the ten million, and normalising Python
dicts row by row runs a hundred times slower than a columnar engine. dlt then imports the prepared file
as is: it still owns the schema (column hints), the merge, the state and the load package.

Every file ends as one table `judged`, one row per line: every known field (flattened with `__`,
typed), the reason the line is rejected (malformed, not an object, missing id or timestamp, unparseable
or future timestamp, over-long field) or none. Rejects and good rows are split from it, duplicates
dropped (first delivery wins) and the good rows written once, as Parquet for DuckDB or CSV for PostgreSQL.
The known structure (which fields exist) starts from a sample of the file's first lines.

Two ways to fill `judged`, with the same result:
- **checked, then parsed** (every clean file): one pass over the lines hashes each line's set of keys
  (at every known object level) and groups lines by it; a group the sample does not explain is looked at
  once, through one example line, and a new field widens the structure (schema drift becomes a column).
  Then DuckDB's own `read_json`, told the full structure, parses the file into typed columns: the same
  parser as the `read_json` ceiling, without its type sniffing.
- **line by line** (a file with a blank, malformed or non-object line, or one `read_json` refuses): every
  line's fields are extracted with `json_extract_string` beside its checks, in one pass per structure.
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

STRUCTURE_SAMPLE = 1000  # first lines of each file whose key structure is merged before the full passes
MAX_STRUCTURE_ROUNDS = 8  # full passes a file may take while new nested objects keep appearing


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
    passes: int = 0  # full reads of the file: 2 for a clean file (check, then parse), more on drift
    line_by_line: bool = False  # read the slower way (a bad line in the file, or a shape read_json refused)


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_list(items: list[str]) -> str:
    return "[" + ", ".join(_sql_str(item) for item in items) + "]" if items else "[]::VARCHAR[]"


def _json_path(parts: tuple[str, ...]) -> str:
    return "$" + "".join('."' + part + '"' for part in parts)


def _addressable(key: str) -> bool:
    return '"' not in key and "\\" not in key  # a JSONPath without escaping cannot name the others


def _leaves(structure: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of the scalar (or list) values in a `json_group_structure` result, in document order."""
    if isinstance(structure, dict):
        paths: list[tuple[str, ...]] = []
        for key, value in structure.items():
            if _addressable(key):  # such keys are not in any spec
                paths.extend(_leaves(value, (*prefix, key)))
        return paths
    return [prefix] if prefix else []


def _object_paths(structure: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of the JSON objects in a structure (the root first)."""
    if not isinstance(structure, dict):
        return []
    paths = [prefix]
    for key, value in structure.items():
        if _addressable(key):
            paths.extend(_object_paths(value, (*prefix, key)))
    return paths


def _keys_at(structure: dict[str, Any], path: tuple[str, ...]) -> list[str]:
    node: Any = structure
    for part in path:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return list(node) if isinstance(node, dict) else []


def _null_leaves(structure: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Leaves seen only as null so far: the ones that may turn out to be objects in later lines."""
    if isinstance(structure, dict):
        paths: list[tuple[str, ...]] = []
        for key, value in structure.items():
            if _addressable(key):
                paths.extend(_null_leaves(value, (*prefix, key)))
        return paths
    return [prefix] if prefix and structure == "NULL" else []


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
        elif key not in into or (mine == "NULL" and value != "NULL"):
            into[key] = value


def _shape(structure: dict[str, Any]) -> tuple[Any, ...]:
    """What the full pass depends on: the leaves it extracts and the objects whose keys it checks."""
    objects = _object_paths(structure)
    return (
        tuple(_leaves(structure)),
        tuple((p, tuple(sorted(_keys_at(structure, p)))) for p in objects),
        tuple(_null_leaves(structure)),
    )


# The file as lines. CSV with one column and no quoting is the fast, parallel split; it turns blank
# lines (and CRLF endings) into extra rows, so a file that has any is read again the exact way.
LINES = """
    SELECT line
    FROM read_csv(?, columns = {'line': 'VARCHAR'}, header = false, delim = chr(1), quote = '', escape = '',
                  new_line = '\\n', auto_detect = false, strict_mode = false)
"""
FAST_LINES = LINES.replace("SELECT line", "SELECT row_number() OVER () AS line_no, line", 1)  # numbered
EXACT_LINES = """
    SELECT line_no, line
    FROM (SELECT line_no, rtrim(line, chr(13)) AS line
          FROM (SELECT generate_subscripts(parts, 1) AS line_no, unnest(parts) AS line
                FROM (SELECT string_split(content, chr(10)) AS parts FROM read_text(?))))
    WHERE trim(line) <> ''
"""


class EventFileEngine:
    """One in-memory DuckDB session for one load: remembers the ids it has seen to drop duplicates.

    `parse_with_read_json=False` reads every file line by line: the reference the faster path is tested
    against. `memory_limit` (FUNNELHOUSE_DUCKDB_MEMORY_LIMIT) caps the session's buffer pool (the `seen`
    ids, `judged`, ...); past it DuckDB spills to `temp_directory`. Without it the session keeps DuckDB's
    defaults (80% of memory, `.tmp` in the working directory). Insertion order stays preserved: line
    numbers come from `row_number() OVER ()` over the file as read, and the first delivery of an id wins.
    """

    def __init__(
        self,
        spec: EventSpec,
        file_format: str,
        normalize_name: Callable[[str], str],
        parse_with_read_json: bool = True,
        *,
        memory_limit: str | None = None,
        temp_directory: Path | None = None,
    ):
        self.spec = spec
        self.parse_with_read_json = parse_with_read_json
        self.file_format = file_format
        self.normalize_name = normalize_name
        config: dict[str, str] = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
            if temp_directory is not None:
                config["temp_directory"] = str(temp_directory)
        self.con = duckdb.connect(config=config)
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("CREATE TEMP TABLE seen (id VARCHAR)")
        # the structure known so far in this load (the files of one feed share it), and one line for
        # each set of keys it is known to explain
        self.structure: dict[str, Any] = {}
        self.con.execute("CREATE TEMP TABLE known_lines (line VARCHAR)")

    def close(self) -> None:
        self.con.close()

    def register_filesystem(self, fs: Any) -> None:
        """Let DuckDB read a non-local fsspec filesystem (s3://, gcs://, memory:// ...)."""
        self.con.register_filesystem(fs)

    def column_name(self, parts: tuple[str, ...]) -> str:
        return "__".join(self.normalize_name(part) for part in parts)

    # -- the known structure ---------------------------------------------------------------------------

    def _sample_structure(self, url: str) -> dict[str, Any]:
        """The structure known so far, widened by the file's first STRUCTURE_SAMPLE lines.

        One line per distinct key set of the sample joins `known_lines`.
        """
        con = self.con
        sample = (
            "CREATE OR REPLACE TEMP TABLE sample_lines AS "
            f"SELECT line FROM ({{lines}}) LIMIT {STRUCTURE_SAMPLE}"
        )
        try:
            con.execute(sample.format(lines=LINES), [url])
        except duckdb.Error:
            con.execute(sample.format(lines=EXACT_LINES), [url])
        text = con.execute(
            "SELECT json_group_structure(line::JSON) FROM sample_lines"
            " WHERE json_valid(line) AND starts_with(ltrim(line), '{')"
        ).fetchone()[0]
        structure = json.loads(json.dumps(self.structure))
        _merge_structure(structure, json.loads(text) if text else {})
        for name in (self.spec.key_field, self.spec.timestamp_field):
            structure.setdefault(name, "NULL")  # always checked, even if no line has it
        signature = self._signature(structure)
        con.execute(
            f"INSERT INTO known_lines SELECT first(line) FROM sample_lines WHERE {signature} IS NOT NULL"
            f" GROUP BY {signature}"
        )
        return structure

    def _signature(self, structure: dict[str, Any]) -> str:
        """SQL hashing a line's keys at every known object (and at leaves only seen null), NULL if unparseable."""
        paths = _object_paths(structure) + _null_leaves(structure)
        keys = _sql_list([_json_path(p) for p in paths])
        return f"CASE WHEN starts_with(line, '{{') THEN try(hash(json_keys(line, {keys}))) END"

    def _check_lines(self, url: str, structure: dict[str, Any]) -> tuple[dict[str, Any], bool, int]:
        """Pass 1 of a clean file: the full structure, and whether every line is a parseable JSON object.

        Lines are grouped by the hash of their keys; a group not seen in `known_lines` is judged by one
        example line. Returns (structure, clean, passes).
        """
        con = self.con
        passes = 0
        for _ in range(MAX_STRUCTURE_ROUNDS):
            signature = self._signature(structure)
            try:
                groups = con.execute(
                    f"SELECT _sig, first(line) FROM (SELECT {signature} AS _sig, line FROM ({LINES}))"
                    " GROUP BY _sig",
                    [url],
                ).fetchall()
            except duckdb.Error:
                return structure, False, passes + 1  # e.g. a line longer than the CSV reader takes
            passes += 1
            if any(sig is None for sig, _ in groups):
                return structure, False, passes  # a blank, malformed or non-object line: read line by line
            known = {
                row[0] for row in con.execute(f"SELECT DISTINCT {signature} FROM known_lines").fetchall()
            }
            examples = [line for sig, line in groups if sig not in known]
            if not examples:
                return structure, True, passes
            con.execute("INSERT INTO known_lines SELECT unnest(?::VARCHAR[])", [examples])
            text = con.execute(
                "SELECT json_group_structure(x::JSON) FROM (SELECT unnest(?::VARCHAR[]) AS x)", [examples]
            ).fetchone()[0]
            wider = json.loads(json.dumps(structure))
            _merge_structure(wider, json.loads(text) if text else {})
            if _shape(wider) == _shape(structure):
                return structure, True, passes  # the new groups only leave out known keys
            structure = wider
        return structure, False, passes

    # -- filling `judged` ------------------------------------------------------------------------------

    def _reason(self, ts_raw: str, checks: list[tuple[str, str]], long_gate: str, line_checks: bool) -> str:
        """SQL CASE naming what is wrong with a row (NULL when nothing is), over `_fh_key` and `_fh_ts`."""
        spec = self.spec
        key_name, ts_name = spec.key_field, spec.timestamp_field
        flags = (
            "[" + ", ".join(f"coalesce(length({expr}), 0) > {MAX_FIELD_CHARS}" for _, expr in checks) + "]"
        )
        position = f"list_position({flags}, true)" if checks else "0"
        names = _sql_list([name for name, _ in checks])
        malformed = (
            "WHEN NOT _fh_json THEN 'malformed JSON line' WHEN NOT _fh_object THEN 'line is not a JSON object'"
            if line_checks
            else ""
        )
        return f"""CASE {malformed}
            WHEN _fh_key IS NULL OR trim(_fh_key) = '' THEN 'missing {key_name}: the event id is absent or empty'
            WHEN {ts_raw} IS NULL OR trim({ts_raw}) = '' THEN 'missing {ts_name}: the event time is absent or empty'
            WHEN _fh_ts IS NULL THEN 'unparseable {ts_name}: ' || {ts_raw}
            WHEN _fh_ts > now() + INTERVAL {FUTURE_TOLERANCE_HOURS} HOUR
                THEN 'future {ts_name}: ' || {ts_raw} || ' is more than a day ahead of now'
            WHEN {long_gate} AND {position} > 0
                THEN 'over-long field ' || {names}[{position}] || ': more than {MAX_FIELD_CHARS} characters'
            END"""

    def _judge_parsed(self, url: str, structure: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Pass 2 of a clean file: `read_json` with the full structure fills `judged`; returns column hints."""
        spec = self.spec
        json_top = [name for name in spec.json_fields if name in structure]
        paths = [p for p in _leaves(structure) if p[0] not in json_top]
        index = {p: i for i, p in enumerate(paths, 1)}

        def raw(parts: tuple[str, ...]) -> str:
            return f"_fh_c{index[parts]}" if parts in index else "NULL::VARCHAR"

        def json_value(i: int) -> str:
            return f"_fh_j{i}"

        def has_fields(node: Any) -> bool:
            # an object without fields gives no column
            return not isinstance(node, dict) or bool(_leaves(node))

        def duck_type(node: Any) -> str:
            # a number, boolean or list (or an object where text was seen) reads as its text, as
            # json_extract_string gives it
            if not isinstance(node, dict):
                return "VARCHAR"
            fields = [f'"{k}" {duck_type(v)}' for k, v in node.items() if _addressable(k) and has_fields(v)]
            return "STRUCT(" + ", ".join(fields) + ")"

        read = ", ".join(
            f"{_sql_str(key)}: {_sql_str('JSON' if key in json_top else duck_type(value))}"
            for key, value in structure.items()
            if _addressable(key) and (key in json_top or has_fields(value))
        )

        def access(parts: tuple[str, ...]) -> str:
            expr = f'"{parts[0]}"'
            for part in parts[1:]:
                expr = f"struct_extract({expr}, {_sql_str(part)})"
            return expr

        inner = [f"{access(p)} AS _fh_c{i}" for p, i in index.items()]
        inner += [f'"{name}" AS _fh_j{i}' for i, name in enumerate(json_top, 1)]
        ts_raw = raw((spec.timestamp_field,))
        ts_sql = spec.timestamp_sql.format(raw=ts_raw)
        select, columns = self._select_list(_leaves(structure), raw, json_value, json_top, ts_sql)
        checks = [(".".join(p), raw(p)) for p in paths]
        checks += [(name, f"({json_value(i)} ->> '$')") for i, name in enumerate(json_top, 1)]
        gate = "greatest(" + ", ".join(f"strlen({expr})" for _, expr in checks) + f") > {MAX_FIELD_CHARS}"
        reason = self._reason(ts_raw, checks, gate, line_checks=False)
        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE judged AS
            SELECT _fh_line_no, _fh_key, _fh_reason, false AS _fh_blank, false AS _fh_novel,
                   NULL::VARCHAR AS _fh_line {"".join(", " + s for s in select)}
            FROM (
                SELECT *, {reason} AS _fh_reason
                FROM (
                    SELECT *, {raw((spec.key_field,))} AS _fh_key, ({ts_sql}) AS _fh_ts
                    FROM (
                        SELECT row_number() OVER () AS _fh_line_no {"".join(", " + s for s in inner)}
                        FROM read_json(?, format = 'newline_delimited', columns = {{{read}}}))))
            """,
            [url],
        )
        return columns

    def _judge_lines(self, url: str, structure: dict[str, Any], exact: bool) -> dict[str, dict[str, Any]]:
        """Fill `judged` line by line: each line's fields, reject reason and drift flag; returns column hints.

        `_fh_novel` marks a good line with a key the structure lacks (at a known object, or an object where
        only null was seen); `_fh_line` keeps the text of such lines and of rejected ones.
        """
        spec = self.spec
        paths = _leaves(structure)
        index = {p: i + 1 for i, p in enumerate(paths)}
        json_top = [name for name in spec.json_fields if name in structure]

        def raw(parts: tuple[str, ...]) -> str:
            return f"_fh_v[{index[parts]}]" if parts in index else "NULL::VARCHAR"

        def json_value(i: int) -> str:
            return f"_fh_j[{i}]"

        key_raw, ts_raw = raw((spec.key_field,)), raw((spec.timestamp_field,))
        ts_sql = spec.timestamp_sql.format(raw=ts_raw)
        select, columns = self._select_list(paths, raw, json_value, json_top, ts_sql)

        objects = _object_paths(structure)
        known = [
            f"coalesce(list_has_all({_sql_list(_keys_at(structure, p))}, _fh_k[{i}]), true)"
            for i, p in enumerate(objects, 1)
        ]
        known += [
            f"NOT coalesce(starts_with({raw(p)}, '{{'), false)" for p in _null_leaves(structure) if p in index
        ]
        extract = [
            f"json_extract_string(line, {_sql_list([_json_path(p) for p in paths])})",
            f"json_extract(line, {_sql_list([_json_path((n,)) for n in json_top])})" if json_top else "NULL",
            f"json_keys(line, {_sql_list([_json_path(p) for p in objects])})",
        ]
        checks = [(".".join(p), raw(p)) for p in paths]
        reason = self._reason(ts_raw, checks, "_fh_long", line_checks=True)
        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE judged AS
            SELECT line_no AS _fh_line_no, _fh_key, _fh_reason, _fh_blank, _fh_novel,
                   CASE WHEN _fh_reason IS NOT NULL OR _fh_novel THEN line END AS _fh_line
                   {"".join(", " + s for s in select)}
            FROM (
                SELECT *, CASE WHEN _fh_blank THEN NULL ELSE {reason} END AS _fh_reason
                FROM (
                    SELECT *, {key_raw} AS _fh_key, ({ts_sql}) AS _fh_ts,
                           _fh_object AND NOT ({" AND ".join(known) if known else "true"}) AS _fh_novel
                    FROM (
                        SELECT line_no, line, _fh_json, _fh_object, _fh_blank,
                               length(line) > {MAX_FIELD_CHARS} AS _fh_long,
                               CASE WHEN _fh_object THEN {extract[0]} END AS _fh_v,
                               CASE WHEN _fh_object THEN {extract[1]} END AS _fh_j,
                               CASE WHEN _fh_object THEN {extract[2]} END AS _fh_k
                        FROM (
                            SELECT line_no, line, _fh_json, _fh_json AND starts_with(ltrim(line), '{{') AS _fh_object,
                                   NOT _fh_json AND coalesce(trim(line) = '', true) AS _fh_blank
                            FROM (SELECT line_no, line, coalesce(json_valid(line), false) AS _fh_json
                                  FROM ({EXACT_LINES if exact else FAST_LINES}))))))
            """,
            [url],
        )
        return columns

    def _fill_line_by_line(
        self, url: str, structure: dict[str, Any], result: FileResult
    ) -> dict[str, dict[str, Any]]:
        """`judged` line by line, read again with a wider structure while good lines bring new keys."""
        con = self.con
        exact = False
        rounds = 0
        while True:
            try:
                columns = self._judge_lines(url, structure, exact)
            except duckdb.Error:
                if exact:
                    raise
                exact = True  # e.g. a line longer than the CSV reader takes: split the text instead
                continue
            result.passes += 1
            blank, novel = con.execute(
                "SELECT count(*) FILTER (_fh_blank), count(*) FILTER (_fh_novel AND _fh_reason IS NULL) FROM judged"
            ).fetchone()
            if blank and not exact:
                exact = True  # blank lines or CRLF endings: number the lines the exact way
                continue
            if not novel or rounds >= MAX_STRUCTURE_ROUNDS:
                return columns
            rounds += 1
            text = con.execute(
                "SELECT json_group_structure(_fh_line::JSON) FROM judged WHERE _fh_novel AND _fh_reason IS NULL"
            ).fetchone()[0]
            wider = json.loads(json.dumps(structure))
            _merge_structure(wider, json.loads(text) if text else {})
            if _shape(wider) == _shape(structure):
                return columns  # e.g. a text value that merely starts with "{": nothing new to extract
            structure = self.structure = wider

    # -- one file --------------------------------------------------------------------------------------

    def process(self, url: str, label: str, out_path: Path, load_id: str) -> FileResult:
        """Check, flatten and de-duplicate one file; write the good rows to `out_path`."""
        con, spec = self.con, self.spec
        result = FileResult()
        structure = self.structure = self._sample_structure(url)
        columns = None
        if self.parse_with_read_json:
            structure, clean, result.passes = self._check_lines(url, structure)
            self.structure = structure
            try:
                columns = self._judge_parsed(url, structure) if clean else None
                result.passes += clean
            except duckdb.Error:
                columns = None  # e.g. a field that is an object in one line and text in another
        result.line_by_line = columns is None
        if columns is None:
            columns = self._fill_line_by_line(url, structure, result)

        result.lines = con.execute("SELECT count(*) FROM judged WHERE NOT _fh_blank").fetchone()[0]
        rejected = con.execute(
            "SELECT _fh_line_no, _fh_line, _fh_key, _fh_reason FROM judged"
            " WHERE _fh_reason IS NOT NULL ORDER BY _fh_line_no"
        ).fetchall()
        if rejected and not result.line_by_line:  # the parsed path keeps no text: fetch the rejected lines
            texts = dict(
                con.execute(
                    f"SELECT line_no, line FROM ({FAST_LINES}) WHERE line_no IN (SELECT unnest(?::BIGINT[]))",
                    [url, [row[0] for row in rejected]],
                ).fetchall()
            )
            rejected = [(line_no, texts.get(line_no), key, reason) for line_no, _, key, reason in rejected]
        result.rejects = [
            Reject(spec.source, reason, line, label, line_no, key) for line_no, line, key, reason in rejected
        ]
        if not columns:
            return result

        # first occurrence of each id not loaded earlier in this load
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE keep AS
            SELECT min(_fh_line_no) AS _fh_line_no, _fh_key
            FROM (SELECT _fh_line_no, _fh_key FROM judged WHERE _fh_reason IS NULL AND NOT _fh_blank) AS j
            ANTI JOIN seen ON j._fh_key = seen.id
            GROUP BY _fh_key
            """
        )
        con.execute("INSERT INTO seen SELECT _fh_key FROM keep")
        good = result.lines - len(result.rejects)
        result.rows = con.execute("SELECT count(*) FROM keep").fetchone()[0]
        result.duplicates = good - result.rows
        kept = (
            "SEMI JOIN keep USING (_fh_line_no)"
            if result.duplicates
            else "WHERE _fh_reason IS NULL AND NOT _fh_blank"
        )
        select = [f'"{name}"' for name in columns]
        select.append(f"{_sql_str(label)} AS _source_file")
        select.append("_fh_line_no AS _source_line")
        select.append(f"{_sql_str(load_id)} AS _dlt_load_id")
        select.append("substr(md5(_fh_key), 1, 22) AS _dlt_id")
        columns["_source_file"] = {"data_type": "text"}
        columns["_source_line"] = {"data_type": "bigint"}
        columns["_dlt_load_id"] = {"data_type": "text", "nullable": False}
        columns["_dlt_id"] = {"data_type": "text", "nullable": False, "unique": True}
        result.columns = columns
        if result.rows:
            options = (  # parquet: uncompressed, faster both ways, and the file is gone once loaded
                "FORMAT parquet, COMPRESSION uncompressed"
                if self.file_format == "parquet"
                else "FORMAT csv, HEADER true"
            )
            con.execute(
                f"COPY (SELECT {', '.join(select)} FROM judged {kept})"
                f" TO {_sql_str(str(out_path))} ({options})"
            )
            result.path = out_path
        return result

    def _select_list(
        self,
        paths: list[tuple[str, ...]],
        raw: Callable[[tuple[str, ...]], str],
        json_value: Callable[[int], str],
        json_top: list[str],
        ts_sql: str,
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
            if expr == ts_sql:
                expr = "_fh_ts"  # already computed for the checks
            select.append(f'{expr} AS "{name}"')

        for i, name in enumerate(json_top, start=1):
            for column, expr, data_type in spec.json_fields[name](json_value(i)):
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

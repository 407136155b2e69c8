"""The sync's memory in the warehouse: `ops.sync_state` (what the CRM confirmed) and `ops.sync_log` (what happened).

`sync_state` holds one row per CRM contact with the last values the CRM confirmed, so a run sends only
promotions and changes the CRM has not confirmed yet. It advances only after the CRM answered a write,
in the same transaction as the log rows of that batch: a crash between the CRM write and the commit
leaves the promotion pending, and re-sending identical values is a no-op on the CRM.

The DDL and the upserts use only types and syntax shared by DuckDB and PostgreSQL.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from funnelhouse.warehouse import Warehouse

SCHEMA = "ops"

DDL = (
    f"create schema if not exists {SCHEMA}",
    f"""create table if not exists {SCHEMA}.sync_state (
        crm_contact_id varchar primary key,
        person_id varchar,
        last_mql_event_id varchar,
        last_mql_at timestamp,
        last_mql_sequence integer,
        confirmed_values varchar,
        payload_hash varchar,
        confirmed_at timestamp,
        failed_mql_event_id varchar,
        failed_payload_hash varchar,
        failed_error varchar,
        failed_at timestamp,
        updated_at timestamp
    )""",
    f"""create table if not exists {SCHEMA}.sync_log (
        run_id varchar not null,
        person_id varchar,
        crm_contact_id varchar,
        mql_event_id varchar,
        action varchar not null,
        status varchar not null,
        reason varchar,
        error varchar,
        attempts integer,
        started_at timestamp,
        finished_at timestamp,
        dry_run boolean not null
    )""",
)


@dataclass(frozen=True)
class ContactState:
    """What the CRM last confirmed for one contact, and the promotion that failed for good, if any."""

    crm_contact_id: str
    person_id: str | None
    last_mql_event_id: str | None
    last_mql_at: datetime | None
    last_mql_sequence: int | None
    confirmed_values_json: str | None  # as stored; parsed only for the contacts whose values changed
    payload_hash: str | None
    failed_mql_event_id: str | None
    failed_payload_hash: str | None
    failed_error: str | None

    @cached_property
    def confirmed_values(self) -> dict[str, str]:
        return json.loads(self.confirmed_values_json) if self.confirmed_values_json else {}


@dataclass(frozen=True)
class LogRow:
    """One line of `ops.sync_log`."""

    run_id: str
    person_id: str | None
    crm_contact_id: str | None
    mql_event_id: str | None
    action: str
    status: str
    reason: str | None
    error: str | None
    attempts: int
    started_at: datetime
    finished_at: datetime
    dry_run: bool

    def as_params(self) -> tuple:
        return (
            self.run_id,
            self.person_id,
            self.crm_contact_id,
            self.mql_event_id,
            self.action,
            self.status,
            self.reason,
            self.error,
            self.attempts,
            _naive(self.started_at),
            _naive(self.finished_at),
            self.dry_run,
        )


def ensure_tables(wh: Warehouse) -> None:
    """Create `ops.sync_state` and `ops.sync_log` when missing (safe to call every run)."""
    with transaction(wh):
        for statement in DDL:
            _execute(wh, statement)


@contextmanager
def transaction(wh: Warehouse) -> Iterator[None]:
    """One atomic unit on either engine: DuckDB needs an explicit BEGIN, psycopg2 opens one implicitly."""
    if wh.engine == "duckdb":
        wh.connection.execute("begin transaction")
        try:
            yield
        except BaseException:
            wh.connection.execute("rollback")
            raise
        wh.connection.execute("commit")
    else:
        try:
            yield
        except BaseException:
            wh.connection.rollback()
            raise
        wh.connection.commit()


# The columns of a ContactState, in its order (`s`: ops.sync_state).
STATE_COLUMNS = (
    "s.crm_contact_id, s.person_id, s.last_mql_event_id, s.last_mql_at, s.last_mql_sequence,"
    " s.confirmed_values, s.payload_hash, s.failed_mql_event_id, s.failed_payload_hash, s.failed_error"
)


def load_states(wh: Warehouse, *, where: str = "") -> dict[str, ContactState]:
    """The confirmed state of every contact (or of those matching `where`), keyed by CRM contact id."""
    rows = wh.fetchall(
        f"select {STATE_COLUMNS} from {SCHEMA}.sync_state s" + (f" where {where}" if where else "")
    )
    return {row[0]: ContactState(*row) for row in rows}


_UPSERT_CONFIRMED = f"""
insert into {SCHEMA}.sync_state (crm_contact_id, person_id, last_mql_event_id, last_mql_at, last_mql_sequence,
    confirmed_values, payload_hash, confirmed_at, updated_at)
values (?, ?, ?, ?, ?, ?, ?, ?, ?)
on conflict (crm_contact_id) do update set
    person_id = excluded.person_id,
    last_mql_event_id = excluded.last_mql_event_id,
    last_mql_at = excluded.last_mql_at,
    last_mql_sequence = excluded.last_mql_sequence,
    confirmed_values = excluded.confirmed_values,
    payload_hash = excluded.payload_hash,
    confirmed_at = excluded.confirmed_at,
    updated_at = excluded.updated_at
"""

_UPSERT_FAILED = f"""
insert into {SCHEMA}.sync_state (crm_contact_id, person_id, failed_mql_event_id, failed_payload_hash,
    failed_error, failed_at, updated_at)
values (?, ?, ?, ?, ?, ?, ?)
on conflict (crm_contact_id) do update set
    failed_mql_event_id = excluded.failed_mql_event_id,
    failed_payload_hash = excluded.failed_payload_hash,
    failed_error = excluded.failed_error,
    failed_at = excluded.failed_at,
    updated_at = excluded.updated_at
"""

_INSERT_LOG = f"""
insert into {SCHEMA}.sync_log (run_id, person_id, crm_contact_id, mql_event_id, action, status, reason, error,
    attempts, started_at, finished_at, dry_run)
values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


@dataclass(frozen=True)
class Confirmed:
    """A write the CRM confirmed: the contact's state moves to these values."""

    crm_contact_id: str
    person_id: str | None
    mql_event_id: str
    mql_at: datetime
    mql_sequence: int
    values: dict[str, str]
    payload_hash: str
    confirmed_at: datetime


@dataclass(frozen=True)
class PermanentFailure:
    """A write the CRM refused for good: marked so it is not retried until its values change."""

    crm_contact_id: str
    person_id: str | None
    mql_event_id: str
    payload_hash: str
    error: str
    failed_at: datetime


def record_batch(
    wh: Warehouse,
    *,
    confirmed: Sequence[Confirmed],
    permanent: Sequence[PermanentFailure],
    log_rows: Sequence[LogRow],
) -> None:
    """Advance the state of the confirmed contacts, mark permanent failures and log, in one commit."""
    with transaction(wh):
        insert_many(
            wh,
            _UPSERT_CONFIRMED,
            [
                (
                    c.crm_contact_id,
                    c.person_id,
                    c.mql_event_id,
                    _naive(c.mql_at),
                    c.mql_sequence,
                    json.dumps(c.values, sort_keys=True),
                    c.payload_hash,
                    _naive(c.confirmed_at),
                    _naive(c.confirmed_at),
                )
                for c in confirmed
            ],
        )
        insert_many(
            wh,
            _UPSERT_FAILED,
            [
                (
                    p.crm_contact_id,
                    p.person_id,
                    p.mql_event_id,
                    p.payload_hash,
                    p.error,
                    _naive(p.failed_at),
                    _naive(p.failed_at),
                )
                for p in permanent
            ],
        )
        insert_many(wh, _INSERT_LOG, [row.as_params() for row in log_rows])


def write_log(wh: Warehouse, log_rows: Sequence[LogRow]) -> None:
    """Log rows that change no state (skips, dry-run plans, halts), committed."""
    with transaction(wh):
        insert_many(wh, _INSERT_LOG, [row.as_params() for row in log_rows])


def _execute(wh: Warehouse, sql: str) -> None:
    """On DuckDB every cursor is its own connection (own transaction): use the connection itself."""
    if wh.engine == "duckdb":
        wh.connection.execute(sql)
    else:
        wh.execute(sql)


_VALUES = re.compile(r"values \((\?(?:, \?)*)\)")
_ROWS_PER_STATEMENT = 200
# From this many rows on, DuckDB reads them from a pandas frame: binding VALUES parameters costs about
# 0.3 ms a row there, a frame scan a near-constant ~25 ms a statement (so grouped commits stay cheap).
_FRAME_MIN_ROWS = 20


def insert_many(wh: Warehouse, sql: str, rows: Sequence[Sequence]) -> None:
    """Many rows in few statements: DuckDB's executemany runs row by row (~0.6 s per 100 upserts).

    `sql` holds one `values (?, ...)` clause, which becomes multi-row VALUES (PostgreSQL, small DuckDB
    inserts) or a `select` from a registered pandas frame (larger DuckDB inserts; the rows' values must
    keep one type per column, None allowed except in integer columns). Not committed here.
    """
    if not rows:
        return
    match = _VALUES.search(sql)
    assert match, f"no VALUES (?, ...) clause in {sql!r}"
    if wh.engine == "duckdb" and len(rows) >= _FRAME_MIN_ROWS:
        _insert_frame(wh, sql, match, rows)
        return
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[start : start + _ROWS_PER_STATEMENT]
        tuples = ", ".join([f"({match.group(1)})"] * len(chunk))
        statement = sql[: match.start()] + f"values {tuples}" + sql[match.end() :]
        params = [value for row in chunk for value in row]
        if wh.engine == "duckdb":
            wh.connection.execute(statement, params)
        else:
            wh.execute(statement, params)


def _insert_frame(wh: Warehouse, sql: str, match: re.Match[str], rows: Sequence[Sequence]) -> None:
    import pandas as pd

    width = match.group(1).count("?")
    frame = pd.DataFrame.from_records([tuple(row) for row in rows], columns=[f"c{i}" for i in range(width)])
    name = f"_funnelhouse_rows_{uuid.uuid4().hex[:12]}"
    wh.connection.register(name, frame)
    try:
        wh.connection.execute(sql[: match.start()] + f"select * from {name}" + sql[match.end() :])
    finally:
        wh.connection.unregister(name)


def _naive(value: datetime) -> datetime:
    """Store UTC as naive `timestamp` so DuckDB and PostgreSQL read back the same value."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value

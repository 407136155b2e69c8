"""A run planned chunk by chunk, so the first batch goes out while the rest is still being planned.

The mart is read ordered by contact key (`source.CONTACT_KEY`) and planned `PLAN_CHUNK_CONTACTS` contacts
at a time: all promotions of one contact fall in one chunk, so each chunk is planned by `plan.make_plan`
exactly as a whole-mart plan would be (per-contact decisions only depend on that contact's rows and
state). Only the order of contacts differs: by contact key instead of by oldest pending promotion, which
matters only for `--limit` (such a run plans the whole mart first, see `sync.run_sync`).

The circuit breaker needs the promotion count before the first write: `count_pending_promotions` gets it
from one SQL query (the same rule as `plan._contact_writes`, in the warehouse), plus a Python plan of the
few contacts holding a permanent failure (whose rule compares payload hashes).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from funnelhouse.warehouse import Warehouse
from reverse_etl.config import SyncConfig
from reverse_etl.plan import Plan, make_plan
from reverse_etl.source import (
    CONTACT_KEY,
    MART_SCHEMA,
    MART_TABLE,
    PROMOTION_COLUMNS,
    Promotion,
    check_mart,
    promotion_from_row,
    read_promotions,
)
from reverse_etl.state import SCHEMA, STATE_COLUMNS, ContactState, load_states

# Contacts planned per chunk: small enough that the first batch leaves within a fraction of a second,
# large enough that the per-chunk queries cost little (about 1/50 of a 100,000-contact mart).
PLAN_CHUNK_CONTACTS = 2000
FETCH_ROWS = 2000


def plan_chunks(wh: Warehouse, config: SyncConfig, chunk_contacts: int | None = None) -> Iterator[Plan]:
    """Plans of successive contact ranges: first the rows without a contact (skips), then the contacts.

    One query reads the mart joined to `ops.sync_state`, ordered by contact key, through its own cursor
    (fetched chunk by chunk while this connection commits finished batches): the state it sees is the
    state at the start of the run, and the mart is scanned once whatever its size.
    """
    size = chunk_contacts or PLAN_CHUNK_CONTACTS
    check_mart(wh)
    key = CONTACT_KEY.format(alias="m.")
    orphans = read_promotions(wh, where=f"{key} is null", check=False)
    if orphans:
        yield make_plan(orphans, {}, config)
    sql = (
        f"select {key} as contact_key, {PROMOTION_COLUMNS}, {STATE_COLUMNS}"
        f" from {MART_SCHEMA}.{MART_TABLE} m left join {SCHEMA}.sync_state s on s.crm_contact_id = {key}"
        f" where {key} is not null order by contact_key"
    )
    width = len(PROMOTION_COLUMNS.split(","))
    promotions: list[Promotion] = []
    states: dict[str, ContactState] = {}
    contacts, last_key = 0, None
    with _streaming_cursor(wh) as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(FETCH_ROWS):
            for row in rows:
                if row[0] != last_key:
                    if contacts == size:
                        yield make_plan(promotions, states, config)
                        promotions, states, contacts = [], {}, 0
                    contacts, last_key = contacts + 1, row[0]
                promotion = promotion_from_row(row[1 : 1 + width])
                promotions.append(promotion)
                if row[1 + width] is not None:
                    states[row[1 + width]] = ContactState(*row[1 + width :])
    if promotions:
        yield make_plan(promotions, states, config)


@contextmanager
def _streaming_cursor(wh: Warehouse) -> Iterator[Any]:
    """A cursor that keeps its result while the warehouse connection commits (DuckDB: its own connection;
    PostgreSQL: a server-side cursor held across commits)."""
    if wh.engine == "duckdb":
        cursor = wh.connection.cursor()
    else:
        cursor = wh.connection.cursor(name=f"funnelhouse_sync_{uuid.uuid4().hex[:12]}", withhold=True)
        cursor.itersize = FETCH_ROWS
    try:
        yield cursor
    finally:
        cursor.close()


def count_pending_promotions(wh: Warehouse, config: SyncConfig) -> int:
    """Promotions (not re-scores) a run without limit sends: `Plan.promotions_count`, computed in SQL.

    A promotion is pending when it is not the contact's last confirmed one and comes after it in
    (mql_at, mql_sequence, mql_event_id) order. Contacts with a permanent failure are planned in Python.
    """
    check_mart(wh)
    key = CONTACT_KEY.format(alias="m.")
    mql_at = "m.mql_at"
    types = wh.fetchall(
        "select data_type from information_schema.columns"
        " where table_schema = ? and table_name = ? and column_name = 'mql_at'",
        [MART_SCHEMA, MART_TABLE],
    )
    if types and "with time zone" in str(types[0][0]).lower():
        mql_at = "(m.mql_at at time zone 'UTC')"  # the state holds naive UTC
    collate = ' collate "C"' if wh.engine == "postgres" else ""  # Python's code-point order
    event = f"cast(m.mql_event_id as varchar){collate}"
    sequence = "case when coalesce(m.mql_sequence, 0) = 0 then 1 else m.mql_sequence end"
    last_sequence = "coalesce(s.last_mql_sequence, 0)"
    after_floor = (
        f"({mql_at} > s.last_mql_at or ({mql_at} = s.last_mql_at and ({sequence} > {last_sequence}"
        f" or ({sequence} = {last_sequence} and {event} > s.last_mql_event_id{collate}))))"
    )
    rows = wh.fetchall(
        f"select count(*) from {MART_SCHEMA}.{MART_TABLE} m"
        f" left join {SCHEMA}.sync_state s on s.crm_contact_id = {key}"
        f" where {key} is not null and s.failed_mql_event_id is null"
        f" and (s.last_mql_event_id is null or {event} <> s.last_mql_event_id)"
        f" and (s.last_mql_event_id is null or s.last_mql_at is null or {after_floor})"
    )
    counted = int(rows[0][0])
    failed = "failed_mql_event_id is not null"
    promotions = read_promotions(
        wh,
        where=f"{key} in (select crm_contact_id from {SCHEMA}.sync_state where {failed})",
        check=False,
    )
    if promotions:
        counted += make_plan(promotions, load_states(wh, where=failed), config).promotions_count
    return counted

"""Stand-ins for what the sync reads, for its tests and benchmark, so neither waits for ingestion and dbt:
`marts.fct_mql_events` (the promotions) and `raw_hubspot.contacts` (the lifecycle stage at extraction).

The columns are the contract the sync reads (see `reverse_etl.source`); rows are tuples in that order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funnelhouse.settings import Settings
from funnelhouse.warehouse import open_warehouse
from reverse_etl.state import insert_many

MQL_EVENTS_DDL = (
    "create table marts.fct_mql_events (mql_event_id varchar, person_id varchar, crm_contact_id varchar,"
    " email varchar, mql_at timestamp, lead_score numeric(10, 2), fit_score numeric(10, 2),"
    " engagement_score numeric(10, 2), fit_grade varchar, reasons varchar, contract_version varchar,"
    " mql_sequence integer)"
)
# The columns of raw_hubspot.contacts the sync reads (docs/raw-schema.md; ingestion adds many more).
RAW_CONTACTS_DDL = (
    "create table raw_hubspot.contacts (id varchar, lifecyclestage varchar, archived boolean,"
    " is_deleted boolean, _extracted_at timestamp with time zone)"
)


def replace_mql_events(settings: Settings, rows: Sequence[Sequence[Any]]) -> None:
    """(Re)create `marts.fct_mql_events` holding exactly `rows`, as a dbt build would."""
    with open_warehouse(settings) as wh:
        wh.execute("create schema if not exists marts")
        wh.execute("drop table if exists marts.fct_mql_events")
        wh.execute(MQL_EVENTS_DDL)
        insert_many(wh, "insert into marts.fct_mql_events values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        wh.commit()


def replace_raw_contacts(settings: Settings, rows: Sequence[tuple[str, str | None, Any]]) -> None:
    """(Re)create `raw_hubspot.contacts` with `(id, lifecyclestage, extracted_at)` rows, as an extraction would."""
    with open_warehouse(settings) as wh:
        wh.execute("create schema if not exists raw_hubspot")
        wh.execute("drop table if exists raw_hubspot.contacts")
        wh.execute(RAW_CONTACTS_DDL)
        insert_many(
            wh,
            "insert into raw_hubspot.contacts values (?, ?, ?, ?, ?)",
            [(cid, stage, False, False, extracted_at) for cid, stage, extracted_at in rows],
        )
        wh.commit()

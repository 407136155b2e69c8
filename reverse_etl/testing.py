"""A stand-in `marts.fct_mql_events` for the sync's tests and benchmark, so neither waits for dbt.

The columns are the contract the sync reads (see `reverse_etl.source`); rows are tuples in that order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funnelhouse.settings import Settings
from funnelhouse.warehouse import open_warehouse

MQL_EVENTS_DDL = (
    "create table marts.fct_mql_events (mql_event_id varchar, person_id varchar, crm_contact_id varchar,"
    " email varchar, mql_at timestamp, lead_score numeric(10, 2), fit_score numeric(10, 2),"
    " engagement_score numeric(10, 2), fit_grade varchar, reasons varchar, contract_version varchar,"
    " mql_sequence integer)"
)


def replace_mql_events(settings: Settings, rows: Sequence[Sequence[Any]]) -> None:
    """(Re)create `marts.fct_mql_events` holding exactly `rows`, as a dbt build would."""
    with open_warehouse(settings) as wh:
        wh.execute("create schema if not exists marts")
        wh.execute("drop table if exists marts.fct_mql_events")
        wh.execute(MQL_EVENTS_DDL)
        wh.executemany("insert into marts.fct_mql_events values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        wh.commit()

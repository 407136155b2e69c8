"""Hand-made raw and mart tables (following docs/raw-schema.md) in a fresh warehouse, DuckDB or PostgreSQL.

The data is written directly, without ingestion or dbt, so each gate can be tested on clean data and on one
planted defect at a time. Timestamps are relative to the test's clock so freshness and "not in the future"
hold on clean data whenever the test runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from funnelhouse.settings import Settings, get_settings
from funnelhouse.warehouse import open_warehouse

TS = "timestamp with time zone"
CRM_COLUMNS = (
    f"id text, created_at {TS}, updated_at {TS}, archived boolean, is_deleted boolean, _extracted_at {TS}"
)


@dataclass
class Clock:
    """The run under test: the day [since, until) and a 'now' one hour after it ends."""

    until: datetime
    since: datetime
    now: datetime

    @classmethod
    def make(cls) -> Clock:
        until = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        return cls(until=until, since=until - timedelta(days=1), now=until + timedelta(hours=1))

    def iso(self, moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    @property
    def args(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}


class Warehouse:
    """Writes the test tables through the project's own warehouse wrapper (same SQL on both engines)."""

    def __init__(self, settings: Settings, clock: Clock):
        self.settings = settings
        self.clock = clock

    def run(self, *statements: str, params: list | None = None) -> None:
        with open_warehouse(self.settings) as wh:
            for sql in statements:
                wh.execute(sql, params)
            wh.commit()

    def insert(self, table: str, rows: list[tuple]) -> None:
        marks = ", ".join("?" for _ in rows[0])
        with open_warehouse(self.settings) as wh:
            wh.executemany(f"insert into {table} values ({marks})", rows)
            wh.commit()

    def fetchall(self, sql: str) -> list[tuple]:
        with open_warehouse(self.settings, read_only=True) as wh:
            return wh.fetchall(sql)

    # -- raw layer ---------------------------------------------------------------------------------------
    def crm_row(self, object_id: str, *props: str | None) -> tuple:
        c = self.clock
        created = c.since - timedelta(days=10)
        return (
            object_id,
            created,
            c.since + timedelta(hours=2),
            False,
            False,
            c.now - timedelta(minutes=30),
            *props,
        )

    def build_raw(self) -> None:
        c = self.clock
        created, modified = c.iso(c.since - timedelta(days=10)), c.iso(c.since + timedelta(hours=2))
        self.run(
            "create schema raw_hubspot",
            "create schema raw_web",
            "create schema raw_email",
            f"create table raw_hubspot.contacts ({CRM_COLUMNS}, email text, lifecyclestage text,"
            " hs_lead_status text, createdate text, lastmodifieddate text)",
            f"create table raw_hubspot.companies ({CRM_COLUMNS}, name text, createdate text, hs_lastmodifieddate text)",
            f"create table raw_hubspot.deals ({CRM_COLUMNS}, dealname text, dealstage text, closedate text,"
            " createdate text, hs_lastmodifieddate text)",
            f"create table raw_hubspot.calls ({CRM_COLUMNS}, hs_timestamp text, hs_call_direction text)",
            f"create table raw_hubspot.owners (id text, email text, first_name text, last_name text, user_id bigint,"
            f" created_at {TS}, updated_at {TS}, archived boolean, is_deleted boolean, _extracted_at {TS})",
            "create table raw_hubspot.property_history (object_type text, object_id text, property text, value text,"
            f" changed_at {TS}, source_type text, source_id text, updated_by_user_id text, _extracted_at {TS})",
            "create table raw_hubspot.associations (from_object_type text, from_object_id text,"
            f" to_object_type text, to_object_id text, association_type text, _extracted_at {TS})",
            "create table raw_web.events (message_id text, type text, event text, name text, anonymous_id text,"
            f" user_id text, timestamp {TS}, sent_at {TS}, received_at {TS}, traits__email text)",
            "create table raw_email.events (sg_event_id text, sg_message_id text, email text, event text,"
            f" timestamp bigint, event_at {TS}, campaign text)",
        )
        self.insert(
            "raw_hubspot.contacts",
            [
                self.crm_row("1", "ada@northwind.example", "lead", "NEW", created, modified),
                self.crm_row("2", "bob@contoso.example", "marketingqualifiedlead", "OPEN", created, modified),
                self.crm_row("3", "cy@fabrikam.example", "customer", "CONNECTED", created, modified),
            ],
        )
        self.insert("raw_hubspot.companies", [self.crm_row("77", "Northwind", created, modified)])
        self.insert(
            "raw_hubspot.deals",
            [
                self.crm_row(
                    "501",
                    "Northwind platform",
                    "proposal",
                    c.iso(c.until + timedelta(days=30)),
                    created,
                    modified,
                ),
                self.crm_row("502", "Fabrikam renewal", "closedwon", c.iso(c.since), created, modified),
            ],
        )
        self.insert(
            "raw_hubspot.calls", [self.crm_row("901", c.iso(c.since + timedelta(hours=3)), "OUTBOUND")]
        )
        extracted = c.now - timedelta(minutes=30)
        self.insert(
            "raw_hubspot.owners",
            [
                (
                    "31",
                    "rep@funnelhouse.example",
                    "Rita",
                    "Rep",
                    9001,
                    c.since,
                    c.since,
                    False,
                    False,
                    extracted,
                )
            ],
        )
        self.insert(
            "raw_hubspot.property_history",
            [
                (
                    "contacts",
                    "2",
                    "lifecyclestage",
                    "lead",
                    c.since + timedelta(hours=1),
                    "CRM_UI",
                    None,
                    None,
                    extracted,
                ),
                (
                    "contacts",
                    "2",
                    "lifecyclestage",
                    "marketingqualifiedlead",
                    c.since + timedelta(hours=5),
                    "CRM_UI",
                    None,
                    None,
                    extracted,
                ),
                (
                    "deals",
                    "501",
                    "dealstage",
                    "proposal",
                    c.since + timedelta(hours=6),
                    "CRM_UI",
                    None,
                    None,
                    extracted,
                ),
            ],
        )
        self.insert(
            "raw_hubspot.associations",
            [
                ("deals", "501", "contacts", "1", "deal_to_contact", extracted),
                ("contacts", "1", "deals", "501", "contact_to_deal", extracted),
                ("contacts", "3", "deals", "502", "contact_to_deal", extracted),
                ("contacts", "1", "companies", "77", "contact_to_company", extracted),
            ],
        )
        self.insert("raw_web.events", [self.web_event(f"m{i}", i) for i in range(1, 10)])
        self.insert(
            "raw_email.events",
            [
                self.email_event(f"sg{i}", ["ada@northwind.example", "bob@contoso.example"][i % 2], i)
                for i in range(1, 7)
            ],
        )

    def web_event(
        self, message_id: str | None, hour: int, *, day_offset: int = 0, happened: datetime | None = None
    ) -> tuple:
        """A Segment event received `hour` hours into the run's day (or a day earlier with day_offset=-1)."""
        kinds = [
            ("page", None, None),
            ("track", "Demo Requested", None),
            ("identify", None, "ada@northwind.example"),
        ]
        kind, event, email = kinds[hour % 3]
        received = self.clock.since + timedelta(days=day_offset, hours=hour)
        happened = happened or received - timedelta(seconds=2)
        return (
            message_id,
            kind,
            event,
            "Pricing" if kind == "page" else None,
            f"anon-{hour}",
            None,
            happened,
            happened,
            received,
            email,
        )

    def email_event(self, event_id: str, email: str, hour: int) -> tuple:
        at = self.clock.since + timedelta(hours=hour)
        return (
            event_id,
            f"msg-{event_id}",
            email,
            ["delivered", "open", "click"][hour % 3],
            int(at.timestamp()),
            at,
            "nurture",
        )

    # -- marts --------------------------------------------------------------------------------------------
    def build_marts(self) -> None:
        c = self.clock
        day = c.since.date()
        self.run(
            "create schema marts",
            "create table marts.fct_lead_status_history (person_id text, status text,"
            f" valid_from {TS}, valid_to {TS}, is_current boolean)",
            "create table marts.dim_leads (person_id text, lead_score integer, fit_score integer,"
            " engagement_score integer)",
            "create table marts.fct_lead_score_daily (person_id text, score_date date, lead_score integer,"
            " fit_score integer, engagement_score integer)",
            "create table marts.fct_funnel_cohorts (cohort_month date, stage text, entered integer,"
            " conversion_rate double precision, mql_to_sal_rate double precision)",
            f"create table marts.fct_mql_followups (person_id text, mql_at {TS}, response_minutes integer)",
            f"create table marts.fct_mql_events (mql_event_id text, person_id text, mql_at {TS}, reasons text)",
        )
        t0 = c.since - timedelta(days=5)
        self.insert(
            "marts.fct_lead_status_history",
            [
                ("p1", "Suspect", t0, t0 + timedelta(days=1), False),
                ("p1", "MQL", t0 + timedelta(days=1), None, True),
                ("p2", "Inquiry", t0, None, True),
                ("p3", "Won", t0, None, True),
            ],
        )
        self.insert("marts.dim_leads", [("p1", 40, 20, 20), ("p2", 10, 5, 5), ("p3", 0, 0, 0)])
        self.insert(
            "marts.fct_lead_score_daily",
            [("p1", day, 40, 20, 20), ("p2", day, 10, 5, 5), ("p1", day - timedelta(days=1), 30, 20, 10)],
        )
        self.insert(
            "marts.fct_funnel_cohorts",
            [(day.replace(day=1), "MQL", 10, 0.4, 0.5), (day.replace(day=1), "SAL", 4, 1.0, 0.0)],
        )
        self.insert("marts.fct_mql_followups", [("p1", t0 + timedelta(days=1), 25), ("p2", t0, 0)])
        self.insert(
            "marts.fct_mql_events",
            [("e1", "p1", t0 + timedelta(days=1), "demo requested, VP title")],
        )


@pytest.fixture
def clock() -> Clock:
    return Clock.make()


@pytest.fixture
def duck(funnelhouse_home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    """An empty DuckDB warehouse under the test's FUNNELHOUSE_HOME (volume history needs 1 earlier run)."""
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE", "duckdb")
    monkeypatch.setenv("FUNNELHOUSE_DQ_VOLUME_MIN_HISTORY", "1")
    monkeypatch.setenv("FUNNELHOUSE_DQ_DATA_DOCS", "false")  # about a second per run; one test turns it on
    get_settings.cache_clear()
    yield Warehouse(get_settings(), clock)
    get_settings.cache_clear()


@pytest.fixture
def pg(
    funnelhouse_home: Path, postgres_dsn: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Warehouse]:
    """An empty PostgreSQL warehouse (a fresh database) selected through the environment."""
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE", "postgres")
    monkeypatch.setenv("FUNNELHOUSE_POSTGRES_DSN", postgres_dsn)
    monkeypatch.setenv("FUNNELHOUSE_DQ_VOLUME_MIN_HISTORY", "1")
    monkeypatch.setenv("FUNNELHOUSE_DQ_DATA_DOCS", "false")  # about a second per run; one test turns it on
    get_settings.cache_clear()
    yield Warehouse(get_settings(), clock)
    get_settings.cache_clear()

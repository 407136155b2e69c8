"""What a suite is made of: relations to validate (a SQL query each) and the expectations on them.

A suite never talks to GX's datasources itself: it describes each relation as portable SQL (the same text
runs on DuckDB and PostgreSQL), so the engine decides how the rows reach GX. Derived relations (a deal and
whether it has a contact) are plain queries too, which keeps referential checks inside GX's reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from funnelhouse.warehouse import Warehouse


def quote(identifier: str) -> str:
    """A double-quoted identifier: raw columns are named by the source (`timestamp`, `type`)."""
    return '"' + identifier.replace('"', '""') + '"'


def sql_timestamp(moment: datetime) -> str:
    """A timestamptz literal both DuckDB and PostgreSQL read the same way."""
    return f"cast('{moment.astimezone(UTC).isoformat()}' as timestamp with time zone)"


def parse_moment(text: str, what: str) -> datetime:
    """An ISO-8601 date or timestamp; a naive value is UTC, as every timestamp in the warehouse."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(
            f"--{what} {text!r} is not an ISO-8601 date or timestamp (e.g. 2026-11-20 or 2026-11-20T00:00:00Z)"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    """The run's data interval: event-scale tables are validated only inside it."""

    since: datetime | None
    until: datetime
    now: datetime
    is_increment: bool

    @classmethod
    def from_args(cls, since: str | None, until: str | None, now: datetime | None = None) -> Window:
        now = now or datetime.now(UTC)
        start = parse_moment(since, "since") if since else None
        end = parse_moment(until, "until") if until else now
        if start is not None and start >= end:
            raise ValueError(f"--since {start.isoformat()} must be before --until {end.isoformat()}")
        return cls(since=start, until=end, now=now, is_increment=bool(since or until))

    def where(self, column: str) -> str:
        """A SQL condition keeping rows of this interval (`true` when the run validates whole tables)."""
        if not self.is_increment:
            return "true"
        parts = [f"{quote(column)} < {sql_timestamp(self.until)}"]
        if self.since is not None:
            parts.insert(0, f"{quote(column)} >= {sql_timestamp(self.since)}")
        return " and ".join(parts)

    @property
    def key(self) -> str:
        """Names the interval in the volume history, so a retried run replaces its own entry."""
        return f"{self.since.isoformat() if self.since else ''}/{self.until.isoformat()}"

    def future_limit(self, skew_hours: float) -> datetime:
        """Latest believable timestamp: the wall clock plus the tolerated skew (matches ingestion's rule)."""
        return self.now + timedelta(hours=skew_hours)


@dataclass
class RelationCheck:
    """One relation of the warehouse (a table, an increment of it, or a derived query) and its expectations.

    `volume_scope` is set when the row count feeds the volume history: `increment` for the rows of the
    run's interval, `whole` for a whole table; the runner adds the row-count expectation from that history.
    """

    table: str
    sql: str
    expectations: list[Expectation] = field(default_factory=list)
    volume_scope: str | None = None

    def expect(self, expectation: Expectation) -> RelationCheck:
        self.expectations.append(expectation)
        return self


@dataclass
class Finding:
    """A failure known before GX runs: a table or column the contract needs is missing."""

    table: str
    expectation: str
    description: str
    observed: str


@dataclass
class SuitePlan:
    checks: list[RelationCheck] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class Catalog:
    """Which tables and columns exist, read once per run from information_schema."""

    def __init__(self, columns: dict[tuple[str, str], list[str]]):
        self._columns = columns

    @classmethod
    def read(cls, warehouse: Warehouse, schemas: list[str]) -> Catalog:
        marks = ", ".join("?" for _ in schemas)
        rows = warehouse.fetchall(
            "select table_schema, table_name, column_name from information_schema.columns"
            f" where table_schema in ({marks}) order by table_schema, table_name, ordinal_position",
            schemas,
        )
        columns: dict[tuple[str, str], list[str]] = {}
        for schema, table, column in rows:
            columns.setdefault((schema, table), []).append(column)
        return cls(columns)

    def has_table(self, schema: str, table: str) -> bool:
        return (schema, table) in self._columns

    def columns(self, schema: str, table: str) -> list[str]:
        return list(self._columns.get((schema, table), []))


def not_null(column: str, why: str) -> Expectation:
    return gxe.ExpectColumnValuesToNotBeNull(column=column, description=why)


def unique(column: str, why: str) -> Expectation:
    return gxe.ExpectColumnValuesToBeUnique(column=column, description=why)


def in_set(column: str, values: list[str], why: str) -> Expectation:
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=values, description=why)


def to_be_null(column: str, why: str, mostly: float = 1.0) -> Expectation:
    return gxe.ExpectColumnValuesToBeNull(column=column, mostly=mostly, description=why)


class TableChecks:
    """Collects expectations on one table, skipping those whose column is absent.

    Raw columns appear as the source sends them (a CRM property nobody filled has no column yet), so an
    optional column's checks are skipped; a column the contract needs (`need`) becomes a failure instead.
    Only the columns the expectations read are selected, which keeps the DuckDB batches small.
    """

    def __init__(self, plan: SuitePlan, catalog: Catalog, schema: str, table: str, where: str = "true"):
        self.plan = plan
        self.schema = schema
        self.table = table
        self.name = f"{schema}.{table}"
        self.where = where
        self.available = catalog.columns(schema, table)
        self.used: list[str] = []
        self.check = RelationCheck(table=self.name, sql="")

    def has(self, column: str) -> bool:
        return column in self.available

    def need(self, column: str, why: str) -> bool:
        """True when the column exists; otherwise records a failure naming the table and the column."""
        if self.has(column):
            return True
        self.plan.findings.append(
            Finding(
                table=self.name,
                expectation=f"column_exists(column={column})",
                description=why,
                observed=f"column {column!r} is missing (columns: {', '.join(self.available) or 'none'})",
            )
        )
        return False

    def add(self, expectation: Expectation, *columns: str) -> None:
        for column in columns:
            if column not in self.used:
                self.used.append(column)
        self.check.expect(expectation)

    def finish(self, volume_scope: str | None = None) -> RelationCheck:
        """The relation as SQL, registered in the plan."""
        columns = self.used or self.available[:1]
        select = ", ".join(quote(c) for c in columns) or "1 as _row"
        self.check.sql = f"select {select} from {quote(self.schema)}.{quote(self.table)} where {self.where}"
        self.check.volume_scope = volume_scope
        self.plan.checks.append(self.check)
        return self.check

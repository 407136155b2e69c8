"""Reads MQL promotions from the mart `marts.fct_mql_events` and turns each into the CRM values it implies,
and the lifecycle stage each contact had at the last extraction (`raw_hubspot.contacts`).

Values are rendered to the exact strings the CRM stores (HubSpot keeps every property as text), so the
same promotion always yields the same payload and payload hash on DuckDB and on PostgreSQL: that is what
makes a re-sent batch a no-op on the CRM and keeps the diff against `ops.sync_state` stable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from funnelhouse.warehouse import Warehouse
from reverse_etl.config import SyncConfig

MART_SCHEMA = "marts"
MART_TABLE = "fct_mql_events"
MART_COLUMNS = (
    "mql_event_id",
    "person_id",
    "crm_contact_id",
    "email",
    "mql_at",
    "lead_score",
    "fit_score",
    "engagement_score",
    "fit_grade",
    "reasons",
    "contract_version",
    "mql_sequence",
)


# The raw layer ingestion loads (docs/raw-schema.md): one row per CRM contact, one text column per property.
RAW_SCHEMA = "raw_hubspot"
RAW_CONTACTS = "contacts"


class MartMissingError(RuntimeError):
    """The promotions mart is not there (dbt has not built it yet) or lacks columns."""


@dataclass(frozen=True)
class Promotion:
    """One row of `fct_mql_events`: a lead becoming MQL (sequence 1) or MQL again (2+)."""

    mql_event_id: str
    person_id: str | None
    crm_contact_id: str | None
    email: str | None
    mql_at: datetime
    lead_score: Any
    fit_grade: str | None
    reasons: str | None
    contract_version: str | None
    mql_sequence: int

    @cached_property
    def order_key(self) -> tuple[datetime, int, str]:
        """Promotions of one contact are applied in this order, one per batch."""
        return (self.mql_at, self.mql_sequence, self.mql_event_id)

    def score_values(self, config: SyncConfig) -> dict[str, str]:
        """The score properties (no lifecycle stage) as the CRM will store them."""
        fields = {
            "lead_score": format_number(self.lead_score),
            "fit_grade": self.fit_grade or "",
            "mql_at": format_timestamp(self.mql_at),
            "reasons": self.reasons or "",
            "contract_version": self.contract_version or "",
        }
        return {prop: fields[field] for field, prop in config.property_map().items()}


def payload_hash(values: dict[str, str]) -> str:
    """A stable fingerprint of the values written, to tell changed rows from unchanged ones."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:32]


def as_utc(value: datetime) -> datetime:
    """Naive timestamps in the warehouse are UTC by convention; aware ones are converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a Z, the CRM's datetime text format."""
    return as_utc(value).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def format_number(value: Any) -> str:
    """A number without engine-specific noise: 72, 72.5 (never 72.50, 7.25E+1 or 72.0)."""
    if value is None:
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if number == number.to_integral_value():
        return str(number.quantize(Decimal(1)))
    return format(number.normalize(), "f")


# The contact key of a mart row as the sync reads it (`_text_or_none` in SQL): a streamed run reads the
# mart ordered by it, so a contact's promotions always fall in one chunk.
CONTACT_KEY = "nullif(trim(cast({alias}crm_contact_id as varchar)), '')"
PROMOTION_COLUMNS = (
    "m.mql_event_id, m.person_id, m.crm_contact_id, m.email, m.mql_at, m.lead_score, m.fit_grade, m.reasons,"
    " m.contract_version, m.mql_sequence"
)
_SELECT_PROMOTIONS = f"select {PROMOTION_COLUMNS} from {{mart}} m"


def check_mart(wh: Warehouse) -> None:
    """Fail clearly when the mart is missing or lacks columns."""
    if not wh.table_exists(MART_SCHEMA, MART_TABLE):
        raise MartMissingError(
            f"{MART_SCHEMA}.{MART_TABLE} does not exist in the warehouse: build the marts first "
            "(`funnelhouse build`), then run the sync."
        )
    missing = [c for c in MART_COLUMNS if c not in wh.columns(MART_SCHEMA, MART_TABLE)]
    if missing:
        raise MartMissingError(
            f"{MART_SCHEMA}.{MART_TABLE} lacks column(s) {', '.join(missing)}: rebuild the mart with the "
            "current dbt project."
        )
    # checked up front: a streamed run must not stop on a bad row after its first batches went out
    rows = wh.fetchall(f"select mql_event_id from {MART_SCHEMA}.{MART_TABLE} where mql_at is null limit 1")
    if rows:
        raise MartMissingError(
            f"{MART_SCHEMA}.{MART_TABLE} row mql_event_id={rows[0][0]!r} has no mql_at: "
            "fix the mart (every promotion needs its time)."
        )


def read_promotions(
    wh: Warehouse,
    *,
    where: str = "",
    params=(),
    check: bool = True,
) -> list[Promotion]:
    """Promotions in the mart, oldest first per contact; fails clearly when the mart is missing.

    `where` restricts them with a condition on the mart row `m` (`params`).
    `check=False` skips `check_mart` (the caller ran it).
    """
    if check:
        check_mart(wh)
    sql = _SELECT_PROMOTIONS.format(mart=f"{MART_SCHEMA}.{MART_TABLE}") + (f" where {where}" if where else "")
    promotions = [promotion_from_row(row) for row in wh.fetchall(sql, list(params))]
    promotions.sort(key=lambda p: (p.crm_contact_id or "", p.order_key))
    return promotions


def promotion_from_row(row: Sequence[Any]) -> Promotion:
    """A Promotion from the mart columns in `PROMOTION_COLUMNS` order; a row without mql_at is refused."""
    event_id, person_id, contact_id, email, mql_at, score, grade, reasons, version, sequence = row
    if mql_at is None:
        raise MartMissingError(
            f"{MART_SCHEMA}.{MART_TABLE} row mql_event_id={event_id!r} has no mql_at: "
            "fix the mart (every promotion needs its time)."
        )
    return Promotion(
        mql_event_id=str(event_id),
        person_id=None if person_id is None else str(person_id),
        crm_contact_id=_text_or_none(contact_id),
        email=email,
        mql_at=as_utc(mql_at),
        lead_score=score,
        fit_grade=grade,
        reasons=reasons,
        contract_version=version,
        mql_sequence=int(sequence or 1),
    )


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


@dataclass(frozen=True)
class KnownStage:
    """A contact's lifecycle stage as the last extraction saw it (None: empty), and when it was extracted."""

    stage: str | None
    extracted_at: datetime | None

    def describe(self) -> str:
        when = f" extracted {format_timestamp(self.extracted_at)}" if self.extracted_at else ""
        return f"{self.stage or '(empty)'!r} in {RAW_SCHEMA}.{RAW_CONTACTS}{when}"


@dataclass
class KnownStages:
    """Lifecycle stages per CRM contact id from the raw layer; `available` is False without that table."""

    by_contact: dict[str, KnownStage]
    available: bool
    latest_extraction: datetime | None = None

    def get(self, contact_id: str) -> KnownStage | None:
        return self.by_contact.get(contact_id)

    def absorb(self, other: KnownStages) -> None:
        """Add the stages of another chunk's contacts (a streamed run reads them chunk by chunk)."""
        self.available = other.available
        self.by_contact.update(other.by_contact)
        if other.latest_extraction is not None and (
            self.latest_extraction is None or other.latest_extraction > self.latest_extraction
        ):
            self.latest_extraction = other.latest_extraction

    def describe(self) -> str:
        if not self.available:
            return (
                f"{RAW_SCHEMA}.{RAW_CONTACTS} not found: lifecycle stages unknown before the write, so every "
                "promotion sends marketingqualifiedlead and the CRM's forward-only rule keeps later stages"
            )
        when = format_timestamp(self.latest_extraction) if self.latest_extraction else "unknown time"
        return (
            f"lifecycle stages from {RAW_SCHEMA}.{RAW_CONTACTS} ({len(self.by_contact)} promoted contact(s), "
            f"latest extraction {when}); the CRM's forward-only rule covers stages changed since"
        )


def read_known_stages(
    wh: Warehouse,
    lifecycle_property: str = "lifecyclestage",
    contact_ids: Iterable[str] | None = None,
    *,
    filter_in_sql: bool = False,
) -> KnownStages:
    """The stage of the contacts the mart promotes (or of `contact_ids` among them), as of the last
    extraction: one query, no CRM call.

    A missing table means "unknown" (nothing is kept before the write); a contact missing from it is
    unknown too. Stages are compared lower-cased and trimmed, as staging does. `filter_in_sql` reads only
    `contact_ids` (one chunk of a streamed run) instead of every promoted contact.
    """
    if not wh.table_exists(RAW_SCHEMA, RAW_CONTACTS):
        return KnownStages({}, available=False)
    columns = wh.columns(RAW_SCHEMA, RAW_CONTACTS)
    stage = (
        f"lower(trim(c.{lifecycle_property}))" if lifecycle_property in columns else "cast(null as varchar)"
    )
    # naive UTC in SQL: converting 10,000s of timestamptz values in Python costs more than the query
    extracted = (
        "c._extracted_at at time zone 'UTC'" if "_extracted_at" in columns else "cast(null as timestamp)"
    )
    sql = (
        f"select cast(c.id as varchar), {stage}, {extracted} from {RAW_SCHEMA}.{RAW_CONTACTS} c"
        f" join (select distinct crm_contact_id from {MART_SCHEMA}.{MART_TABLE}) m"
        " on m.crm_contact_id = cast(c.id as varchar)"
    )
    params: list[str] = []
    if filter_in_sql and contact_ids is not None:
        params = sorted(set(contact_ids))
        if not params:
            return KnownStages({}, available=True)
        sql = (
            f"select cast(c.id as varchar), {stage}, {extracted} from {RAW_SCHEMA}.{RAW_CONTACTS} c"
            f" where cast(c.id as varchar) in ({', '.join('?' * len(params))})"
        )
    rows = wh.fetchall(sql, params)
    wanted = None if contact_ids is None else set(contact_ids)
    by_contact: dict[str, KnownStage] = {}
    latest = None
    for contact_id, value, extracted_at in rows:
        if wanted is not None and contact_id not in wanted:
            continue
        when = as_utc(extracted_at) if isinstance(extracted_at, datetime) else None
        by_contact[contact_id] = KnownStage(value or None, when)
        if when is not None and (latest is None or when > latest):
            latest = when
    return KnownStages(by_contact, available=True, latest_extraction=latest)

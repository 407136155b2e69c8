"""Reads MQL promotions from the mart `marts.fct_mql_events` and turns each into the CRM values it implies.

Values are rendered to the exact strings the CRM stores (HubSpot keeps every property as text), so the
same promotion always yields the same payload and payload hash on DuckDB and on PostgreSQL: that is what
makes a re-sent batch a no-op on the CRM and keeps the diff against `ops.sync_state` stable.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
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

    @property
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
    utc = as_utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


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


def read_promotions(wh: Warehouse) -> list[Promotion]:
    """Every promotion in the mart, oldest first per contact; fails clearly when the mart is missing."""
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
    rows = wh.fetch_dicts(
        "select mql_event_id, person_id, crm_contact_id, email, mql_at, lead_score, fit_grade, reasons,"
        f" contract_version, mql_sequence from {MART_SCHEMA}.{MART_TABLE}"
    )
    promotions = []
    for row in rows:
        if row["mql_at"] is None:
            raise MartMissingError(
                f"{MART_SCHEMA}.{MART_TABLE} row mql_event_id={row['mql_event_id']!r} has no mql_at: "
                "fix the mart (every promotion needs its time)."
            )
        promotions.append(
            Promotion(
                mql_event_id=str(row["mql_event_id"]),
                person_id=None if row["person_id"] is None else str(row["person_id"]),
                crm_contact_id=_text_or_none(row["crm_contact_id"]),
                email=row["email"],
                mql_at=as_utc(row["mql_at"]),
                lead_score=row["lead_score"],
                fit_grade=row["fit_grade"],
                reasons=row["reasons"],
                contract_version=row["contract_version"],
                mql_sequence=int(row["mql_sequence"] or 1),
            )
        )
    promotions.sort(key=lambda p: (p.crm_contact_id or "", p.order_key))
    return promotions


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None

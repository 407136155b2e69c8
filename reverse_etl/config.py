"""What the CRM sync writes and how hard it may push the CRM: one settings object, `FUNNELHOUSE_SYNC_*`.

Property names are configurable because every CRM account names its custom properties its own way;
the defaults match what the demo world declares in `crm/properties/contacts.jsonl`.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# HubSpot's lifecycle stages after MQL: a contact there keeps its stage (stages only move forward).
LATER_STAGES = ("salesqualifiedlead", "opportunity", "customer", "evangelist")
MQL_STAGE = "marketingqualifiedlead"


class SyncConfig(BaseSettings):
    """Target properties, batch size, rate limit and retry policy of the reverse-ETL step."""

    model_config = SettingsConfigDict(env_prefix="FUNNELHOUSE_SYNC_", extra="ignore")

    property_lead_score: str = Field(default="funnelhouse_lead_score", description="Contact property: score")
    property_fit_grade: str = Field(
        default="funnelhouse_fit_grade", description="Contact property: fit grade"
    )
    property_mql_at: str = Field(default="funnelhouse_mql_at", description="Contact property: MQL time")
    property_mql_reasons: str = Field(
        default="funnelhouse_mql_reasons", description="Contact property: why the lead was sent, in words"
    )
    property_contract_version: str = Field(
        default="funnelhouse_contract_version", description="Contact property: qualification contract version"
    )
    lifecycle_property: str = Field(
        default="lifecyclestage", description="HubSpot's lifecycle stage property"
    )

    batch_size: int = Field(default=100, ge=1, le=100, description="Inputs per batch call (HubSpot max 100)")
    max_requests: int = Field(
        default=98,
        ge=1,
        description=(
            "Requests allowed per rolling window, kept just under the CRM's own (100 / 10 s): each request "
            "holds its slot until a window after its answer, so the CRM's count can never pass ours"
        ),
    )
    window_seconds: float = Field(default=10.0, gt=0, description="Length of the rolling rate-limit window")
    concurrency: int = Field(
        default=8,
        ge=1,
        le=16,
        description="Batches in flight at once, so answers and commits never idle the rate limiter",
    )
    max_attempts: int = Field(
        default=8, ge=1, description="Tries per request before the batch counts as failed"
    )
    backoff_base_seconds: float = Field(default=0.5, ge=0, description="First backoff; doubles per attempt")
    backoff_max_seconds: float = Field(default=30.0, ge=0, description="Ceiling of one backoff sleep")
    connect_timeout_seconds: float = Field(default=5.0, gt=0, description="TCP connect timeout per request")
    read_timeout_seconds: float = Field(default=30.0, gt=0, description="Response timeout per request")
    later_stages: list[str] = Field(
        default=list(LATER_STAGES), description="Lifecycle stages that an MQL promotion must not regress"
    )
    permanent_error_categories: list[str] = Field(
        default=["OBJECT_NOT_FOUND", "VALIDATION_ERROR", "INVALID_PROPERTY_VALUE", "PROPERTY_DOESNT_EXIST"],
        description="CRM error categories that retrying cannot fix (deleted contact, invalid value)",
    )

    def property_map(self) -> dict[str, str]:
        """Mart field -> CRM property name, in the order the payload is built."""
        return {
            "lead_score": self.property_lead_score,
            "fit_grade": self.property_fit_grade,
            "mql_at": self.property_mql_at,
            "reasons": self.property_mql_reasons,
            "contract_version": self.property_contract_version,
        }

    def target_properties(self) -> list[str]:
        """Every contact property the sync writes besides the lifecycle stage."""
        return list(self.property_map().values())

"""Thresholds of the data-quality gates, read from `FUNNELHOUSE_DQ_*` environment variables.

They live apart from `funnelhouse.settings` because only the gates read them, and an operator tunes them
(a quiet holiday week, a planned campaign) without touching the pipeline's own configuration.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DQSettings(BaseSettings):
    """Every threshold a gate or the circuit breaker compares against; documented in `expectations`."""

    model_config = SettingsConfigDict(env_prefix="FUNNELHOUSE_DQ_", extra="ignore")

    mql_ceiling: int = Field(default=500, ge=0, description="Most MQL promotions one sync run may send")
    mql_spike_factor: float = Field(
        default=3.0, gt=1, description="A run above this many times the trailing average trips the breaker"
    )
    mql_spike_min_count: int = Field(
        default=25,
        ge=0,
        description="A run promoting at most this many is never a spike (a 15-minute sync's 2 after 0s is not)",
    )
    mql_history_runs: int = Field(default=7, ge=1, description="Previous runs averaged by the breaker")
    mql_min_history: int = Field(
        default=3, ge=1, description="Previous runs needed before the spike rule applies"
    )
    volume_band: float = Field(
        default=3.0,
        gt=1,
        description="Row count must stay within [average / band, average x band] of the recent runs",
    )
    volume_history_runs: int = Field(
        default=7, ge=1, description="Previous runs averaged by the volume check"
    )
    volume_min_history: int = Field(
        default=3, ge=1, description="Previous runs needed before the volume check compares"
    )
    freshness_hours: float = Field(
        default=36.0, gt=0, description="Newest record of each source must be this close to the run's end"
    )
    future_skew_hours: float = Field(
        default=24.0, ge=0, description="Clock skew tolerated before a timestamp counts as in the future"
    )
    unknown_email_share: float = Field(
        default=0.05, ge=0, le=1, description="Share of e-mail events whose address is no known contact"
    )
    score_max: float = Field(
        default=100.0, gt=0, description="Upper bound of scores when the contract does not give one"
    )
    required_marts: str = Field(
        default="fct_lead_status_history,dim_leads,fct_mql_events",
        description="Comma-separated marts whose absence fails the marts gate",
    )
    data_docs: bool = Field(default=True, description="Render GX Data Docs HTML after each gate run")
    sample_size: int = Field(default=5, ge=1, description="Bad values quoted per failed expectation")

    @property
    def required_mart_names(self) -> set[str]:
        return {name.strip() for name in self.required_marts.split(",") if name.strip()}

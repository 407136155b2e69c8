"""One settings object: environment variables with the FUNNELHOUSE_ prefix (see README, Configuration)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HUBSPOT_API_URL = "https://api.hubapi.com"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FUNNELHOUSE_", extra="ignore")

    home: Path = Field(
        default=PROJECT_ROOT / ".funnelhouse", description="Warehouse file, demo world, Airflow home"
    )
    warehouse: Literal["duckdb", "postgres"] = Field(
        default="duckdb", description="Which warehouse to load and build"
    )
    postgres_dsn: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/funnelhouse",
        description="PostgreSQL warehouse when warehouse=postgres",
    )
    crm_url: str = Field(default=HUBSPOT_API_URL, description="Base URL of the HubSpot-compatible CRM API")
    crm_token: SecretStr | None = Field(
        default=None, description="Private-app token for the CRM (never logged)"
    )
    web_events: str | None = Field(default=None, description="Folder or fsspec URL of Segment JSONL files")
    email_events: str | None = Field(default=None, description="Folder or fsspec URL of SendGrid JSONL files")
    contract_dir: Path = Field(
        default=PROJECT_ROOT / "models", description="Folder of the qualification contract"
    )
    max_reject_share: float = Field(
        default=0.01, ge=0, le=1, description="Share of rejects that fails a batch"
    )
    duckdb_memory_limit: str | None = Field(
        default=None,
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB memory limit (e.g. 3GB; DuckDB spills to disk past it) for dbt builds and for "
        "ingestion, where each of its two DuckDB sessions gets the whole limit: the one preparing event files "
        "is closed before dlt's load into the DuckDB warehouse opens, so they never hold memory at once. "
        "Default: DuckDB's own, 80% of the machine's memory",
    )

    @property
    def world_dir(self) -> Path:
        """Where `make demo` writes the demo world."""
        return self.home / "world"

    @property
    def web_events_location(self) -> str:
        """FUNNELHOUSE_WEB_EVENTS, or the demo world's `web/` folder."""
        return self.web_events or str((self.world_dir / "web").resolve())

    @property
    def email_events_location(self) -> str:
        """FUNNELHOUSE_EMAIL_EVENTS, or the demo world's `email/` folder."""
        return self.email_events or str((self.world_dir / "email").resolve())

    @property
    def duckdb_path(self) -> Path:
        return (self.home / "warehouse.duckdb").resolve()

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process; tests call `get_settings.cache_clear()` after changing the env."""
    return Settings()

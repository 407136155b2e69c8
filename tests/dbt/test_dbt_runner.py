"""How `run_dbt` drives dbt: the profile's environment, re-scoring on a new contract, the Cosmos manifest."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest
from pydantic import ValidationError

from funnelhouse.dbt_runner import dbt_environment, needs_full_refresh
from funnelhouse.settings import Settings


def test_postgres_profile_comes_from_the_dsn(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path, warehouse="postgres", postgres_dsn="postgresql://scorer:s%40cret@db.example:6543/leads"
    )
    env = dbt_environment(settings)
    assert env["FUNNELHOUSE_DBT_TARGET"] == "postgres"
    assert (env["FUNNELHOUSE_PG_HOST"], env["FUNNELHOUSE_PG_PORT"]) == ("db.example", "6543")
    assert (env["FUNNELHOUSE_PG_USER"], env["FUNNELHOUSE_PG_PASSWORD"]) == ("scorer", "s@cret")
    assert env["FUNNELHOUSE_PG_DBNAME"] == "leads"
    assert env["PGTZ"] == "UTC"


def test_duckdb_profile_gets_an_absolute_path(tmp_path: Path) -> None:
    env = dbt_environment(Settings(home=tmp_path / "rel" / ".." / "home"))
    assert env["FUNNELHOUSE_DBT_TARGET"] == "duckdb"
    assert env["FUNNELHOUSE_DUCKDB_PATH"] == str((tmp_path / "home" / "warehouse.duckdb").resolve())
    assert Path(env["FUNNELHOUSE_DUCKDB_PATH"]).is_absolute()


def test_duckdb_memory_limit_is_the_setting_or_duckdbs_own_default(tmp_path: Path) -> None:
    assert (
        dbt_environment(Settings(home=tmp_path, duckdb_memory_limit="3GB"))["FUNNELHOUSE_DUCKDB_MEMORY_LIMIT"]
        == "3GB"
    )
    default = dbt_environment(Settings(home=tmp_path))["FUNNELHOUSE_DUCKDB_MEMORY_LIMIT"]
    assert default.endswith("MiB")
    assert int(default.removesuffix("MiB")) == int(psutil.virtual_memory().total * 0.8 / 2**20)
    with pytest.raises(ValidationError, match="duckdb_memory_limit"):
        Settings(home=tmp_path, duckdb_memory_limit="80%")


def test_a_new_contract_version_rebuilds_the_scores() -> None:
    assert needs_full_refresh(["build"], "2026.3", "2026.4")
    assert not needs_full_refresh(["build"], "2026.4", "2026.4")
    assert not needs_full_refresh(["build"], None, "2026.4")  # nothing scored yet
    assert not needs_full_refresh(["build", "--full-refresh"], "2026.3", "2026.4")
    assert not needs_full_refresh(["test"], "2026.3", "2026.4")

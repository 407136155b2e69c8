"""How `run_dbt` drives dbt: the profile's environment, re-scoring on a new contract, the Cosmos manifest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import yaml
from conftest import read_run_results
from pydantic import ValidationError

from funnelhouse.dbt_runner import DBT_PROJECT_DIR, dbt_environment, needs_full_refresh, run_dbt
from funnelhouse.settings import Settings


def test_postgres_profile_comes_from_the_dsn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=0 -c jit=on")
    settings = Settings(
        home=tmp_path, warehouse="postgres", postgres_dsn="postgresql://scorer:s%40cret@db.example:6543/leads"
    )
    env = dbt_environment(settings)
    assert env["FUNNELHOUSE_DBT_TARGET"] == "postgres"
    assert (env["FUNNELHOUSE_PG_HOST"], env["FUNNELHOUSE_PG_PORT"]) == ("db.example", "6543")
    assert (env["FUNNELHOUSE_PG_USER"], env["FUNNELHOUSE_PG_PASSWORD"]) == ("scorer", "s@cret")
    assert env["FUNNELHOUSE_PG_DBNAME"] == "leads"
    assert env["PGTZ"] == "UTC"
    # JIT off for dbt's sessions, and the user's own options after ours, so theirs win.
    assert env["PGOPTIONS"] == "-c jit=off -c statement_timeout=0 -c jit=on"
    monkeypatch.delenv("PGOPTIONS")
    assert dbt_environment(settings)["PGOPTIONS"] == "-c jit=off"


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


def test_a_duckdb_build_opens_the_file_once_and_releases_it(
    warehouse_copy: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`keep_open: false` alone makes dbt reopen (and checkpoint) the file between nodes; `run_dbt` keeps it
    open for its invocation instead, and frees it when dbt returns, so the next task can write it."""
    from dbt.adapters.duckdb.environments import Environment

    opened = []
    open_database = Environment.initialize_db.__func__
    monkeypatch.setattr(
        Environment,
        "initialize_db",
        classmethod(lambda cls, *args, **kwargs: opened.append(1) or open_database(cls, *args, **kwargs)),
    )
    assert run_dbt(["build", "--quiet", "--select", "path:models/staging"], warehouse_copy) == 0
    nodes = read_run_results(warehouse_copy)["results"]
    assert len(nodes) > 20 and all(node["status"] in {"success", "pass"} for node in nodes)
    assert len(opened) == 1
    # Another process can now open the file for writing: DuckDB would refuse while any process held it.
    other = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(warehouse_copy.duckdb_path)!r}).close()"],
        capture_output=True,
        text=True,
    )
    assert other.returncode == 0, other.stderr


def test_the_profile_alone_releases_the_file_between_nodes(tmp_path: Path) -> None:
    """What a bare `dbt` or a Cosmos task gets: `keep_open` false unless `run_dbt` asks otherwise."""
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    keep_open = profile["funnelhouse"]["outputs"]["duckdb"]["keep_open"]
    assert "env_var('FUNNELHOUSE_DUCKDB_KEEP_OPEN', 'false')" in keep_open
    assert "FUNNELHOUSE_DUCKDB_KEEP_OPEN" not in dbt_environment(Settings(home=tmp_path))

"""Fixtures of the dbt tests: a hand-made world loaded by the real ingestion, and the dbt project built
once per engine per session.

The world comes from `mini_world` (journeys the tests know by construction); the sandbox CRM serves its
`crm/` and `ingestion.run_ingest` loads the raw layer exactly as production does. `raw_loader` (a
dlt-free loader of the same raw layer, used by bench/bench_dbt.py) is checked against it in
test_raw_loader.py.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from marts import read_marts  # noqa: E402
from mini_world import write_mini_world  # noqa: E402

from funnelhouse.dbt_runner import run_dbt  # noqa: E402
from funnelhouse.settings import PROJECT_ROOT, Settings  # noqa: E402
from funnelhouse.warehouse import open_warehouse  # noqa: E402

WORLD_END = date(2026, 11, 20)
# This layer (issue 4) and everything it reads; the funnel/pipeline/sales marts have their own tests.
SCORING_LAYER = [
    "--select",
    "+path:models/marts/scoring",
    "path:models/staging",
    "path:models/intermediate/people",
    "path:models/intermediate/engagement",
    "path:models/intermediate/scoring",
    "path:seeds",
    "--indirect-selection",
    "cautious",
]
NO_TESTS = ["--exclude", "test_type:data", "test_type:unit"]
# The unified engagement stream that the incremental tests change and compare.
STREAM = "intermediate.int_engagement__events_unioned"


def build_and_read(settings: Settings, read: Callable[[Any], Any], *dbt_args: str) -> Any:
    """Build the scoring layer (without its data tests) with `dbt_args`, then return `read(warehouse)`."""
    assert run_dbt(["build", "--quiet", *dbt_args, *SCORING_LAYER, *NO_TESTS], settings) == 0
    with open_warehouse(settings, read_only=True) as wh:
        return read(wh)


@dataclass
class Build:
    """What one engine's build produced: exit codes, marts and dbt's run results."""

    settings: Settings
    exit_codes: dict[str, int] = field(default_factory=dict)
    marts: dict[str, tuple[list[str], list[tuple]]] = field(default_factory=dict)
    incremental_marts: dict[str, tuple[list[str], list[tuple]]] = field(default_factory=dict)
    run_results: dict = field(default_factory=dict)

    def query(self, sql: str, params: list | None = None) -> list[dict]:
        with open_warehouse(self.settings, read_only=True) as wh:
            return wh.fetch_dicts(sql, params)


def read_run_results(settings: Settings) -> dict:
    """dbt's run_results.json of the last dbt command run in this home."""
    return json.loads((settings.home / "dbt" / "target" / "run_results.json").read_text())


@dataclass
class World:
    path: Path
    journeys: dict[str, str]
    crm_url: str
    crm_token: str


@pytest.fixture(scope="session")
def mini_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The hand-made world, the e-mail address of each staged journey, and a sandbox CRM serving it."""
    from funnelhouse.sandbox.testing import running_sandbox

    out = tmp_path_factory.mktemp("mini_world")
    journeys = write_mini_world(out, end=WORLD_END)
    with running_sandbox(out, rate_limit=10_000) as crm:
        yield World(path=out, journeys=journeys, crm_url=crm.url, crm_token=crm.token)


def _copy_partitions(world: Path, events: Path, until: date | None) -> None:
    """Copy the world's event partitions received by `until` (all when None) into `events`."""
    for source in ("web", "email"):
        for partition in sorted((world / source).glob("dt=*")):
            if until is None or date.fromisoformat(partition.name.removeprefix("dt=")) <= until:
                shutil.copytree(partition, events / source / partition.name, dirs_exist_ok=True)


def ingest(settings: Settings) -> None:
    from ingestion import run_ingest

    report = run_ingest(["crm", "web", "email"], settings)
    assert report.ok, report.describe()


def _settings(home: Path, world: World, events: Path, **overrides) -> Settings:
    return Settings(
        home=home,
        contract_dir=PROJECT_ROOT / "models",
        crm_url=world.crm_url,
        crm_token=world.crm_token,
        web_events=str(events / "web"),
        email_events=str(events / "email"),
        **overrides,
    )


def _build_then_add_the_last_day(build: Build, world: World, events: Path, *incremental_args: str) -> None:
    """As a nightly run leaves the warehouse: the world minus its last day of events loaded and built
    without data tests (exit code `first`), then the day added and built incrementally with
    `incremental_args` (`incremental`), whose marts go to `incremental_marts`."""
    _copy_partitions(world.path, events, until=WORLD_END - timedelta(days=1))
    ingest(build.settings)
    build.exit_codes["first"] = run_dbt(["build", "--quiet", *SCORING_LAYER, *NO_TESTS], build.settings)
    _copy_partitions(world.path, events, until=None)
    ingest(build.settings)
    build.exit_codes["incremental"] = run_dbt(
        ["build", "--quiet", *SCORING_LAYER, *incremental_args], build.settings
    )
    with open_warehouse(build.settings, read_only=True) as wh:
        build.incremental_marts = read_marts(wh)


@pytest.fixture(scope="session")
def duckdb_build(mini_world: World, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """DuckDB: load and build the world minus its last day of events, add the day, build incrementally,
    then rebuild everything with --full-refresh."""
    events = tmp_path_factory.mktemp("duckdb_events")
    build = Build(settings=_settings(tmp_path_factory.mktemp("duckdb_home"), mini_world, events))
    _build_then_add_the_last_day(build, mini_world, events, *NO_TESTS)
    build.exit_codes["full"] = run_dbt(["build", "--full-refresh", "--quiet", *SCORING_LAYER], build.settings)
    build.run_results = read_run_results(build.settings)
    with open_warehouse(build.settings, read_only=True) as wh:
        build.marts = read_marts(wh)
    return build


def copy_warehouse(build: Build, home: Path) -> Settings:
    """Settings of `home`, holding a copy of `build`'s DuckDB warehouse."""
    settings = build.settings.model_copy(update={"home": home})
    settings.ensure_home()
    shutil.copyfile(build.settings.duckdb_path, settings.duckdb_path)
    return settings


@pytest.fixture
def warehouse_copy(duckdb_build: Build, tmp_path: Path) -> Settings:
    """Settings of a home holding a copy of the session's DuckDB warehouse, for a test that changes its
    raw layer or tables and builds again without touching the shared build."""
    return copy_warehouse(duckdb_build, tmp_path / "home")


def _postgres_home(world: World, postgres_dsn: str, tmp_path: Path, events: Path) -> Build:
    return Build(
        settings=_settings(
            tmp_path / "pg_home", world, events, warehouse="postgres", postgres_dsn=postgres_dsn
        )
    )


@pytest.fixture
def postgres_build(mini_world: World, postgres_dsn: str, tmp_path: Path) -> Build:
    """PostgreSQL: the whole world loaded and built in one go in a fresh database."""
    events = tmp_path / "events"
    _copy_partitions(mini_world.path, events, until=None)
    build = _postgres_home(mini_world, postgres_dsn, tmp_path, events)
    ingest(build.settings)
    build.exit_codes["full"] = run_dbt(["build", "--quiet", *SCORING_LAYER], build.settings)
    build.run_results = read_run_results(build.settings)
    with open_warehouse(build.settings) as wh:
        build.marts = read_marts(wh)
    return build


@pytest.fixture
def postgres_incremental_build(mini_world: World, postgres_dsn: str, tmp_path: Path) -> Build:
    """PostgreSQL, as a nightly run leaves it: the world minus its last day built, then the day added and
    built incrementally (`incremental_marts`), which runs the PostgreSQL-only incremental SQL."""
    events = tmp_path / "events"
    build = _postgres_home(mini_world, postgres_dsn, tmp_path, events)
    _build_then_add_the_last_day(build, mini_world, events)
    build.run_results = read_run_results(build.settings)
    return build

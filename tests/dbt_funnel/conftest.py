"""Fixtures of the funnel / SLA / pipeline mart tests: the funnel world, and its DuckDB build (once)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from funnel_build import FunnelBuild, build_funnel  # noqa: E402
from journey_world import write_journey_world  # noqa: E402


@pytest.fixture(scope="session")
def funnel_world(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared generated small world with the hand-written journeys (journey_world.py) appended."""
    world = tmp_path_factory.mktemp("funnel_world") / "world"
    shutil.copytree(small_world, world)
    write_journey_world(world)
    return world


@pytest.fixture(scope="session")
def duckdb_funnel(funnel_world: Path, tmp_path_factory: pytest.TempPathFactory) -> FunnelBuild:
    """The funnel world built on DuckDB, with the funnel marts' data and unit tests."""
    return build_funnel(funnel_world, tmp_path_factory.mktemp("duckdb_funnel_home"), with_tests=True)

"""Fixtures for ingestion tests: the sandbox CRM over the small world, warehouse choice, env wiring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from funnelhouse.settings import get_settings


@pytest.fixture
def use_warehouse(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, funnelhouse_home: Path
) -> str:
    """Parametrise with "duckdb" or "postgres"; PostgreSQL gets a fresh database per test."""
    engine = getattr(request, "param", "duckdb")
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE", engine)
    if engine == "postgres":
        monkeypatch.setenv("FUNNELHOUSE_POSTGRES_DSN", request.getfixturevalue("postgres_dsn"))
    get_settings.cache_clear()
    return engine


@pytest.fixture
def crm(small_world: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The sandbox CRM serving the small world, without faults; ingestion pointed at it."""
    from funnelhouse.sandbox.testing import running_sandbox

    with running_sandbox(small_world, rate_limit=5000) as sandbox:
        from ingest_helpers import point_at

        point_at(sandbox, monkeypatch)
        yield sandbox


@pytest.fixture
def world_events(small_world: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FUNNELHOUSE_WEB_EVENTS", str(small_world / "web"))
    monkeypatch.setenv("FUNNELHOUSE_EMAIL_EVENTS", str(small_world / "email"))
    get_settings.cache_clear()
    return small_world

"""The `sync_env` fixture: a sandbox CRM on a hand-written world, settings pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from reverse_etl_world import FAST, TARGETS, TOKEN, CrmReader, SyncEnv, write_raw_contacts, write_world

from funnelhouse.settings import get_settings


def _start(world: Path, **faults):
    from funnelhouse.sandbox.testing import running_sandbox

    return running_sandbox(world, token=TOKEN, **faults)


@pytest.fixture
def sync_env(funnelhouse_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request) -> Iterator:
    """Factory: `make(world_contacts, **world_and_fault_options)` starts a sandbox and points the settings at it.

    `raw_hubspot.contacts` holds the world's stages as an extraction would (`raw_stages` overrides some, to
    make them stale; `raw=False` leaves the table out).
    """
    stack = []

    def make(
        contacts: int,
        *,
        stages=None,
        archived=frozenset(),
        declare=tuple(TARGETS),
        raw: bool = True,
        raw_stages=None,
        **faults,
    ) -> SyncEnv:
        world = write_world(
            tmp_path / f"world{len(stack)}", contacts, stages=stages, archived=archived, declare=declare
        )
        faults.setdefault("rate_limit", 10_000)
        context = _start(world, **faults)
        sandbox = context.__enter__()
        stack.append(context)
        monkeypatch.setenv("FUNNELHOUSE_CRM_URL", sandbox.url)
        monkeypatch.setenv("FUNNELHOUSE_CRM_TOKEN", sandbox.token)
        for name, value in FAST.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        env = SyncEnv(get_settings(), sandbox, CrmReader(sandbox.url, sandbox.token), world)
        if raw:
            write_raw_contacts(env.settings, contacts, stages={**(stages or {}), **(raw_stages or {})})
        return env

    yield make
    for context in reversed(stack):
        context.__exit__(None, None, None)

"""A run is planned chunk by chunk: the first batch leaves before the whole mart is planned, the chunked
plan equals the whole-mart plan, and the circuit breaker's SQL count equals the plan's promotion count."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime

import pytest
from reverse_etl_world import assert_exactly_once, promotions, write_mart

from funnelhouse.settings import get_settings
from funnelhouse.warehouse import open_warehouse
from reverse_etl import run_sync, stream
from reverse_etl.client import CrmClient
from reverse_etl.config import SyncConfig
from reverse_etl.plan import make_plan
from reverse_etl.source import payload_hash, read_promotions
from reverse_etl.state import Confirmed, PermanentFailure, ensure_tables, load_states, record_batch
from reverse_etl.testing import replace_mql_events


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_first_batch_leaves_while_later_contacts_are_still_planned(sync_env, monkeypatch, request, engine):
    if engine == "postgres":
        monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE", "postgres")
        monkeypatch.setenv("FUNNELHOUSE_POSTGRES_DSN", request.getfixturevalue("postgres_dsn"))
    monkeypatch.setattr(stream, "PLAN_CHUNK_CONTACTS", 7)
    monkeypatch.setattr(stream, "FETCH_ROWS", 4)
    monkeypatch.setenv("FUNNELHOUSE_SYNC_BATCH_SIZE", "5")
    env = sync_env(40, stages={1003: "customer"})
    assert env.settings.warehouse == engine
    scenario = promotions(40, re_mql_every=6, without_contact=2)  # 40 first MQLs, 7 re-MQLs
    write_mart(env.settings, scenario)

    sent = threading.Event()
    planned_after_a_send: list[bool] = []
    original_update, original_plan = CrmClient.batch_update, stream.make_plan

    def batch_update(self, inputs):
        sent.set()
        return original_update(self, inputs)

    def plan_chunk(*args, **kwargs):
        planned = original_plan(*args, **kwargs)
        if planned.rounds and planned.rounds[0][0].crm_contact_id > "1007":  # chunks after the first
            planned_after_a_send.append(sent.wait(timeout=30))
        return planned

    monkeypatch.setattr(CrmClient, "batch_update", batch_update)
    monkeypatch.setattr(stream, "make_plan", plan_chunk)

    report = run_sync(settings=env.settings)

    assert report.ok, report.describe()
    assert len(planned_after_a_send) == 5 and all(planned_after_a_send)  # chunks 2..6 of 40 contacts
    assert report.confirmed == report.planned == 47
    assert report.batches == 8 + 2  # full batches across chunk borders, then the re-MQL round
    assert_exactly_once(env, scenario)
    again = run_sync(settings=env.settings)
    assert again.ok and again.planned == 0 and again.unchanged == 40


def _row(contact, event, day, *, seq=1, score=50, hour=9):
    return (event, f"p-{contact}", contact, None, datetime(2026, 11, day, hour), score, 30, 20, "A", "r", "v1",
            seq)  # fmt: skip


MART = [
    _row("1001", "e-1001-1", 1), _row("1001", "e-1001-2", 8, seq=2),  # confirmed 1: one pending
    _row("1002", "e-1002-1", 1), _row("1002", "e-1002-2", 8, seq=2),  # confirmed 2: 1 is a late row
    _row("1003", "e-1003-1", 1), _row("1003", "e-1003-2", 8, seq=2), _row("1003", "e-1003-3", 9, seq=3),
    _row("1004", "e-1004-1", 1, score=60),  # confirmed at 50: a re-score, no promotion
    _row("1005", "e-1005-1", 1),  # refused for good with these values: skipped
    _row("1006", "e-1006-1", 1, score=70),  # refused for good at 50, changed since: sent again
    _row("1007", "e-1007-1", 1), _row("1007", "e-1007-1b", 1, seq=2),  # same time, later sequence
    _row("1008", "e-1008-a", 1), _row("1008", "e-1008-b", 1),  # same time and sequence: by event id
    _row("1009", "e-1009-1", 1), _row("1009", "e-1009-2", 5, seq=2), _row("1009", "e-1009-3", 9, seq=3),
    _row(" 1010 ", "e-1010-1", 1),  # padded contact id
    _row(None, "e-anon-1", 1), _row("", "e-anon-2", 1),  # no contact: skipped
]  # fmt: skip
PENDING_PROMOTIONS = 1 + 0 + 3 + 0 + 0 + 1 + 1 + 1 + 1 + 1


def _settle(wh, config):
    """Confirmed and refused states as earlier runs would have left them."""
    by_id = {p.mql_event_id: p for p in read_promotions(wh)}
    when = datetime(2026, 11, 20, tzinfo=UTC)

    def confirmed(event_id, **changes):
        p = dataclasses.replace(by_id[event_id], **changes)
        values = p.score_values(config)
        return Confirmed(p.crm_contact_id, p.person_id, p.mql_event_id, p.mql_at, p.mql_sequence, values,
                         payload_hash(values), when)  # fmt: skip

    def refused(event_id, **changes):
        p = dataclasses.replace(by_id[event_id], **changes)
        return PermanentFailure(p.crm_contact_id, p.person_id, p.mql_event_id,
                                payload_hash(p.score_values(config)), "INVALID: refused", when)  # fmt: skip

    ensure_tables(wh)
    settled = ["e-1001-1", "e-1002-2", "e-1007-1", "e-1008-a", "e-1009-1"]
    record_batch(
        wh,
        confirmed=[confirmed(e) for e in settled] + [confirmed("e-1004-1", lead_score=50)],
        permanent=[refused("e-1005-1"), refused("e-1006-1", lead_score=50), refused("e-1009-2")],
        log_rows=[],
    )


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_chunked_plan_and_sql_count_match_the_whole_mart_plan(funnelhouse_home, monkeypatch, request, engine):
    if engine == "postgres":
        monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE", "postgres")
        monkeypatch.setenv("FUNNELHOUSE_POSTGRES_DSN", request.getfixturevalue("postgres_dsn"))
        get_settings.cache_clear()
    settings, config = get_settings(), SyncConfig()
    replace_mql_events(settings, MART)
    with open_warehouse(settings) as wh:
        _settle(wh, config)
        whole = make_plan(read_promotions(wh), load_states(wh), config)
        chunks = list(stream.plan_chunks(wh, config, chunk_contacts=3))
        counted = stream.count_pending_promotions(wh, config)

    assert whole.promotions_count == PENDING_PROMOTIONS
    assert counted == PENDING_PROMOTIONS

    def key(w):
        return (
            w.crm_contact_id,
            w.promotion.mql_event_id,
            w.action,
            w.round,
            tuple(sorted(w.values.items())),
        )

    assert sorted(key(w) for c in chunks for w in c.writes) == sorted(key(w) for w in whole.writes)
    assert sorted(s.promotion.mql_event_id for c in chunks for s in c.skips) == sorted(
        s.promotion.mql_event_id for s in whole.skips
    )
    assert sum(c.unchanged for c in chunks) == whole.unchanged
    assert len(chunks) == 1 + 4  # the rows without a contact, then 10 contacts 3 at a time

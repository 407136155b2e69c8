"""The fault matrix: whatever the CRM does (429 storm, 5xx, latency, dropped connections, 207 partial
failures, a killed process), every promotion ends up applied exactly once and nothing is lost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reverse_etl_world import assert_exactly_once, promotions, query, write_mart

from reverse_etl import run_sync
from reverse_etl.client import RateLimiter
from reverse_etl.sync import CRASH_AFTER_BATCHES_ENV, CRASH_EXIT_CODE, CRASH_POINT_ENV

PROJECT_ROOT = Path(__file__).resolve().parents[2]

FAULTS = {
    # 12 batches + 12 stage reads + 1 property read against a CRM allowing 8 requests per second
    "429 storm": ({"rate_limit": 8, "rate_window_ms": 1000}, {"FUNNELHOUSE_SYNC_BATCH_SIZE": "10"}),
    "20% 5xx": ({"fail_rate": 0.2, "fault_seed": 11}, {"FUNNELHOUSE_SYNC_BATCH_SIZE": "10"}),
    "added latency": ({"latency_ms": 120}, {"FUNNELHOUSE_SYNC_BATCH_SIZE": "25"}),
    "dropped connections": ({"drop_rate": 0.25, "fault_seed": 5}, {"FUNNELHOUSE_SYNC_BATCH_SIZE": "10"}),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_faults_are_retried_to_completion_exactly_once(sync_env, monkeypatch, fault):
    sandbox_faults, sync_options = FAULTS[fault]
    for name, value in sync_options.items():
        monkeypatch.setenv(name, value)
    env = sync_env(110, **sandbox_faults)
    scenario = promotions(110, re_mql_every=11)
    write_mart(env.settings, scenario)

    report = run_sync(settings=env.settings)

    assert report.ok, report.describe()
    assert report.confirmed == 120 and report.failed == 0
    stats = env.sandbox.stats()
    if fault == "429 storm":
        assert stats["rate_limited"] > 0 and report.crm_calls["rate_limited"] == stats["rate_limited"]
    elif fault == "20% 5xx":
        assert stats["injected_errors"] > 0 and report.crm_calls["server_errors"] == stats["injected_errors"]
    elif fault == "dropped connections":
        assert stats["dropped"] > 0 and report.crm_calls["connection_errors"] == stats["dropped"]
    retried = query(env.settings, "select max(attempts) as most from ops.sync_log where status = 'confirmed'")
    if fault != "added latency":
        assert retried[0]["most"] > 1  # the log shows the attempts a batch needed
    env.sandbox.set_faults(rate_limit=10_000, fail_rate=0.0, drop_rate=0.0, latency_ms=0)
    assert_exactly_once(env, scenario)
    again = run_sync(settings=env.settings)
    assert again.ok and again.sent == 0


def test_one_invalid_input_per_batch_fails_alone_and_is_not_retried_until_fixed(sync_env, monkeypatch):
    monkeypatch.setenv("FUNNELHOUSE_SYNC_BATCH_SIZE", "20")
    env = sync_env(60, archived={1059})
    scenario = promotions(60)
    bad = [r for r in scenario.rows if r.crm_contact_id in {"1005", "1025", "1045"}]
    for row in bad:
        row.fit_grade = "Z"  # not an option of the enumeration property
    write_mart(env.settings, scenario)

    first = run_sync(settings=env.settings)

    assert not first.ok
    assert first.confirmed == 56 and first.permanent_failures == 4
    failures = {f.crm_contact_id: f for f in first.failures}
    assert sorted(failures) == ["1005", "1025", "1045", "1059"]
    assert "'Z' was not one of the allowed options for funnelhouse_fit_grade" in failures["1005"].error
    assert failures["1005"].error.startswith("VALIDATION_ERROR")
    assert failures["1059"].error.startswith("OBJECT_NOT_FOUND")  # archived: gone for the sync
    logged = query(
        env.settings,
        "select crm_contact_id, status, error from ops.sync_log"
        " where status = 'permanent_failure' order by crm_contact_id",
    )
    assert [r["crm_contact_id"] for r in logged] == ["1005", "1025", "1045", "1059"]
    assert all(r["error"] for r in logged)
    history = env.crm.history(["1004", "1005", "1006"], "funnelhouse_mql_at")
    assert [len(history[c]) for c in ("1004", "1005", "1006")] == [1, 0, 1]  # neighbours in the batch landed

    second = run_sync(settings=env.settings)  # permanent failures are not retried forever
    assert second.ok and second.sent == 0 and second.skipped == 4
    skips = query(
        env.settings, f"select crm_contact_id, reason from ops.sync_log where run_id = '{second.run_id}'"
    )
    assert sorted(r["crm_contact_id"] for r in skips) == ["1005", "1025", "1045", "1059"]
    assert all("refused this promotion for good" in r["reason"] for r in skips)

    for row in bad:
        row.fit_grade = "B"  # the mart is fixed: the rows are retried
    write_mart(env.settings, scenario)
    third = run_sync(settings=env.settings)
    assert third.ok and third.sent == 3 and third.confirmed == 3 and third.skipped == 1  # 1059 stays gone
    assert_exactly_once(env, type(scenario)([r for r in scenario.rows if r.crm_contact_id != "1059"]))


@pytest.mark.parametrize("crash_point", ["before_commit", "after_commit"])
def test_a_killed_run_loses_nothing_and_applies_nothing_twice(sync_env, crash_point):
    env = sync_env(100)
    scenario = promotions(100, re_mql_every=10)
    write_mart(env.settings, scenario)
    child_env = {
        **os.environ,
        "FUNNELHOUSE_SYNC_BATCH_SIZE": "20",
        CRASH_AFTER_BATCHES_ENV: "3",
        CRASH_POINT_ENV: crash_point,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    command = [sys.executable, "-c", "from funnelhouse.cli import app; app()", "sync"]

    killed = subprocess.run(command, env=child_env, capture_output=True, text=True, timeout=120)

    assert killed.returncode == CRASH_EXIT_CODE, killed.stdout + killed.stderr
    committed = query(env.settings, "select count(*) as n from ops.sync_state")[0]["n"]
    # batches answered while a commit ran share the next one: batch 3's commit holds 1 to 3 batches
    if crash_point == "before_commit":
        assert committed in (0, 20, 40)  # what batch 3's commit would have added is not there
    else:
        assert committed in (60, 80, 100)  # batch 3's commit is there (round 2 never started)
    # batch 3 reached the CRM either way; with batches in flight, later ones may have too
    assert env.sandbox.stats()["records_changed"] >= 60

    child_env.pop(CRASH_AFTER_BATCHES_ENV)
    rerun = subprocess.run(command, env=child_env, capture_output=True, text=True, timeout=120)

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "confirmed" in rerun.stdout
    assert_exactly_once(env, scenario)
    states = query(env.settings, "select count(*) as n, sum(last_mql_sequence) as seqs from ops.sync_state")
    assert states == [{"n": 100, "seqs": 110}]


def test_rate_limiter_never_exceeds_its_rolling_window():
    limiter = RateLimiter(max_requests=5, window_seconds=0.4)
    stamps = []
    started = time.monotonic()
    for _ in range(12):
        limiter.acquire()
        stamps.append(time.monotonic())
    assert stamps[-1] - started >= 0.8  # 12 requests at 5 per 0.4 s need two full windows
    for i, stamp in enumerate(stamps):
        assert sum(1 for s in stamps[i:] if s - stamp < 0.4) <= 5


def test_rate_limiter_holds_a_slot_until_a_window_after_the_answer():
    # The CRM stamps a request somewhere between send and answer: counting from the answer is what
    # guarantees its window never holds more than the limit, however long the request travelled.
    limiter = RateLimiter(max_requests=2, window_seconds=0.3)
    with limiter.request():
        with limiter.request():
            time.sleep(0.2)  # both slots in flight
        first_answer = time.monotonic()
    limiter.acquire()
    assert time.monotonic() >= first_answer + 0.3  # not 0.3 s after the send, which was 0.2 s earlier

"""Given contacts in the sandbox CRM and promotions in the mart, when the sync runs, then the CRM holds
each promotion exactly once and `ops.sync_state` / `ops.sync_log` say what happened."""

from __future__ import annotations

from decimal import Decimal

import pytest
from reverse_etl_world import (
    TARGETS,
    assert_exactly_once,
    promotions,
    query,
    write_mart,
)

from reverse_etl import MissingCrmPropertiesError, run_sync


def test_every_promotion_reaches_the_crm_once_and_a_second_run_sends_nothing(sync_env):
    customers = {1003: "customer", 1010: "salesqualifiedlead"}
    env = sync_env(250, stages=customers)
    scenario = promotions(250, re_mql_every=25, without_contact=3)
    write_mart(env.settings, scenario)

    report = run_sync(settings=env.settings)

    assert report.ok, report.describe()
    assert report.planned == len(scenario.rows) - 3  # every promotion with a contact, re-MQLs included
    assert report.confirmed == report.planned and report.failed == 0
    assert report.batches == 4  # 250 first promotions need three batches, the re-MQLs a fourth
    assert report.crm_calls["requests"] == 5  # the property check, then one request per 100 records
    assert_exactly_once(env, scenario)

    contacts = env.crm.contacts([str(c) for c in range(1001, 1251)])
    assert contacts["1003"]["properties"]["lifecyclestage"] == "customer"  # never moved backwards
    assert contacts["1010"]["properties"]["lifecyclestage"] == "salesqualifiedlead"
    assert contacts["1002"]["properties"]["lifecyclestage"] == "marketingqualifiedlead"
    kept = query(env.settings, "select crm_contact_id, reason from ops.sync_log where action = 'keep_stage'")
    assert sorted(r["crm_contact_id"] for r in kept) == ["1003", "1010"]
    assert "customer" in next(r["reason"] for r in kept if r["crm_contact_id"] == "1003")
    no_contact = query(
        env.settings,
        "select person_id, status, reason from ops.sync_log where crm_contact_id is null and action = 'skip'",
    )
    assert sorted(r["person_id"] for r in no_contact) == ["anon-0", "anon-1", "anon-2"]
    assert all(r["status"] == "skipped" and "no CRM contact" in r["reason"] for r in no_contact)
    state = query(
        env.settings, "select count(*) as n, count(distinct crm_contact_id) as d from ops.sync_state"
    )
    assert state == [{"n": 250, "d": 250}]
    re_mql = query(
        env.settings,
        "select last_mql_event_id, last_mql_sequence from ops.sync_state where crm_contact_id = '1026'",
    )
    assert re_mql == [{"last_mql_event_id": "mql-1026-2", "last_mql_sequence": 2}]

    writes_before = env.sandbox.stats()["writes"]
    again = run_sync(settings=env.settings)
    assert again.ok and again.planned == 0 and again.sent == 0 and again.unchanged == 250
    assert env.sandbox.stats()["writes"] == writes_before
    assert_exactly_once(env, scenario)


def test_a_changed_score_sends_only_that_contact(sync_env):
    env = sync_env(120)
    scenario = promotions(120)
    write_mart(env.settings, scenario)
    assert run_sync(settings=env.settings).ok
    changed = next(r for r in scenario.rows if r.crm_contact_id == "1042")
    changed.lead_score = Decimal("97.25")
    write_mart(env.settings, scenario)
    writes_before = env.sandbox.stats()["writes"]

    report = run_sync(settings=env.settings)

    assert report.ok, report.describe()
    assert (report.planned, report.sent, report.confirmed, report.unchanged) == (1, 1, 1, 119)
    assert env.sandbox.stats()["writes"] == writes_before + 1
    assert env.crm.history(["1042"], "funnelhouse_lead_score")["1042"][-1] == "97.25"
    assert len(env.crm.history(["1042"], "funnelhouse_mql_at")["1042"]) == 1  # still one promotion
    log = query(
        env.settings,
        f"select crm_contact_id, action, reason from ops.sync_log where run_id = '{report.run_id}'",
    )
    assert [(r["crm_contact_id"], r["action"]) for r in log] == [("1042", "rescore")]
    assert "funnelhouse_lead_score" in log[0]["reason"]


def test_missing_target_properties_fail_before_any_write(sync_env):
    env = sync_env(30, declare=("funnelhouse_lead_score", "funnelhouse_fit_grade"))
    write_mart(env.settings, promotions(30))

    with pytest.raises(MissingCrmPropertiesError) as failure:
        run_sync(settings=env.settings)

    assert failure.value.missing == [
        "funnelhouse_mql_at",
        "funnelhouse_mql_reasons",
        "funnelhouse_contract_version",
    ]
    assert "funnelhouse_mql_at, funnelhouse_mql_reasons, funnelhouse_contract_version" in str(failure.value)
    assert env.sandbox.stats()["writes"] == 0
    assert query(env.settings, "select count(*) as n from ops.sync_state") == [{"n": 0}]


def test_dry_run_records_the_plan_and_writes_nothing(sync_env):
    env = sync_env(60, stages={1005: "customer"})
    scenario = promotions(60, re_mql_every=20, without_contact=1)
    write_mart(env.settings, scenario)

    report = run_sync(dry_run=True, settings=env.settings)

    assert report.ok and report.dry_run and report.sent == 0
    assert report.planned == 63  # 60 first MQLs + 3 re-MQLs
    stats = env.sandbox.stats()
    assert stats["writes"] == 0 and stats["records_changed"] == 0
    assert stats["requests"] == 1  # the property check: the kept stage comes from the warehouse
    assert all(
        h == [] for h in env.crm.history([str(c) for c in range(1001, 1061)], "funnelhouse_mql_at").values()
    )
    assert query(env.settings, "select count(*) as n from ops.sync_state") == [{"n": 0}]
    log = query(
        env.settings,
        "select action, status, dry_run, count(*) as n from ops.sync_log"
        " group by action, status, dry_run order by action",
    )
    assert log == [
        {"action": "create", "status": "planned", "dry_run": True, "n": 60},
        {"action": "keep_stage", "status": "skipped", "dry_run": True, "n": 1},
        {"action": "skip", "status": "skipped", "dry_run": True, "n": 1},
        {"action": "update", "status": "planned", "dry_run": True, "n": 3},
    ]

    real = run_sync(settings=env.settings)  # the dry run changed nothing the real run relies on
    assert real.ok and real.confirmed == 63
    assert_exactly_once(env, scenario)


def test_limit_sends_at_most_that_many_contacts_oldest_first(sync_env):
    env = sync_env(40)
    write_mart(env.settings, promotions(40))

    report = run_sync(limit=5, settings=env.settings)

    assert report.ok and report.confirmed == 5 and report.deferred_contacts == 35
    synced = query(env.settings, "select crm_contact_id from ops.sync_state order by crm_contact_id")
    assert [r["crm_contact_id"] for r in synced] == ["1001", "1002", "1003", "1004", "1005"]
    rest = run_sync(settings=env.settings)
    assert rest.ok and rest.confirmed == 35


@pytest.mark.postgres
def test_happy_path_on_postgres(sync_env, postgres_dsn, monkeypatch):
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE", "postgres")
    monkeypatch.setenv("FUNNELHOUSE_POSTGRES_DSN", postgres_dsn)
    env = sync_env(150)
    assert env.settings.warehouse == "postgres"
    scenario = promotions(150, re_mql_every=30, without_contact=2)
    write_mart(env.settings, scenario)

    report = run_sync(settings=env.settings)

    assert report.ok, report.describe()
    assert report.confirmed == 155
    assert_exactly_once(env, scenario)
    again = run_sync(settings=env.settings)
    assert again.ok and again.sent == 0
    rows = query(
        env.settings, "select status, count(*) as n from ops.sync_log group by status order by status"
    )
    assert rows == [{"status": "confirmed", "n": 155}, {"status": "skipped", "n": 4}]


def test_targets_are_configurable(sync_env, monkeypatch):
    monkeypatch.setenv("FUNNELHOUSE_SYNC_PROPERTY_MQL_REASONS", "why_sent_to_sales")
    env = sync_env(5, declare=tuple(TARGETS))
    write_mart(env.settings, promotions(5))

    with pytest.raises(MissingCrmPropertiesError) as failure:
        run_sync(settings=env.settings)

    assert failure.value.missing == ["why_sent_to_sales"]


def test_circuit_breaker_halts_before_any_write_unless_overridden(sync_env, monkeypatch):
    from expectations.circuit_breaker import CircuitBreakerTripped

    monkeypatch.setenv("FUNNELHOUSE_DQ_MQL_CEILING", "10")
    env = sync_env(30)
    write_mart(env.settings, promotions(30))

    with pytest.raises(CircuitBreakerTripped, match="30 MQL promotions"):
        run_sync(settings=env.settings)

    assert env.sandbox.stats()["writes"] == 0
    assert query(env.settings, "select count(*) as n from ops.sync_state") == [{"n": 0}]
    halted = query(env.settings, "select status, error from ops.sync_log where action = 'circuit_breaker'")
    assert halted[0]["status"] == "halted" and "--override-circuit-breaker" in halted[0]["error"]
    judged = query(env.settings, "select promotions_count, tripped from ops.mql_volume")
    assert judged == [{"promotions_count": 30, "tripped": True}]

    report = run_sync(override_circuit_breaker=True, settings=env.settings)

    assert report.ok and report.confirmed == 30
    assert query(env.settings, "select count(*) as n from ops.mql_volume") == [{"n": 1}]  # not consulted
    logged = query(
        env.settings, "select status from ops.sync_log where action = 'circuit_breaker' order by status"
    )
    assert [r["status"] for r in logged] == ["halted", "overridden"]

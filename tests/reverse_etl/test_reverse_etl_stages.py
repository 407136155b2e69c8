"""Where a promotion's lifecycle stage comes from: the warehouse's last extraction (`raw_hubspot.contacts`),
never a CRM read, with the CRM's forward-only rule as the safety net when that extraction is stale."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from reverse_etl_world import EXTRACTED_AT, assert_exactly_once, promotions, query, write_mart

from funnelhouse.warehouse import open_warehouse
from reverse_etl import run_sync
from reverse_etl.source import read_known_stages
from reverse_etl.testing import replace_mql_events, replace_raw_contacts


@pytest.mark.parametrize("backward_stage", ["reject", "ignore"])
def test_a_stale_extracted_stage_cannot_regress_a_contact(sync_env, backward_stage):
    # 1004 and 1007 moved past MQL in the CRM after the extraction, which still says `lead`;
    # 1002 was already a customer when extracted. "ignore" answers as HubSpot does, "reject" with a 207.
    crm_stages = {1002: "customer", 1004: "customer", 1007: "salesqualifiedlead"}
    env = sync_env(
        10, stages=crm_stages, raw_stages={1004: "lead", 1007: "lead"}, backward_stage=backward_stage
    )
    scenario = promotions(10)
    write_mart(env.settings, scenario)

    report = run_sync(settings=env.settings)

    assert report.ok, report.describe()
    assert report.confirmed == 10 and report.failed == 0 and report.stale_stages == 2
    # one property read, one batch, and only where the CRM refused the stage: the score fields alone
    assert report.crm_calls["requests"] == (3 if backward_stage == "reject" else 2)
    ids = [str(c) for c in range(1001, 1011)]
    stages = {cid: c["properties"]["lifecyclestage"] for cid, c in env.crm.contacts(ids).items()}
    assert stages == {cid: crm_stages.get(int(cid), "marketingqualifiedlead") for cid in ids}
    history = env.crm.history(["1002", "1004", "1007"], "lifecyclestage")
    assert history == {"1002": ["customer"], "1004": ["customer"], "1007": ["salesqualifiedlead"]}
    assert_exactly_once(env, scenario)  # the score fields of the kept contacts landed once too
    kept = {
        r["crm_contact_id"]: r["reason"]
        for r in query(
            env.settings, "select crm_contact_id, reason from ops.sync_log where action = 'keep_stage'"
        )
    }
    assert sorted(kept) == ["1002", "1004", "1007"]
    assert "'customer'" in kept["1002"] and "raw_hubspot.contacts" in kept["1002"]
    assert "'customer'" in kept["1004"] and "'lead'" in kept["1004"]  # what the CRM kept, what the sync saw
    assert "salesqualifiedlead" in kept["1007"]
    again = run_sync(settings=env.settings)
    assert again.ok and again.sent == 0


def test_stages_come_from_the_extraction_without_any_crm_read(sync_env):
    env = sync_env(30, stages={1003: "opportunity", 1020: "evangelist"})
    write_mart(env.settings, promotions(30))

    report = run_sync(settings=env.settings)

    assert report.ok and report.confirmed == 30
    assert env.sandbox.stats()["requests"] == report.batches + 1 == 2  # the property check and one batch
    kept = query(
        env.settings, "select crm_contact_id from ops.sync_log where action = 'keep_stage' order by 1"
    )
    assert [r["crm_contact_id"] for r in kept] == ["1003", "1020"]
    assert report.stale_stages == 0
    assert any("raw_hubspot.contacts" in note for note in report.notes)


def test_without_the_raw_table_the_crm_alone_keeps_later_stages(sync_env):
    env = sync_env(12, stages={1003: "customer"}, raw=False)
    scenario = promotions(12)
    write_mart(env.settings, scenario)

    report = run_sync(settings=env.settings)

    assert report.ok and report.confirmed == 12 and report.stale_stages == 1
    assert env.crm.history(["1003"], "lifecyclestage") == {"1003": ["customer"]}
    assert_exactly_once(env, scenario)
    assert any("raw_hubspot.contacts not found" in note for note in report.notes)


def test_known_stages_are_read_per_promoted_contact(funnelhouse_home):
    from funnelhouse.settings import get_settings

    settings = get_settings()
    at = datetime(2026, 11, 3, 4, 5, tzinfo=UTC)
    mart = [(f"mql-{c}", f"p-{c}", c, None, datetime(2026, 11, 1), 50, 30, 20, "A", "r", "v1", 1)
            for c in ("11", "12", "13", "14")]  # fmt: skip
    replace_mql_events(settings, mart)
    with open_warehouse(settings) as wh:
        assert not read_known_stages(wh).available  # no extraction yet: every stage unknown

    replace_raw_contacts(
        settings, [("11", " Customer ", at), ("12", "", at), ("13", None, EXTRACTED_AT), ("99", "lead", at)]
    )
    with open_warehouse(settings) as wh:
        known = read_known_stages(wh)

    assert known.available and sorted(known.by_contact) == ["11", "12", "13"]  # 99 promotes nothing
    assert known.get("11").stage == "customer" and known.get("11").extracted_at == at
    assert known.get("12").stage is None and known.get("13").stage is None and known.get("14") is None
    assert known.latest_extraction == max(at, EXTRACTED_AT)

"""End to end through Airflow: a qualifying web event lands, `funnelhouse_mql_sync` runs, the CRM shows the MQL.

Given the small world after its nightly run (a copy of the session's baseline) and a contact who never
was an MQL,
when a `Demo Requested` track event of that contact (30 points in the default contract) lands in a new
`dt=` partition of the web events folder and Airflow runs `funnelhouse_mql_sync` for the next 15-minute
slot (`airflow dags test`),
then the CRM contact shows lifecyclestage marketingqualifiedlead with the score properties of the new
promotion, `ops.sync_log` records exactly that promotion, and nothing else is sent to the CRM.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest

from funnelhouse.orchestration.testing import (
    MQL_STAGE,
    Baseline,
    Contact,
    Pipeline,
    clone_pipeline,
    crm_contact_properties,
    land_track_event,
    next_sync_slot,
    output_tail,
    pick_unqualified_contact,
    run_succeeded,
)
from reverse_etl.config import SyncConfig

pytestmark = pytest.mark.timeout(1200)

# The first minute of the day after the world's last day: a new day partition, nothing else on it.
EVENT_AT = datetime(2026, 11, 21, 0, 1, tzinfo=UTC)
QUALIFYING_EVENT = "Demo Requested"


@dataclass
class Warehouse:
    """What the sync's tables say at one moment."""

    mql_event_ids: set[str]
    sync_log_run_ids: set[str]
    sync_state: dict[str, tuple]


@dataclass
class Scenario:
    pipeline: Pipeline
    contact: Contact
    contact_before: dict[str, str | None]
    crm_writes_before: int
    before: Warehouse
    result: subprocess.CompletedProcess


def _warehouse(pipeline: Pipeline) -> Warehouse:
    with duckdb.connect(str(pipeline.settings.duckdb_path), read_only=True) as wh:
        events = {r[0] for r in wh.execute("select mql_event_id from marts.fct_mql_events").fetchall()}
        runs = {r[0] for r in wh.execute("select distinct run_id from ops.sync_log").fetchall()}
        state = {r[0]: r for r in wh.execute("select * from ops.sync_state").fetchall()}
    return Warehouse(events, runs, state)


def _crm_contact(pipeline: Pipeline, contact_id: str) -> dict[str, str | None]:
    names = [SyncConfig().lifecycle_property, *SyncConfig().target_properties()]
    return crm_contact_properties(pipeline.crm, contact_id, names)


@pytest.fixture(scope="module")
def scenario(nightly_baseline: Baseline, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    from funnelhouse.orchestration.local_airflow import run_dag

    dest = tmp_path_factory.mktemp("e2e-mql-sync")
    with clone_pipeline(nightly_baseline, dest, own_web_events=True) as pipeline:
        if not run_succeeded(pipeline.first):
            pytest.fail(f"the nightly run this scenario starts from failed:\n{output_tail(pipeline.first)}")
        contact = pick_unqualified_contact(pipeline.settings)
        contact_before = _crm_contact(pipeline, contact.crm_contact_id)
        crm_writes_before = pipeline.crm.stats()["writes"]
        before = _warehouse(pipeline)
        land_track_event(pipeline.web_events, contact, QUALIFYING_EVENT, EVENT_AT)
        result = run_dag("funnelhouse_mql_sync", next_sync_slot(EVENT_AT).isoformat(), pipeline.env)
        (pipeline.home / "mql-sync-run.log").write_text(result.stdout + result.stderr)
        yield Scenario(pipeline, contact, contact_before, crm_writes_before, before, result)


@pytest.fixture(scope="module")
def promotion(scenario: Scenario) -> dict:
    """The one promotion the mart gained, as the warehouse holds it."""
    assert run_succeeded(scenario.result), output_tail(scenario.result)
    with duckdb.connect(str(scenario.pipeline.settings.duckdb_path), read_only=True) as wh:
        cursor = wh.execute("select * from marts.fct_mql_events")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    new = [row for row in rows if row["mql_event_id"] not in scenario.before.mql_event_ids]
    assert [row["person_id"] for row in new] == [scenario.contact.person_id], new
    return new[0]


def test_the_sync_runs_for_the_next_slot_and_succeeds(scenario: Scenario):
    assert next_sync_slot(EVENT_AT) == datetime(2026, 11, 21, 0, 15, tzinfo=UTC)
    assert run_succeeded(scenario.result), output_tail(scenario.result)
    output = scenario.result.stdout + scenario.result.stderr
    assert "data_interval_start=2026-11-21 00:00:00+00:00" in output
    for task in ("extract_web", "dbt_scoring.", "marts_gate", "sync_to_crm"):
        assert f"end task task_id={task}" in output, f"{task} did not run"
    assert "task_id=publish" not in output, "the 15-minute sync does not publish"


def test_the_crm_contact_now_shows_mql_and_its_scores(scenario: Scenario, promotion: dict):
    config = SyncConfig()
    before = scenario.contact_before
    assert before[config.lifecycle_property] in {"subscriber", "lead"}
    assert not before[config.property_mql_at]
    after = _crm_contact(scenario.pipeline, scenario.contact.crm_contact_id)
    assert after[config.lifecycle_property] == MQL_STAGE
    assert Decimal(after[config.property_lead_score]) == promotion["lead_score"]
    assert promotion["lead_score"] >= 25  # the default contract's threshold
    assert after[config.property_fit_grade] == promotion["fit_grade"]
    assert after[config.property_contract_version] == promotion["contract_version"]
    assert after[config.property_mql_at] == EVENT_AT.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert "demo requested" in after[config.property_mql_reasons]


def test_sync_log_records_exactly_that_promotion(scenario: Scenario, promotion: dict):
    with duckdb.connect(str(scenario.pipeline.settings.duckdb_path), read_only=True) as wh:
        rows = wh.execute(
            "select run_id, crm_contact_id, mql_event_id, action, status, dry_run from ops.sync_log"
            " order by run_id"
        ).fetchall()
    new = [row[1:] for row in rows if row[0] not in scenario.before.sync_log_run_ids]
    assert new == [(scenario.contact.crm_contact_id, promotion["mql_event_id"], "create", "confirmed", False)]


def test_nothing_else_was_sent_to_the_crm(scenario: Scenario, promotion: dict):
    assert scenario.pipeline.crm.stats()["writes"] - scenario.crm_writes_before == 1
    after = _warehouse(scenario.pipeline)
    changed = {
        contact_id
        for contact_id in after.sync_state.keys() | scenario.before.sync_state.keys()
        if after.sync_state.get(contact_id) != scenario.before.sync_state.get(contact_id)
    }
    assert changed == {scenario.contact.crm_contact_id}

"""The whole chain on the shared small demo world: sandbox CRM + event files → ingestion (dlt) → dbt build.

This is the raw layer exactly as production loads it (docs/raw-schema.md), so it catches drift between
ingestion's column names and what staging reads; the hand-made world of test_build.py covers the
scoring rules journey by journey.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SCORING_LAYER, ingest, read_run_results
from pydantic import SecretStr

from funnelhouse.dbt_runner import run_dbt
from funnelhouse.settings import PROJECT_ROOT, Settings
from funnelhouse.warehouse import open_warehouse


@pytest.fixture(scope="module")
def demo_build(small_world: Path, tmp_path_factory: pytest.TempPathFactory):
    from funnelhouse.sandbox.testing import running_sandbox

    settings = Settings(
        home=tmp_path_factory.mktemp("demo_home"),
        contract_dir=PROJECT_ROOT / "models",
        web_events=str(small_world / "web"),
        email_events=str(small_world / "email"),
    )
    with running_sandbox(small_world, rate_limit=10_000) as crm:
        settings = settings.model_copy(update={"crm_url": crm.url, "crm_token": SecretStr(crm.token)})
        ingest(settings)
    code = run_dbt(["build", "--quiet", *SCORING_LAYER], settings)
    return settings, code, read_run_results(settings)


def test_the_demo_world_builds_and_passes_every_test(demo_build) -> None:
    _, code, run_results = demo_build
    failed = [
        (r["unique_id"], r["message"])
        for r in run_results["results"]
        if r["status"] not in {"success", "pass"}
    ]
    assert failed == []
    assert code == 0


def test_every_contact_is_a_lead_and_some_qualify(demo_build, small_world: Path) -> None:
    settings, _, _ = demo_build
    # One person per distinct e-mail among the live contacts (docs.md, person_id).
    records = [json.loads(line) for line in (small_world / "crm" / "contacts.jsonl").open()]
    identities = {
        (r["properties"].get("email") or "").strip().lower() or f"contact:{r['id']}"
        for r in records
        if not r.get("archived")
    }
    with open_warehouse(settings, read_only=True) as wh:
        [(crm_leads, mqls, events, without_reasons)] = wh.fetchall(
            "select count(crm_contact_id), (select count(*) from marts.fct_mql_events),"
            " (select count(*) from intermediate.int_engagement__events_unioned),"
            " (select count(*) from marts.fct_mql_events where reasons is null or reasons = '')"
            " from marts.dim_leads"
        )
    assert crm_leads == len(identities)
    assert mqls > 0 and events > 0
    assert without_reasons == 0

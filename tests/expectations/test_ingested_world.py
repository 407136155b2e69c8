"""The raw gate on a generated world loaded by ingestion: what the pipeline really loads passes the gate."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from expectations import run_check
from funnelhouse.settings import get_settings


def test_raw_gate_passes_on_an_ingested_small_world(small_world: Path, funnelhouse_home: Path, monkeypatch):
    from funnelhouse.sandbox.testing import running_sandbox
    from ingestion import run_ingest

    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE", "duckdb")
    monkeypatch.setenv("FUNNELHOUSE_WEB_EVENTS", str(small_world / "web"))
    monkeypatch.setenv("FUNNELHOUSE_EMAIL_EVENTS", str(small_world / "email"))
    monkeypatch.setenv("FUNNELHOUSE_DQ_DATA_DOCS", "false")
    with running_sandbox(small_world) as crm:
        monkeypatch.setenv("FUNNELHOUSE_CRM_URL", crm.url)
        monkeypatch.setenv("FUNNELHOUSE_CRM_TOKEN", crm.token)
        get_settings.cache_clear()
        ingest = run_ingest(["crm", "web", "email"], get_settings())
    if not ingest.ok:
        pytest.fail(
            f"ingestion of the small world failed, so the gate cannot be judged:\n{ingest.describe()}"
        )
    meta = json.loads((small_world / "world.json").read_text(encoding="utf-8"))
    last_day = datetime.fromisoformat(meta["end"].replace("Z", "+00:00")).date()
    assert isinstance(last_day, date)

    # The world's last day is the run's interval, as the nightly DAG would validate it.
    report = run_check(
        "raw",
        since=last_day.isoformat(),
        until=(last_day + timedelta(days=1)).isoformat(),
        settings=get_settings(),
    )

    assert report.ok, report.describe()
    counted = {
        o.table: o.observed_value for o in report.outcomes if o.expectation.startswith("expect_table_row")
    }
    assert int(counted["raw_hubspot.contacts"]) == meta["contacts"]
    assert int(counted["raw_web.events"]) > 0 and int(counted["raw_email.events"]) > 0

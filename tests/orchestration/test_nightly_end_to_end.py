"""End to end through Airflow itself: `funnelhouse_nightly` on the small world, against the sandbox CRM.

Given the small world served by the sandbox CRM and an empty warehouse,
when Airflow runs `funnelhouse_nightly` for the world's last day,
then the marts exist and pass their gate, the CRM shows the MQL promotions, and the published copy
serves BI read-only; and a later run that fails its raw gate leaves the published marts and the CRM
untouched while BI keeps reading the published copy during that run.
"""

from __future__ import annotations

import subprocess
import time

import duckdb
import pytest

from funnelhouse.orchestration.testing import Baseline, Pipeline, clone_pipeline, output_tail

pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="module")
def pipeline(nightly_baseline: Baseline, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """A copy of the session's nightly run (this module plants bad data in it), its sandbox CRM running."""
    with clone_pipeline(nightly_baseline, tmp_path_factory.mktemp("e2e-nightly")) as copy:
        yield copy


def test_nightly_run_succeeds_and_marts_pass_their_gate(pipeline):
    assert pipeline.first.returncode == 0, output_tail(pipeline.first)
    from expectations import run_check

    report = run_check("marts", settings=pipeline.settings)
    assert report.ok, report.describe()
    with duckdb.connect(str(pipeline.settings.duckdb_path), read_only=True) as wh:
        people = wh.execute("select count(*) from marts.dim_leads").fetchone()[0]
        current = wh.execute(
            "select count(*), count(distinct person_id) from marts.fct_lead_status_history where is_current"
        ).fetchone()
    assert people > 0
    assert current[0] == current[1] == people


def test_crm_shows_every_promotion_the_warehouse_made(pipeline):
    assert pipeline.first.returncode == 0, output_tail(pipeline.first)
    with duckdb.connect(str(pipeline.settings.duckdb_path), read_only=True) as wh:
        promoted = {
            row[0]
            for row in wh.execute(
                "select distinct crm_contact_id from marts.fct_mql_events where crm_contact_id is not null"
            ).fetchall()
        }
        failed = {
            row[0]
            for row in wh.execute(
                "select distinct crm_contact_id from ops.sync_log where status in ('failed', 'permanent_failure')"
            ).fetchall()
        }
    assert promoted, "the small world has MQLs"
    client = pipeline.crm.hubspot_client()
    shown = set()
    for contact_id in sorted(promoted):
        contact = client.crm.contacts.basic_api.get_by_id(contact_id, properties=["funnelhouse_mql_at"])
        if contact.properties.get("funnelhouse_mql_at"):
            shown.add(contact_id)
    assert shown == promoted - failed
    assert len(shown) >= 0.9 * len(promoted)


def test_published_copy_opens_read_only(pipeline):
    assert pipeline.first.returncode == 0, output_tail(pipeline.first)
    published = pipeline.home / "published" / "funnelhouse.duckdb"
    with duckdb.connect(str(published), read_only=True) as bi:
        tables = {
            r[0]
            for r in bi.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        with pytest.raises(duckdb.Error):
            bi.execute("create table marts.scratch as select 1")
    assert {"dim_leads", "fct_mql_events", "fct_lead_status_history"} <= tables
    assert (pipeline.home / "published" / "parquet" / "dim_leads.parquet").exists()
    assert (pipeline.home / "published" / "dbt_docs" / "index.html").exists()


def test_a_failed_raw_gate_leaves_published_marts_and_crm_untouched(pipeline):
    assert pipeline.first.returncode == 0, output_tail(pipeline.first)
    settings = pipeline.settings
    published = pipeline.home / "published" / "funnelhouse.duckdb"
    before = published.stat()
    # Plant a duplicate contact key in raw: the raw gate must stop the line before dbt.
    with duckdb.connect(str(settings.duckdb_path)) as wh:
        wh.execute("insert into raw_hubspot.contacts select * from raw_hubspot.contacts limit 1")
    writes_before = pipeline.crm.stats()["writes"]

    from funnelhouse.orchestration.local_airflow import airflow_command

    second = subprocess.Popen(
        airflow_command(["dags", "test", "funnelhouse_nightly", "2026-11-22"]),
        env=pipeline.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    reads_during_run = 0
    while second.poll() is None:
        with duckdb.connect(str(published), read_only=True) as bi:
            bi.execute("select count(*) from marts.dim_leads").fetchone()
        reads_during_run += 1
        time.sleep(0.5)
    output = second.stdout.read()
    (pipeline.home / "second-run.log").write_text(output)
    assert second.returncode != 0, "the run with a planted duplicate key should fail"
    assert "raw_gate" in output and "raw_hubspot.contacts" in output
    assert reads_during_run > 0
    after = published.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert pipeline.crm.stats()["writes"] == writes_before

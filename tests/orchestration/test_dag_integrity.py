"""Every DAG imports through Airflow's own DagBag, fast, and without opening the warehouse."""

from __future__ import annotations

import time

import pytest

from funnelhouse.settings import PROJECT_ROOT, get_settings

EXPECTED_DAGS = {"funnelhouse_nightly", "funnelhouse_mql_sync"}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    from funnelhouse.dbt_runner import parse_manifest

    return parse_manifest()


@pytest.fixture
def dagbag(manifest, tmp_path, monkeypatch):
    """Parse with a home that has no warehouse, and a PostgreSQL DSN nobody listens on."""
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("FUNNELHOUSE_HOME", str(tmp_path / "empty-home"))
    get_settings.cache_clear()
    started = time.monotonic()
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    bag.parse_seconds = time.monotonic() - started
    yield bag
    assert not (tmp_path / "empty-home" / "warehouse.duckdb").exists(), "parsing opened the warehouse"
    get_settings.cache_clear()


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED_DAGS


def test_dags_parse_in_a_few_seconds(dagbag):
    assert dagbag.parse_seconds < 10, f"DAG parsing took {dagbag.parse_seconds:.1f}s"


def test_every_dag_has_owner_retries_tags_and_one_active_run(dagbag):
    for dag_id in EXPECTED_DAGS:
        dag = dagbag.dags.get(dag_id)
        assert dag.tags and "funnelhouse" in dag.tags
        assert dag.max_active_runs == 1
        for task in dag.tasks:
            assert task.owner == "data-team", f"{dag_id}.{task.task_id} has no owner"
            if not task.task_id.endswith(("_gate", "compile_contract")) and ".run" not in task.task_id:
                assert task.retries >= 1, f"{dag_id}.{task.task_id} has no retries"


def test_nightly_runs_the_stages_in_order_with_dbt_rendered_by_cosmos(dagbag):
    dag = dagbag.dags.get("funnelhouse_nightly")
    ids = set(dag.task_ids)
    assert {
        "extract_crm",
        "extract_web",
        "extract_email",
        "raw_gate",
        "compile_contract",
        "marts_gate",
        "sync_to_crm",
        "publish",
    } <= ids
    dbt_tasks = [t for t in ids if t.startswith("dbt_build.")]
    assert any("fct_mql_events" in t for t in dbt_tasks)
    # TestBehavior.BUILD: each model runs with its tests in one `dbt build` task
    assert dbt_tasks and all(t.endswith("_build") for t in dbt_tasks), dbt_tasks
    # every task that writes the warehouse shares the single-slot pool
    for task in dag.tasks:
        assert task.pool == "funnelhouse_warehouse", task.task_id
    assert dag.get_task("raw_gate").upstream_task_ids == {"extract_crm", "extract_web", "extract_email"}
    assert "sync_to_crm" in dag.get_task("publish").upstream_task_ids
    assert dag.get_task("publish").outlets, "publish produces the mart assets"


def test_mql_sync_rebuilds_only_the_scoring_and_status_subgraph(dagbag):
    nightly = {t for t in dagbag.dags.get("funnelhouse_nightly").task_ids if t.startswith("dbt_build.")}
    sync = {t for t in dagbag.dags.get("funnelhouse_mql_sync").task_ids if t.startswith("dbt_scoring.")}
    assert sync and len(sync) < len(nightly)
    assert any("fct_mql_events" in t for t in sync)
    assert not any("fct_pipeline_forecast" in t for t in sync)


def test_dbt_tasks_rebuild_from_scratch_when_the_contract_changed_or_the_run_asks(dagbag):
    """Every dbt task takes --full-refresh from the run's `full_refresh` param or from the compile_contract
    task (a new contract version: tests/orchestration/test_contract_change_end_to_end.py runs it)."""
    from funnelhouse.orchestration.dags import FULL_REFRESH_TEMPLATE

    for dag_id, group in (("funnelhouse_nightly", "dbt_build."), ("funnelhouse_mql_sync", "dbt_scoring.")):
        dag = dagbag.dags.get(dag_id)
        dbt_tasks = [task for task in dag.tasks if task.task_id.startswith(group)]
        assert dbt_tasks
        for task in dbt_tasks:
            assert task.full_refresh == FULL_REFRESH_TEMPLATE, task.task_id
            assert "compile_contract" in dag.get_task(task.task_id).get_flat_relative_ids(upstream=True)
        assert dag.params["full_refresh"] is False

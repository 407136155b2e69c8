"""The two DAGs, built once here so the files in `dags/` stay a few lines long.

`funnelhouse_nightly` (daily): extract CRM, web, e-mail → raw gate → dbt build (Cosmos, one task per
model with its tests) → marts gate → CRM sync → publish for BI.
`funnelhouse_mql_sync` (every 15 minutes): the same extract, only the dbt subgraph that scoring and
status need, the marts gate and the CRM sync; it is what makes the 30-minute follow-up SLA reachable.

Every task that writes the warehouse runs in the `funnelhouse_warehouse` pool: one slot on DuckDB (one
writer per file), so the two DAGs never collide; on PostgreSQL the pool may be widened.
Parsing reads dbt's `target/manifest.json` only (Cosmos `LoadMode.DBT_MANIFEST`): it never opens the warehouse.

A nightly run's data interval is one day: in Airflow 3 a manual run for logical date D (`airflow dags test
funnelhouse_nightly D`) covers the day before D, a scheduled or backfilled run of logical date D covers D.
dbt builds each run's marts as of the end of its data interval (`AS_OF_TEMPLATE`): a run is idempotent for
its interval.

The dbt tasks rebuild from scratch (`--full-refresh`) when the qualification contract's version changed
since the scores were made (the compile_contract task finds it, as `funnelhouse build` does), or when
a run is triggered with the param `full_refresh`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum

from funnelhouse.orchestration.alerts import notify_failure
from funnelhouse.orchestration.tasks import WAREHOUSE_POOL
from funnelhouse.settings import PROJECT_ROOT, get_settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_PROFILE_NAME = "funnelhouse"  # `profile:` in dbt_project/dbt_project.yml
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")
MARTS = (
    "dim_leads",
    "fct_lead_score_daily",
    "fct_mql_events",
    "fct_lead_status_history",
    "fct_funnel_cohorts",
    "fct_mql_followups",
    "fct_deal_stage_durations",
    "fct_pipeline_forecast",
)
# The moment the lifecycle marts are judged at (dbt var `as_of`, model int_lifecycle__as_of): the end of
# the run's data interval, so a re-run of an interval rebuilds the same marts, whatever changed later
# (including the run's own CRM write-back).
AS_OF_TEMPLATE = "{{ data_interval_end.in_timezone('UTC').strftime('%Y-%m-%d %H:%M:%S') }}"
SYNC_INTERVAL = timedelta(minutes=15)  # how often funnelhouse_mql_sync runs
# What the 15-minute DAG rebuilds: everything upstream of the marts the CRM sync and its gate read.
MQL_SYNC_SELECTION = ["+fct_mql_events", "+dim_leads", "+fct_lead_status_history"]
# Whether the dbt tasks run with --full-refresh: asked for by the run's `full_refresh` param, or needed
# because the compile_contract task found the scores made with another contract version.
FULL_REFRESH_TEMPLATE = (
    "{{ params.full_refresh or ti.xcom_pull(task_ids='compile_contract', key='full_refresh') }}"
)

DEFAULT_ARGS = {
    "owner": "data-team",
    "retries": 2,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=15),
    "on_failure_callback": notify_failure,
}


def mart_assets():
    from airflow.sdk import Asset

    return [Asset(f"funnelhouse://marts/{name}", extra={"schema": "marts", "table": name}) for name in MARTS]


def _require_manifest() -> Path:
    if not MANIFEST_PATH.exists():
        raise FileNotFoundError(
            f"{MANIFEST_PATH} is missing: run `funnelhouse parse` (`make demo` and `make airflow` do) "
            "so Cosmos can render the dbt project without opening the warehouse."
        )
    return MANIFEST_PATH


def dbt_task_group(group_id: str, select: list[str] | None = None):
    """The dbt project as Airflow tasks (Cosmos), rendered from the manifest."""
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import InvocationMode, LoadMode, TestBehavior

    from funnelhouse.dbt_runner import dbt_environment

    settings = get_settings()
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR,
            manifest_path=_require_manifest(),
            env_vars=dbt_environment(settings),
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name=DBT_PROFILE_NAME,
            target_name=settings.warehouse,
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            select=select or [],
            enable_mock_profile=False,
        ),
        execution_config=ExecutionConfig(invocation_mode=InvocationMode.DBT_RUNNER),
        # "buildable": a model's task runs the tests whose other parents are its ancestors, so a test
        # spanning two models runs with the later one instead of failing on a table not built yet.
        operator_args={
            "pool": WAREHOUSE_POOL,
            "dbt_cmd_flags": ["--indirect-selection", "buildable"],
            "vars": {"as_of": AS_OF_TEMPLATE},
            "full_refresh": FULL_REFRESH_TEMPLATE,
        },
    )


def _steps():
    """Airflow tasks wrapping `funnelhouse.orchestration.tasks` (shared by both DAGs)."""
    from airflow.sdk import task
    from airflow.sdk.exceptions import AirflowFailException

    from funnelhouse.orchestration import tasks

    def extract_task(source: str):
        @task(task_id=f"extract_{source}", pool=WAREHOUSE_POOL)
        def extract_one() -> str:
            return tasks.extract(source)

        return extract_one()

    def gate_task(suite: str):
        @task(task_id=f"{suite}_gate", pool=WAREHOUSE_POOL, retries=0)
        def run_gate(data_interval_start=None, data_interval_end=None, run_id=None) -> str:
            try:
                return tasks.gate(suite, data_interval_start, data_interval_end, run_id=run_id)
            except tasks.GateFailed as exc:
                raise AirflowFailException(str(exc)) from exc

        return run_gate()

    @task(pool=WAREHOUSE_POOL, retries=0, multiple_outputs=True)
    def compile_contract() -> dict:
        return tasks.compile_contract()

    @task(pool=WAREHOUSE_POOL)
    def sync_to_crm(params=None) -> str:
        override = bool((params or {}).get("override_circuit_breaker", False))
        try:
            return tasks.sync_to_crm(override_circuit_breaker=override)
        except tasks.GateFailed as exc:
            raise AirflowFailException(str(exc)) from exc

    return extract_task, gate_task, compile_contract, sync_to_crm


def _shared_dag_arguments() -> dict:
    """What both DAGs share: one active run, no catch-up, the alerting defaults, the breaker override and
    the full-refresh switch."""
    from airflow.sdk import Param

    return {
        "start_date": START_DATE,
        "catchup": False,
        "max_active_runs": 1,
        "params": {
            "override_circuit_breaker": Param(False, type="boolean"),
            "full_refresh": Param(
                False,
                type="boolean",
                description="Rebuild every dbt model from scratch (a new contract version does it by itself)",
            ),
        },
        "doc_md": __doc__,
    }


def build_nightly_dag():
    from airflow.sdk import CronDataIntervalTimetable, dag, task

    from funnelhouse.orchestration import tasks

    extract_task, gate_task, compile_contract, sync_to_crm = _steps()

    @dag(
        dag_id="funnelhouse_nightly",
        description="Extract → raw gate → dbt (Cosmos) → marts gate → CRM sync → publish",
        schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
        default_args=DEFAULT_ARGS,
        tags=["funnelhouse", "nightly"],
        **_shared_dag_arguments(),
    )
    def funnelhouse_nightly():
        @task(pool=WAREHOUSE_POOL, outlets=mart_assets())
        def publish() -> str:
            return tasks.publish()

        extracted = [extract_task(source) for source in ("crm", "web", "email")]
        raw_gate = gate_task("raw")
        dbt_build = dbt_task_group("dbt_build")
        marts_gate = gate_task("marts")
        synced = sync_to_crm()
        extracted >> raw_gate >> compile_contract() >> dbt_build >> marts_gate >> synced >> publish()

    return funnelhouse_nightly()


def build_mql_sync_dag():
    from airflow.sdk import CronTriggerTimetable, dag

    extract_task, gate_task, compile_contract, sync_to_crm = _steps()

    @dag(
        dag_id="funnelhouse_mql_sync",
        description="Every 15 minutes: extract → scoring/status dbt subgraph → marts gate → CRM sync",
        # A 15-minute data interval ending at the trigger time: the marts gate validates that slice (a
        # trigger timetable's default interval is empty, which the gate rightly refuses as a window).
        schedule=CronTriggerTimetable("*/15 * * * *", timezone="UTC", interval=SYNC_INTERVAL),
        dagrun_timeout=timedelta(minutes=14),
        default_args={**DEFAULT_ARGS, "retries": 1},
        tags=["funnelhouse", "mql-sync"],
        **_shared_dag_arguments(),
    )
    def funnelhouse_mql_sync():
        extracted = [extract_task(source) for source in ("crm", "web", "email")]
        scoring = dbt_task_group("dbt_scoring", select=MQL_SYNC_SELECTION)
        extracted >> compile_contract() >> scoring >> gate_task("marts") >> sync_to_crm()

    return funnelhouse_mql_sync()

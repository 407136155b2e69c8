"""A local Airflow for the demo, the end-to-end test and `make airflow`: SQLite metadata under $FUNNELHOUSE_HOME.

Everything runs through Airflow's own CLI (`airflow db migrate`, `airflow pools set`, `airflow dags test`),
so what the demo shows is what a scheduler would run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from funnelhouse.orchestration.tasks import WAREHOUSE_POOL
from funnelhouse.settings import PROJECT_ROOT, Settings, get_settings


def airflow_home(settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    return settings.home.resolve() / "airflow"


def airflow_env(settings: Settings | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for Airflow commands: this checkout's DAGs, no examples, SQLite metadata."""
    settings = settings or get_settings()
    home = airflow_home(settings)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "FUNNELHOUSE_HOME": str(settings.home.resolve()),
        "FUNNELHOUSE_WAREHOUSE": settings.warehouse,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.update(extra or {})
    return env


def airflow_command(args: list[str]) -> list[str]:
    """The `airflow` executable of this environment, with `args`."""
    return [str(Path(sys.executable).with_name("airflow")), *args]


def _airflow(args: list[str], env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(airflow_command(args), env=env, check=check, capture_output=True, text=True)


def init_airflow(settings: Settings | None = None, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """Create the metadata database and the warehouse pool (one slot on DuckDB). Returns the env to reuse."""
    settings = settings or get_settings()
    env = airflow_env(settings, extra_env)
    airflow_home(settings).mkdir(parents=True, exist_ok=True)
    _airflow(["db", "migrate"], env)
    slots = "1" if settings.warehouse == "duckdb" else os.environ.get("FUNNELHOUSE_POSTGRES_POOL_SLOTS", "4")
    _airflow(
        ["pools", "set", WAREHOUSE_POOL, slots, "Tasks that write the warehouse (DuckDB: one writer)"], env
    )
    return env


def run_dag(
    dag_id: str, logical_date: str, env: dict[str, str], conf: str | None = None
) -> subprocess.CompletedProcess:
    """`airflow dags test` one run (in-process executor); the caller checks `returncode` and output."""
    args = ["dags", "test", dag_id, logical_date]
    if conf:
        args += ["--conf", conf]
    return _airflow(args, env, check=False)


def run_succeeded(result: subprocess.CompletedProcess) -> bool:
    """Whether a `run_dag` run succeeded: `airflow dags test` exits 1 on a failed run, and the run's final
    state in its output says it too."""
    output = result.stdout + result.stderr
    return result.returncode == 0 and "DagRun Finished" in output and "state=failed" not in output


def output_tail(result: subprocess.CompletedProcess, lines: int = 60) -> str:
    """The last `lines` lines of a run's output (stdout then stderr)."""
    return "\n".join((result.stdout + result.stderr).splitlines()[-lines:])


def standalone(settings: Settings | None = None) -> None:
    """`make airflow`: the Airflow UI (`airflow standalone`) with these DAGs, the pool and the manifest ready."""
    from funnelhouse.dbt_runner import parse_manifest

    settings = settings or get_settings()
    env = init_airflow(settings)
    parse_manifest(settings)
    print(
        f"Airflow home: {airflow_home(settings)}; UI on http://localhost:8080 (login printed below)",
        flush=True,
    )
    command = airflow_command(["standalone"])
    os.execve(command[0], command, env)


if __name__ == "__main__":
    standalone()

"""Every entry point imports `funnelhouse` first, which switches the tools' analytics off."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from funnelhouse.settings import PROJECT_ROOT
from funnelhouse.telemetry import TELEMETRY_OFF


def _env_after_import(module: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in TELEMETRY_OFF}
    code = f"import {module}, json, os; print(json.dumps(dict(os.environ)))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_cli_switches_off_dbt_cosmos_gx_dlt_and_airflow_analytics():
    env = _env_after_import("funnelhouse.cli")
    for name in ("DBT_SEND_ANONYMOUS_USAGE_STATS", "GX_ANALYTICS_ENABLED", "RUNTIME__DLTHUB_TELEMETRY"):
        assert env[name] == "false", name
    assert env["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] == "False"
    assert env["DO_NOT_TRACK"] == "1"


def test_every_package_entry_point_imports_funnelhouse_first():
    for package in ("ingestion", "expectations", "reverse_etl"):
        env = _env_after_import(package)
        assert env["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false", package


def test_the_makefile_exports_the_same_switches():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    for name in (
        "DBT_SEND_ANONYMOUS_USAGE_STATS",
        "GX_ANALYTICS_ENABLED",
        "RUNTIME__DLTHUB_TELEMETRY",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY",
        "DO_NOT_TRACK",
    ):
        assert f"export {name} :=" in makefile, name

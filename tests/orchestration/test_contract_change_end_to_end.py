"""End to end through Airflow: a new contract version re-scores the whole history, not only the window.

Given the small world after its nightly run (a copy of the session's baseline), scored with the default
contract,
when the contract's `version` is bumped and Airflow runs `funnelhouse_mql_sync` for the next 15-minute
slot (`airflow dags test`),
then the compile_contract task finds the scores made with the old version and the dbt tasks rebuild
from scratch: every daily score row, from the first day on, carries the new version. An incremental run
would have rewritten only the last `lookback_days` days, leaving a history scored by two contracts.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime

import duckdb
import pytest

from funnelhouse.contract import compile_contract
from funnelhouse.orchestration.testing import Baseline, clone_pipeline, next_sync_slot, output_tail
from funnelhouse.settings import PROJECT_ROOT
from tests.conftest import contract_seeds_lock

pytestmark = pytest.mark.timeout(1200)

DEFAULT_CONTRACT_DIR = PROJECT_ROOT / "models"
NEW_VERSION = "2099.1.0"
# The first minute of the day after the world's last day (the slot after the nightly run's interval).
SLOT_AFTER = datetime(2026, 11, 21, 0, 1, tzinfo=UTC)


def _scores(duckdb_path) -> tuple[dict[str, int], object]:
    with duckdb.connect(str(duckdb_path), read_only=True) as wh:
        versions = dict(
            wh.execute(
                "select contract_version, count(*) from marts.fct_lead_score_daily group by 1"
            ).fetchall()
        )
        [(first_day,)] = wh.execute("select min(score_date) from marts.fct_lead_score_daily").fetchall()
    return versions, first_day


def test_a_new_contract_version_rescores_every_day_in_the_airflow_run(
    nightly_baseline: Baseline, tmp_path
) -> None:
    from funnelhouse.orchestration.local_airflow import run_dag

    contract_dir = tmp_path / "contract"
    shutil.copytree(DEFAULT_CONTRACT_DIR, contract_dir)
    contract_file = contract_dir / "qualification_contract.yml"
    text, bumped = re.subn(
        r'^version: ".*"$', f'version: "{NEW_VERSION}"', contract_file.read_text(), flags=re.M
    )
    assert bumped == 1
    contract_file.write_text(text)
    try:
        # The lock: no other test of the suite writes the default contract back during the run.
        with (
            clone_pipeline(nightly_baseline, tmp_path / "pipeline") as pipeline,
            contract_seeds_lock(exclusive=True),
        ):
            versions_before, first_day_before = _scores(pipeline.settings.duckdb_path)
            assert NEW_VERSION not in versions_before and len(versions_before) == 1
            env = {**pipeline.env, "FUNNELHOUSE_CONTRACT_DIR": str(contract_dir)}
            result = run_dag("funnelhouse_mql_sync", next_sync_slot(SLOT_AFTER).isoformat(), env)
            (pipeline.home / "contract-change-run.log").write_text(result.stdout + result.stderr)
            output = result.stdout + result.stderr
            assert "the dbt tasks rebuild from scratch" in output, output_tail(result)
            versions_after, first_day_after = _scores(pipeline.settings.duckdb_path)
    finally:
        compile_contract(DEFAULT_CONTRACT_DIR)  # the seeds in the checkout go back to the default contract
    assert set(versions_after) == {NEW_VERSION}, versions_after
    assert first_day_after == first_day_before
    assert sum(versions_after.values()) >= sum(versions_before.values())

"""Shared by the Airflow end-to-end tests: one `funnelhouse_nightly` run on the small world per session.

That run through Airflow is the expensive part (minutes on 2 cores), so it runs once (`nightly_baseline`)
and each module that changes state works on its own copy (`funnelhouse.orchestration.testing.clone_pipeline`):
tests never see each other's changes and their order does not matter.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from funnelhouse.orchestration.testing import Baseline, build_baseline
from tests.conftest import SMALL_WORLD

# Airflow 3: a run for logical date D (`airflow dags test`) covers the day before D, so the run of the day
# after the world's last day is the one whose data interval is that last day.
NIGHTLY_LOGICAL_DATE = (date.fromisoformat(SMALL_WORLD["end"]) + timedelta(days=1)).isoformat()


@pytest.fixture(scope="session")
def nightly_baseline(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    """`funnelhouse_nightly` over the small world's last day, run once per session (read-only: clone it)."""
    return build_baseline(small_world, tmp_path_factory.mktemp("nightly-baseline"), NIGHTLY_LOGICAL_DATE)

"""Shared fixtures: an isolated FUNNELHOUSE_HOME, a small generated world, the sandbox CRM, PostgreSQL."""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Airflow reads its config on import: keep tests away from ~/airflow, and load no examples.
os.environ.setdefault(
    "AIRFLOW_HOME", os.path.join(os.environ.get("TMPDIR", "/tmp"), f"funnelhouse-test-airflow-{os.getpid()}")
)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")

import funnelhouse  # noqa: F401  (telemetry off)
from funnelhouse.settings import get_settings

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_ADMIN_DSN = os.environ.get(
    "FUNNELHOUSE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)

# The small world every integration test shares: big enough to exercise every rule, small enough for seconds.
SMALL_WORLD = {"contacts": 300, "days": 60, "seed": 7, "end": "2026-11-20"}


# `make test` runs the suite on two pytest-xdist workers (`--dist loadgroup`). The tests of a folder
# whose session fixture is an expensive build (the Airflow nightly run, the dbt builds) stay on one
# worker, so each build runs once; the other tests are shared out between the workers.
ONE_WORKER_FOLDERS = {"orchestration", "dbt", "dbt_funnel"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the marks to group the tests
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        folder = item.path.parent.name
        if folder in ONE_WORKER_FOLDERS:
            item.add_marker(pytest.mark.xdist_group(folder))


# Every dbt build of the suite compiles the default contract into the checkout's seeds
# (dbt_project/seeds/contract) first. The test that compiles another contract there for an Airflow run
# holds this lock exclusively for the whole run (`contract_seeds_lock(exclusive=True)`), and every other
# compilation in the test processes takes it shared: on two workers, the other worker's builds wait
# instead of writing the default contract back in the middle of that run.
CONTRACT_SEEDS_LOCK = Path(tempfile.gettempdir()) / (
    "funnelhouse-tests-contract-seeds-"
    + hashlib.sha1(str(Path(__file__).resolve().parent).encode()).hexdigest()[:12]
)


@contextmanager
def contract_seeds_lock(*, exclusive: bool) -> Iterator[None]:
    with open(CONTRACT_SEEDS_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def pytest_configure(config: pytest.Config) -> None:
    from funnelhouse import contract, dbt_runner

    compile_contract = contract.compile_contract

    def compile_under_shared_lock(contract_dir: Path, seeds_dir: Path = contract.SEEDS_DIR):
        with contract_seeds_lock(exclusive=False):
            return compile_contract(contract_dir, seeds_dir)

    contract.compile_contract = compile_under_shared_lock
    dbt_runner.compile_contract = compile_under_shared_lock


@pytest.fixture
def funnelhouse_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh FUNNELHOUSE_HOME (warehouse file, state) for one test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("FUNNELHOUSE_HOME", str(home))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated world (read-only for tests: copy it before changing it)."""
    from datetime import date

    from funnelhouse.generator import generate_world

    out = tmp_path_factory.mktemp("world")
    generate_world(
        out=out,
        contacts=SMALL_WORLD["contacts"],
        days=SMALL_WORLD["days"],
        seed=SMALL_WORLD["seed"],
        end=date.fromisoformat(SMALL_WORLD["end"]),
    )
    return out


def _postgres_reachable() -> str | None:
    import psycopg2

    try:
        psycopg2.connect(POSTGRES_ADMIN_DSN, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return str(exc)
    return None


@pytest.fixture
def postgres_dsn() -> Iterator[str]:
    """A brand-new PostgreSQL database for one test, dropped afterwards.

    Skips on a laptop without PostgreSQL; in CI (CI=true) a missing PostgreSQL fails the test instead.
    """
    import psycopg2

    problem = _postgres_reachable()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {POSTGRES_ADMIN_DSN}: {problem}")
        pytest.skip(f"PostgreSQL not reachable ({problem})")
    name = f"fh_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(POSTGRES_ADMIN_DSN)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    dsn = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield dsn
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

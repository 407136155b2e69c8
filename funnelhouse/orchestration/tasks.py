"""Pipeline steps as plain functions: Airflow calls them, and so can a test or a shell.

Each step raises on failure with a message that says what stopped the line; gates raise
`GateFailed`, which the DAG turns into a non-retried task failure (bad data does not fix itself).
"""

from __future__ import annotations

import logging
from datetime import datetime

from funnelhouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

WAREHOUSE_POOL = "funnelhouse_warehouse"


class GateFailed(RuntimeError):
    """A data-quality gate or the circuit breaker stopped the line."""


class StepFailed(RuntimeError):
    """A pipeline step reported failure."""


def _iso(moment: datetime | str | None) -> str | None:
    if moment is None:
        return None
    return moment if isinstance(moment, str) else moment.isoformat()


def extract(source: str, settings: Settings | None = None) -> str:
    """Load one source (crm, web or email) into the raw layer; returns the report text."""
    import ingestion

    settings = settings or get_settings()
    step = {"crm": ingestion.ingest_crm, "web": ingestion.ingest_web, "email": ingestion.ingest_email}[source]
    report = step(settings)
    text = report.describe()
    log.info("%s", text)
    if not report.ok:
        raise StepFailed(f"Extract {source} failed:\n{text}")
    return text


def gate(
    suite: str,
    since: datetime | str | None,
    until: datetime | str | None,
    run_id: str | None = None,
    settings: Settings | None = None,
) -> str:
    """Run a Great Expectations gate (raw or marts) on the run's data interval."""
    from expectations import run_check

    report = run_check(
        suite, since=_iso(since), until=_iso(until), settings=settings or get_settings(), run_id=run_id
    )
    text = report.describe()
    log.info("%s", text)
    if not report.ok:
        raise GateFailed(f"The {suite} gate failed; the line stops here.\n{text}")
    return text


def compile_contract(settings: Settings | None = None) -> dict[str, str | bool]:
    """Validate the qualification contract and compile it into dbt seeds (before any dbt task).

    Returns `summary` and `full_refresh`: whether the dbt tasks must rebuild from scratch because the
    stored scores were made with another contract version (their whole history is re-scored, as
    `funnelhouse build` does by itself; an incremental run would re-score only its lookback window).
    """
    from funnelhouse.contract import compile_contract
    from funnelhouse.dbt_runner import scored_with_another_contract

    settings = settings or get_settings()
    contract = compile_contract(settings.contract_dir)
    summary = f"contract {contract.version} compiled into dbt seeds"
    scored_with = scored_with_another_contract(settings, contract.version)
    if scored_with is not None:
        summary += (
            f"; the scores were made with {scored_with}: the dbt tasks rebuild from scratch (--full-refresh)"
        )
    log.info("%s", summary)
    return {"summary": summary, "full_refresh": scored_with is not None}


def sync_to_crm(settings: Settings | None = None, override_circuit_breaker: bool = False) -> str:
    """Write MQL promotions back to the CRM (the circuit breaker may halt it)."""
    from expectations.circuit_breaker import CircuitBreakerTripped
    from reverse_etl import run_sync

    try:
        report = run_sync(
            override_circuit_breaker=override_circuit_breaker, settings=settings or get_settings()
        )
    except CircuitBreakerTripped as exc:
        raise GateFailed(str(exc)) from exc
    text = report.describe()
    log.info("%s", text)
    if not report.ok:
        raise StepFailed(f"CRM sync failed:\n{text}")
    return text


def publish(settings: Settings | None = None) -> str:
    """Publish the marts for BI, with the dbt docs and the GX Data Docs beside them."""
    from funnelhouse.dbt_runner import run_dbt
    from funnelhouse.publish import publish_docs, publish_marts

    settings = settings or get_settings()
    report = publish_marts(settings)
    docs_dir = None
    if run_dbt(["docs", "generate"], settings) == 0:
        docs_dir = settings.home.resolve() / "dbt" / "target"
    else:
        report.extras.append("dbt docs generate failed: docs not refreshed")
    gx_docs = settings.home.resolve() / "gx" / "uncommitted" / "data_docs" / "local_site"
    report.extras += publish_docs(settings, docs_dir, gx_docs)
    text = report.describe()
    log.info("%s", text)
    return text

"""Run one gate: plan the suite from the warehouse's catalog, validate every relation, record, report.

Three phases keep DuckDB's single-writer rule: read (a read-only connection loads the catalog, the volume
history and, on DuckDB, the batches), validate (GX, no warehouse connection held on DuckDB), then write
(`ops.dq_results`, `ops.dq_volume_history`) in one short read-write connection.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import great_expectations as gx
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from expectations.config import DQSettings
from expectations.engines import LoadedRelation, asset_name, data_docs_dir, make_engine, open_context
from expectations.results import (
    CheckReport,
    ExpectationOutcome,
    build_data_docs,
    outcome_from_finding,
    outcomes_from_gx,
    store_results,
)
from expectations.score_bounds import score_bounds
from expectations.spec import Catalog, Finding, RelationCheck, SuitePlan, Window
from expectations.suites.marts import SCHEMA as MARTS_SCHEMA
from expectations.suites.marts import build_marts_plan
from expectations.suites.raw import SCHEMAS as RAW_SCHEMAS
from expectations.suites.raw import build_raw_plan
from expectations.volume import VolumeEntry, previous_counts, record_counts, volume_expectation
from funnelhouse.settings import Settings, get_settings
from funnelhouse.warehouse import Warehouse, open_warehouse

SUITES = ("raw", "marts")


def _plan(suite: str, warehouse: Warehouse, window: Window, settings: Settings, dq: DQSettings) -> SuitePlan:
    if suite == "raw":
        return build_raw_plan(Catalog.read(warehouse, RAW_SCHEMAS), window, dq)
    catalog = Catalog.read(warehouse, [MARTS_SCHEMA])
    return build_marts_plan(catalog, window, dq, score_bounds(settings, dq))


def _open_for_reading(settings: Settings):
    if settings.warehouse == "duckdb" and not settings.duckdb_path.exists():
        raise FileNotFoundError(
            f"no DuckDB warehouse at {settings.duckdb_path}: run `funnelhouse ingest` first"
            " (or set FUNNELHOUSE_HOME / FUNNELHOUSE_WAREHOUSE)"
        )
    return open_warehouse(settings, read_only=True)


def _unreadable(check: RelationCheck, what: str, exc: Exception) -> Finding:
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    return Finding(
        table=check.table,
        expectation=what,
        description="the relation could not be validated; fix the table or the suite (see the error)",
        observed=f"{type(exc).__name__}: {first_line}",
    )


def _validate(
    context: Any, engine: Any, suite: str, loaded: LoadedRelation, run: RunIdentifier, dq: DQSettings
) -> tuple[list[ExpectationOutcome], ValidationResultIdentifier | None]:
    """Validate one relation; with Data Docs on, also keep the suite and result in the context's stores.

    `batch.validate` is used rather than a ValidationDefinition: the definition's store bookkeeping cost
    about a third of a gate's time, and only Data Docs need it.
    """
    check = loaded.check
    name = f"{suite}.{asset_name(check)}"
    gx_suite = gx.ExpectationSuite(name=name, expectations=check.expectations)
    batch = engine.batch_definition(check).get_batch(batch_parameters=loaded.batch_parameters)
    result = batch.validate(gx_suite, result_format={"result_format": "SUMMARY"})
    result_id = None
    if dq.data_docs:
        context.suites.add_or_update(gx_suite)
        suite_id = ExpectationSuiteIdentifier(name=name)
        result.meta["run_id"] = run
        result_id = ValidationResultIdentifier(
            expectation_suite_identifier=suite_id, run_id=run, batch_identifier=result.batch_id or name
        )
        context.validation_results_store.store_validation_results(
            suite_validation_result=result,
            suite_validation_result_identifier=result_id,
            expectation_suite_identifier=suite_id,
        )
    return outcomes_from_gx(check.table, result, dq.sample_size), result_id


def run_check(
    suite: str,
    since: str | None = None,
    until: str | None = None,
    settings: Settings | None = None,
    run_id: str | None = None,
) -> CheckReport:
    """Validate the `raw` or `marts` layer (event-scale tables only inside [since, until)).

    Returns the report; `.ok` is False when any expectation failed. Raises ValueError on a bad argument
    and FileNotFoundError when there is no warehouse to check.
    """
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}: use one of {', '.join(SUITES)}")
    settings = settings or get_settings()
    dq = DQSettings()
    window = Window.from_args(since, until)
    started = datetime.now(UTC)
    run_id = run_id or f"{suite}-{started.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 1_000_000:06d}"
    context = open_context(settings)
    engine = make_engine(settings, context)

    with _open_for_reading(settings) as warehouse:
        plan = _plan(suite, warehouse, window, settings, dq)
        loaded: list[LoadedRelation] = []
        volumes: list[VolumeEntry] = []
        for check in plan.checks:
            try:
                relation = engine.load(warehouse, check)
            except Exception as exc:  # noqa: BLE001 - an unreadable relation fails the gate, others still run
                plan.findings.append(_unreadable(check, "relation_readable", exc))
                continue
            if check.volume_scope:
                key = window.key if check.volume_scope == "increment" else run_id
                entry = VolumeEntry(suite, check.table, check.volume_scope, key, relation.row_count)
                check.expect(
                    volume_expectation(previous_counts(warehouse, entry, dq.volume_history_runs), dq)
                )
                volumes.append(entry)
            loaded.append(relation)

    run = RunIdentifier(run_name=run_id, run_time=started)
    outcomes = [outcome_from_finding(f) for f in plan.findings]
    result_ids = []
    for relation in loaded:
        try:
            relation_outcomes, result_id = _validate(context, engine, suite, relation, run, dq)
        except Exception as exc:  # noqa: BLE001 - GX could not build the batch: a failure, not a crash
            outcomes.append(outcome_from_finding(_unreadable(relation.check, "validation_ran", exc)))
            continue
        outcomes.extend(relation_outcomes)
        if result_id is not None:
            result_ids.append(result_id)
    report = CheckReport(
        suite=suite,
        run_id=run_id,
        engine=engine.name,
        window=(
            f"interval [{window.since.isoformat() if window.since else '...'}, {window.until.isoformat()})"
            if window.is_increment
            else "whole tables"
        ),
        outcomes=outcomes,
        skipped=plan.skipped,
    )
    with open_warehouse(settings) as warehouse:
        store_results(warehouse, report, started)
        record_counts(warehouse, volumes, run_id, started)
    if dq.data_docs:
        report.data_docs = build_data_docs(context, result_ids, data_docs_dir(settings))
    return report

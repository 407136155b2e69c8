"""What a gate found: per-expectation outcomes, the readable report, `ops.dq_results` and GX Data Docs.

`ops.dq_results` keeps one row per expectation per run so an operator can ask "since when does this fail?"
with SQL; Data Docs are the same results as browsable HTML under `$FUNNELHOUSE_HOME/gx/`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from expectations.spec import Finding
from funnelhouse.warehouse import Warehouse

log = logging.getLogger(__name__)

DQ_RESULTS_DDL = """
create table if not exists ops.dq_results (
    run_id text not null,
    suite text not null,
    table_name text not null,
    expectation text not null,
    success boolean not null,
    observed_value text,
    sample_bad_values text,
    checked_at timestamp with time zone not null
)
"""


@dataclass
class ExpectationOutcome:
    """One expectation on one relation, as the report, the table and the CLI show it."""

    table: str
    expectation: str
    description: str
    success: bool
    observed_value: str | None = None
    sample_bad_values: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.table}: {self.expectation}"
        if self.description:
            text += f" -- {self.description}"
        if self.observed_value:
            text += f"; observed: {self.observed_value}"
        if self.sample_bad_values:
            text += f"; sample bad values: {', '.join(self.sample_bad_values)}"
        return text


@dataclass
class CheckReport:
    """The result of one gate run: `.ok` decides whether the pipeline goes on."""

    suite: str
    run_id: str
    engine: str
    window: str
    outcomes: list[ExpectationOutcome]
    skipped: list[str] = field(default_factory=list)
    data_docs: Path | None = None

    @property
    def ok(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def describe(self) -> str:
        failed = self.failures
        status = "passed" if self.ok else "FAILED"
        tables = len({o.table for o in self.outcomes})
        lines = [
            f"{self.suite} gate {status} (run {self.run_id}, {self.engine}, {self.window}): "
            f"{len(self.outcomes) - len(failed)} of {len(self.outcomes)} expectations passed on {tables} relations"
        ]
        for outcome in failed:
            lines.append(f"  FAILED {outcome.line()}")
        for name in self.skipped:
            lines.append(f"  skipped {name}")
        if self.data_docs:
            lines.append(f"Data Docs: {self.data_docs}")
        return "\n".join(lines)


def _text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value) if isinstance(value, str) else str(value)


def _signature(config: Any) -> str:
    """`expect_column_values_to_be_unique(column=id)`: the expectation and what it looks at."""
    kwargs = config.kwargs
    shown = []
    for key in ("column", "column_list", "value_set", "min_value", "max_value", "regex", "mostly"):
        if key not in kwargs or kwargs[key] is None or (key == "mostly" and kwargs[key] == 1):
            continue
        value = kwargs[key]
        if key == "value_set" and len(value) > 4:
            value = f"[{len(value)} known values]"
        elif isinstance(value, list):
            value = "[" + ", ".join(str(v) for v in value) + "]"
        elif not isinstance(value, str | int | float):
            value = _text(value)
        if key == "regex" and len(value) > 40:
            value = value[:37] + "..."
        shown.append(f"{key}={value}")
    return f"{config.type}({', '.join(shown)})"


def _exception(result: Any) -> str | None:
    info = result.exception_info or {}
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            message = str(entry.get("exception_message") or "unknown error")
            return message.strip().splitlines()[0][:300]
    return None


def outcomes_from_gx(table: str, validation: Any, sample_size: int) -> list[ExpectationOutcome]:
    """Flatten a GX suite validation result into outcomes with readable observed and bad values."""
    outcomes = []
    for result in validation.results:
        config = result.expectation_config
        details = result.result or {}
        error = _exception(result)
        observed: str | None
        if error:
            observed = f"error: {error}"
        elif "unexpected_count" in details and details.get("element_count") is not None:
            observed = f"{details['unexpected_count']} of {details['element_count']} rows unexpected"
            if details.get("missing_count"):
                observed += f" ({details['missing_count']} null rows not judged)"
        elif "observed_value" in details:
            observed = _text(details["observed_value"])
        else:
            observed = None
        samples = [_text(v) for v in (details.get("partial_unexpected_list") or [])[:sample_size]]
        outcomes.append(
            ExpectationOutcome(
                table=table,
                expectation=_signature(config),
                description=config.description or "",
                success=bool(result.success) and not error,
                observed_value=observed,
                sample_bad_values=samples,
            )
        )
    return outcomes


def outcome_from_finding(finding: Finding) -> ExpectationOutcome:
    return ExpectationOutcome(
        table=finding.table,
        expectation=finding.expectation,
        description=finding.description,
        success=False,
        observed_value=finding.observed,
    )


def store_results(warehouse: Warehouse, report: CheckReport, checked_at: datetime) -> None:
    """Append this run's outcomes to `ops.dq_results` (a retried run id replaces its earlier rows)."""
    warehouse.execute("create schema if not exists ops")
    warehouse.execute(DQ_RESULTS_DDL)
    warehouse.execute(
        "delete from ops.dq_results where run_id = ? and suite = ?", [report.run_id, report.suite]
    )
    warehouse.executemany(
        "insert into ops.dq_results (run_id, suite, table_name, expectation, success, observed_value,"
        " sample_bad_values, checked_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                report.run_id,
                report.suite,
                o.table,
                o.expectation,
                o.success,
                o.observed_value,
                "; ".join(o.sample_bad_values) or None,
                checked_at,
            )
            for o in report.outcomes
        ],
    )
    warehouse.commit()


def build_data_docs(context: Any, result_ids: list[Any], site_dir: Path) -> Path | None:
    """Render this run's results (and the index) as HTML; the index path, or None if GX could not."""
    try:
        context.build_data_docs(resource_identifiers=result_ids or None)
    except Exception as exc:  # noqa: BLE001 - the gate's verdict must not depend on HTML rendering
        log.warning("GX Data Docs were not built: %s", exc)
        return None
    index = site_dir / "index.html"
    return index if index.exists() else None

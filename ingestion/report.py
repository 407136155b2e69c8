"""What an ingestion run tells its caller (CLI, Airflow task, tests): rows, rejects, cursors, failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SourceReport:
    """The outcome of one source's run. `rows` counts rows written per table by this run."""

    source: str
    ok: bool = True
    error: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    reject_reasons: dict[str, int] = field(default_factory=dict)
    cursors: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)

    def add_rows(self, table: str, count: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + count

    def add_rejects(self, reasons: list[str]) -> None:
        self.rejected += len(reasons)
        for reason in reasons:
            kind = reason.split(":", 1)[0]
            self.reject_reasons[kind] = self.reject_reasons.get(kind, 0) + 1

    def fail(self, message: str) -> None:
        self.ok = False
        self.error = message

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def describe(self) -> str:
        status = "ok" if self.ok else "FAILED"
        lines = [f"[{self.source}] {status}: {self.total_rows} rows loaded, {self.rejected} rejected"]
        for table, count in sorted(self.rows.items()):
            lines.append(f"  {table}: {count}")
        for reason, count in self.reject_reasons.items():
            lines.append(f"  rejected ({count}): {reason}")
        for name, value in sorted(self.cursors.items()):
            lines.append(f"  cursor {name}: {value}")
        for name, value in sorted(self.figures.items()):
            lines.append(f"  {name}: {value:g}" if isinstance(value, float) else f"  {name}: {value}")
        if self.error:
            lines.append(f"  error: {self.error}")
        return "\n".join(lines)


@dataclass
class IngestReport:
    """The outcome of `run_ingest`: one SourceReport per source, ok only when every source is."""

    sources: dict[str, SourceReport] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.sources.values())

    def describe(self) -> str:
        if not self.sources:
            return "No source ingested."
        return "\n".join(report.describe() for report in self.sources.values())

    def __getitem__(self, source: str) -> SourceReport:
        return self.sources[source]

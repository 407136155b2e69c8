"""What one sync run did, in numbers and in words (printed by `funnelhouse sync`, returned to Airflow)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FailureLine:
    """A write the CRM did not confirm, with the CRM's own error."""

    crm_contact_id: str | None
    person_id: str | None
    mql_event_id: str | None
    status: str  # failed (retried next run) or permanent_failure (not retried until the values change)
    error: str


@dataclass
class SyncReport:
    """Counts of one run; `ok` is False when any write failed or the run was halted."""

    run_id: str
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None = None
    planned: int = 0
    sent: int = 0
    confirmed: int = 0
    failed: int = 0
    permanent_failures: int = 0
    skipped: int = 0
    unchanged: int = 0
    deferred_contacts: int = 0
    batches: int = 0
    stale_stages: int = 0  # contacts the extraction showed before MQL whose later CRM stage the CRM kept
    failures: list[FailureLine] = field(default_factory=list)
    skip_reasons: dict[str, int] = field(default_factory=dict)
    crm_calls: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    halted: str | None = None

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.permanent_failures == 0 and self.halted is None

    def add_skip(self, reason: str) -> None:
        self.skipped += 1
        key = reason.split(":")[0].split("(")[0].strip()
        self.skip_reasons[key] = self.skip_reasons.get(key, 0) + 1

    def describe(self) -> str:
        """A readable summary: counts first, then every failure with its error, then notes."""
        mode = "DRY RUN (nothing written to the CRM nor to ops.sync_state)" if self.dry_run else "sync"
        lines = [
            f"{mode} {self.run_id}: {'ok' if self.ok else 'NOT OK'}",
            f"  planned {self.planned}, sent {self.sent}, confirmed {self.confirmed}, failed {self.failed}, "
            f"permanent failures {self.permanent_failures}, skipped {self.skipped}, unchanged {self.unchanged}"
            + (
                f", deferred by --limit {self.deferred_contacts} contact(s)" if self.deferred_contacts else ""
            ),
            f"  batches {self.batches}"
            + (f", stale extracted stages kept by the CRM {self.stale_stages}" if self.stale_stages else "")
            + "; CRM calls: "
            + ", ".join(f"{k} {v}" for k, v in self.crm_calls.items()),
        ]
        if self.halted:
            lines.append(f"  HALTED: {self.halted}")
        for reason, count in sorted(self.skip_reasons.items()):
            lines.append(f"  skipped {count}: {reason}")
        if self.failures:
            lines.append("  failures (see ops.sync_log for every row):")
            for failure in self.failures[:50]:
                lines.append(
                    f"    contact {failure.crm_contact_id} (person {failure.person_id}, event {failure.mql_event_id}):"
                    f" {failure.status}: {failure.error}"
                )
            if len(self.failures) > 50:
                lines.append(f"    ... and {len(self.failures) - 50} more")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)

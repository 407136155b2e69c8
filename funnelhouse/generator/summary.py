"""What a generated world holds, in numbers: for the CLI, tests, benchmarks and `world.json`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WorldSummary:
    """Counts of a world. Every count is also an attribute: `summary.contacts`, `summary.deals_won`."""

    seed: int
    days: int
    start: str
    end: str
    counts: dict[str, int] = field(default_factory=dict)

    def __getattr__(self, name: str) -> int:
        counts = object.__getattribute__(self, "counts")
        if name in counts:
            return counts[name]
        raise AttributeError(f"WorldSummary has no count named {name!r}; known: {', '.join(sorted(counts))}")

    def as_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "days": self.days, "start": self.start, "end": self.end, **self.counts}

    @property
    def events(self) -> int:
        return self.counts["web_events"] + self.counts["email_events"]

    def describe(self) -> str:
        c = self.counts
        lines = [
            f"World of {self.days} days, {self.start} .. {self.end} (seed {self.seed})",
            "  CRM: "
            + ", ".join(
                f"{c[name]} {name}"
                for name in (
                    "contacts",
                    "companies",
                    "deals",
                    "calls",
                    "emails",
                    "tasks",
                    "meetings",
                    "owners",
                )
            ),
            f"  web: {c['web_events']} events from {c['visitors']} visitors ({c['identified_visitors']} identified),"
            f" {c['web_duplicates']} retried, {c['web_late']} late",
            f"  e-mail: {c['email_events']} SendGrid events, {c['email_duplicates']} retried,"
            f" {c['unknown_address_events']} for an address unknown to the CRM",
            f"  funnel: {c['mql_contacts']} MQL contacts ({c['re_mqls']} re-MQL after recycling),"
            f" {c['inquiries']} inquiries, {c['accepted']} accepted, {c['rejected']} rejected,"
            f" {c['recycled']} recycled, {c['untreated']} never followed up",
            f"  deals: {c['deals_won']} won, {c['deals_closedlost']} lost, {c['deals_lost_to_competitor']} lost to"
            f" a competitor, {c['deals_no_decision']} no decision, {c['deals_open']} open"
            f" ({c['stalled_deals']} stalled, {c['rushed_deals']} rushed); {c['customers']} customers",
        ]
        return "\n".join(lines)

"""What the simulation of every entity shares: the window, id counters, owners, the open files, tallies."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from funnelhouse.generator.clock import Window
from funnelhouse.generator.crm_records import CrmRecord, IdAllocator
from funnelhouse.generator.email_events import EmailCampaign, EmailSink
from funnelhouse.generator.jsonl import JsonlFile
from funnelhouse.generator.owners import Owner
from funnelhouse.generator.rng import Deck, derive
from funnelhouse.generator.scoring import ScoringRules
from funnelhouse.generator.web_events import WebSink

CRM_OBJECTS = ("contacts", "companies", "deals", "calls", "emails", "tasks", "meetings")


@dataclass
class Tally:
    """Behaviour counts the summary reports and tests check (each rule must happen at least once)."""

    mql_events: int = 0
    mql_contacts: int = 0
    re_mqls: int = 0
    inquiries: int = 0
    untreated: int = 0
    accepted: int = 0
    rejected: int = 0
    recycled: int = 0
    stalled_deals: int = 0
    rushed_deals: int = 0
    customers: int = 0
    deals_won: int = 0
    deals_closedlost: int = 0
    deals_lost_to_competitor: int = 0
    deals_no_decision: int = 0
    deals_open: int = 0
    small_companies: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class WorldState:
    seed: int
    window: Window
    owners: list[Owner]
    web: WebSink
    email: EmailSink
    campaigns: list[EmailCampaign]
    crm: dict[str, JsonlFile]
    scoring: ScoringRules  # the qualification contract, as the marketing automation applies it
    ids: IdAllocator = field(default_factory=IdAllocator)
    tally: Tally = field(default_factory=Tally)
    _round_robin: int = 0
    deal_fates: Deck = field(init=False)

    def __post_init__(self) -> None:
        fates = {"closedwon": 4, "closedlost": 2, "lost_to_competitor": 2, "no_decision": 1}
        self.deal_fates = Deck(derive(self.seed, "deck", "deal-fates"), fates)

    @classmethod
    def open_crm(cls, out: Path) -> dict[str, JsonlFile]:
        return {name: JsonlFile(out / "crm" / f"{name}.jsonl") for name in CRM_OBJECTS}

    def next_owner(self) -> Owner:
        """Round-robin assignment, as a HubSpot rotation workflow does."""
        owner = self.owners[self._round_robin % len(self.owners)]
        self._round_robin += 1
        return owner

    def owner(self, owner_id: str) -> Owner:
        return next(o for o in self.owners if o.id == owner_id)

    def write(self, record: CrmRecord) -> None:
        self.crm[record.object_type].write(record.to_json())

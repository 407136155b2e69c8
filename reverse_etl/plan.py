"""Decides what a run must write: the diff between the mart's promotions and `ops.sync_state`.

Per CRM contact, the promotions after the last one the CRM confirmed are pending; they are applied in
order, one per round, so two promotions of one contact never share a batch and each shows up in the
CRM's property history as its own change. A contact with nothing pending is re-sent only when the values
of its last confirmed promotion changed in the mart (a re-scored row). A promotion the CRM refused for
good stays skipped until its values change. A promotion older than the one already on the CRM (a late
row) is not sent: writing it would move `funnelhouse_mql_at` backwards.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from reverse_etl.config import SyncConfig
from reverse_etl.source import Promotion, as_utc, payload_hash
from reverse_etl.state import ContactState

# Actions recorded in ops.sync_log.
CREATE = "create"  # the first promotion written to a contact (its Funnelhouse properties get filled)
UPDATE = "update"  # a later promotion (re-MQL) of a contact already synced
RESCORE = "rescore"  # the last confirmed promotion's values changed in the mart
SKIP = "skip"  # nothing is written for this promotion; `reason` says why
KEEP_STAGE = "keep_stage"  # score fields sent, lifecycle stage not (contact already later in the cycle)


@dataclass(frozen=True)
class PlannedWrite:
    """One input of a batch update: a contact, the promotion it carries and the score values."""

    promotion: Promotion
    action: str
    round: int
    values: dict[str, str]
    reason: str

    @property
    def crm_contact_id(self) -> str:
        assert self.promotion.crm_contact_id is not None
        return self.promotion.crm_contact_id

    @property
    def payload_hash(self) -> str:
        return payload_hash(self.values)

    @property
    def sets_stage(self) -> bool:
        """Promotions move the lifecycle stage; a re-score only corrects the score fields."""
        return self.action in (CREATE, UPDATE)


@dataclass(frozen=True)
class Skip:
    """A promotion that is not sent, with the reason shown to the user and logged."""

    promotion: Promotion
    reason: str


@dataclass
class Plan:
    """Writes grouped by round (round 1 first), skips, and how many contacts were already up to date."""

    rounds: list[list[PlannedWrite]] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    unchanged: int = 0
    deferred_contacts: int = 0

    @property
    def writes(self) -> list[PlannedWrite]:
        return [w for r in self.rounds for w in r]

    @property
    def promotions_count(self) -> int:
        """Promotions (not re-scores) this run would send: what the circuit breaker judges."""
        return sum(1 for w in self.writes if w.sets_stage)


def make_plan(
    promotions: list[Promotion],
    states: dict[str, ContactState],
    config: SyncConfig,
    *,
    limit: int | None = None,
) -> Plan:
    """The writes this run needs, at most `limit` contacts (the oldest pending promotions first)."""
    plan = Plan()
    by_contact: dict[str, list[Promotion]] = defaultdict(list)
    for promotion in promotions:
        if promotion.crm_contact_id is None:
            plan.skips.append(
                Skip(promotion, "no CRM contact for this person (crm_contact_id is null): nothing to update")
            )
            continue
        by_contact[promotion.crm_contact_id].append(promotion)

    per_contact: list[list[PlannedWrite]] = []
    for contact_id, contact_promotions in by_contact.items():
        contact_promotions.sort(key=lambda p: p.order_key)
        skips_before = len(plan.skips)
        writes = _contact_writes(contact_promotions, states.get(contact_id), config, plan)
        if writes:
            per_contact.append(writes)
        elif len(plan.skips) == skips_before:
            plan.unchanged += 1

    per_contact.sort(key=lambda ws: (ws[0].promotion.mql_at, ws[0].crm_contact_id))
    if limit is not None and len(per_contact) > limit:
        plan.deferred_contacts = len(per_contact) - limit
        per_contact = per_contact[:limit]
    depth = max((len(ws) for ws in per_contact), default=0)
    plan.rounds = [[ws[i] for ws in per_contact if len(ws) > i] for i in range(depth)]
    return plan


def _contact_writes(
    promotions: list[Promotion], state: ContactState | None, config: SyncConfig, plan: Plan
) -> list[PlannedWrite]:
    """Pending promotions of one contact in order, or one re-score, or nothing."""
    by_id = {p.mql_event_id: p for p in promotions}
    floor = None  # order key of the newest promotion that is settled (confirmed, or refused for good)
    if state and state.last_mql_event_id and state.last_mql_at is not None:
        floor = (as_utc(state.last_mql_at), state.last_mql_sequence or 0, state.last_mql_event_id)

    if state and state.failed_mql_event_id:
        failed = by_id.get(state.failed_mql_event_id)
        if failed is not None and payload_hash(failed.score_values(config)) == state.failed_payload_hash:
            if floor is None or failed.order_key > floor:
                plan.skips.append(
                    Skip(
                        failed,
                        f"the CRM refused this promotion for good ({state.failed_error}); it is not retried "
                        "until its values change in the mart",
                    )
                )
                floor = failed.order_key

    applied_id = state.last_mql_event_id if state else None
    pending = [
        p for p in promotions if p.mql_event_id != applied_id and (floor is None or p.order_key > floor)
    ]
    if pending:
        writes = []
        for index, promotion in enumerate(pending):
            first = index == 0 and applied_id is None
            action = CREATE if first else UPDATE
            kind = "first MQL" if promotion.mql_sequence <= 1 else f"re-MQL #{promotion.mql_sequence}"
            values = promotion.score_values(config)
            writes.append(
                PlannedWrite(
                    promotion=promotion,
                    action=action,
                    round=index + 1,
                    values=values,
                    reason=f"{kind} at {values[config.property_mql_at]}",
                )
            )
        return writes

    if applied_id and applied_id in by_id and state is not None:
        current = by_id[applied_id]
        values = current.score_values(config)
        if payload_hash(values) != state.payload_hash:
            changed = [
                f"{name}: {state.confirmed_values.get(name, '')!r} -> {value!r}"
                for name, value in values.items()
                if state.confirmed_values.get(name) != value
            ]
            return [
                PlannedWrite(
                    promotion=current,
                    action=RESCORE,
                    round=1,
                    values=values,
                    reason="values changed in the mart: " + "; ".join(changed),
                )
            ]
    return []

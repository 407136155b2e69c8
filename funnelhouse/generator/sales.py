"""What happens after a lead reaches sales: assignment, follow-up, accept/reject/recycle, the deal.

`work_lead` plays a lead forward from its MQL (or inquiry) to the end of the world, following the
assigned rep's habit, and says whether the lead came back to marketing (recycled) and when.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from funnelhouse.generator.clock import DAY, HOUR, MINUTE, SECOND, iso
from funnelhouse.generator.crm_records import CrmRecord, Source
from funnelhouse.generator.engagements import book_meeting, create_task, log_call, log_email
from funnelhouse.generator.firmographics import Company
from funnelhouse.generator.owners import Owner
from funnelhouse.generator.rng import between, chance, log_uniform
from funnelhouse.generator.state import WorldState

ASSIGNMENT = Source("AUTOMATION_PLATFORM", "workflow:101-mql-round-robin")
DEAL_AUTOMATION = Source("AUTOMATION_PLATFORM", "workflow:102-deal-lifecycle-sync")

# Standard days at each open stage, as in models/qualification_contract.yml (stalled beyond 2x the
# standard, rushed below 0.25x): the habits below are placed on either side of those lines.
STAGES = (("needs_analysis", 7), ("proposal", 10), ("pricing", 7), ("presentation", 7), ("negotiation", 10))
NEXT_STEPS = {
    "needs_analysis": "Discovery call: confirm budget and decision makers",
    "proposal": "Send the proposal",
    "pricing": "Send the quote",
    "presentation": "Demo to the buying committee",
    "negotiation": "Agree terms and sign",
}


@dataclass
class Outcome:
    """How a lead left sales: recycled at a time (back to nurturing), or held by sales for good."""

    recycled_ms: int | None = None


@dataclass
class CompanyState:
    company: Company
    record: CrmRecord


def rep(owner: Owner) -> Source:
    return Source("CRM_UI", f"userId:{owner.user_id}", owner.user_id)


def work_lead(
    world: WorldState,
    rng: random.Random,
    contact: CrmRecord,
    company: CompanyState,
    at_ms: int,
    inquiry: bool,
    name: str,
) -> Outcome:
    """Assign the lead at `at_ms` and play the rep's follow-up until an outcome or the world's end."""
    end = world.window.end_ms
    previous = contact.properties.get("hubspot_owner_id")
    owner = world.owner(previous) if previous else world.next_owner()
    assigned = at_ms + between(rng, 20, 180) * SECOND
    if assigned > end:
        return Outcome()
    if previous != owner.id:
        assigned = contact.set("hubspot_owner_id", owner.id, assigned, ASSIGNMENT)
    if company.record.properties.get("hubspot_owner_id") is None:
        company.record.set("hubspot_owner_id", owner.id, assigned, ASSIGNMENT)
    if contact.properties.get("hs_lead_status") != "NEW":
        assigned = contact.set("hs_lead_status", "NEW", assigned, ASSIGNMENT)

    habit = owner.habit
    first_touch = None
    if habit.first_touch_ms is not None:
        first_touch = assigned + int(log_uniform(rng, *habit.first_touch_ms))
    what = "demo request" if inquiry else "new MQL"
    create_task(
        world,
        assigned,
        assigned + DAY,
        owner,
        contact,
        f"Follow up {what}: {name}",
        "CALL",
        completed_ms=first_touch,
    )
    if first_touch is None:
        world.tally.untreated += 1
        return Outcome()

    connected_at = _reach(world, rng, contact, owner, first_touch, inquiry)
    if connected_at is None:
        return Outcome(_no_reach_outcome(world, rng, contact, owner))
    if connected_at > end:
        return Outcome()

    # The rep decides after talking: accept (SAL), reject, or recycle for later.
    decided = connected_at + int(rng.uniform(10 * MINUTE, 2 * DAY))
    if decided > end:
        return Outcome()
    fit = company.company.fits
    roll = rng.random()
    accept_share, reject_share = (0.7, 0.14) if fit else (0.2, 0.6)
    if roll >= accept_share + reject_share:
        return Outcome(_recycle(world, contact, owner, decided))
    if roll >= accept_share:
        contact.set("hs_lead_status", "UNQUALIFIED", decided, rep(owner))
        world.tally.rejected += 1
        return Outcome()
    contact.set("hs_lead_status", "IN_PROGRESS", decided, rep(owner))
    world.tally.accepted += 1
    return Outcome(_qualify(world, rng, contact, company, owner, decided, name))


def _reach(
    world: WorldState, rng: random.Random, contact: CrmRecord, owner: Owner, first_ms: int, inquiry: bool
) -> int | None:
    """The cadence: up to 3 calls and 3 e-mails over about two weeks, until the lead answers."""
    t = first_ms
    gap = (4 * HOUR, 1 * DAY) if owner.habit.name == "fast_responder" else (1 * DAY, 3 * DAY)
    connect_chance = 0.55 if inquiry else 0.4
    for attempt in range(6):
        if t > world.window.end_ms:
            return t
        if attempt % 2 == 0:
            connected = chance(rng, connect_chance)
            log_call(world, rng, t, owner, contact, connected, f"Follow-up call #{attempt // 2 + 1}")
            if connected:
                contact.set("hs_lead_status", "CONNECTED", t + 5 * MINUTE, rep(owner))
                return t + 5 * MINUTE
        else:
            log_email(world, t, owner, contact, "Following up on your interest")
            if chance(rng, 0.15):
                reply = t + int(rng.uniform(1 * HOUR, 1 * DAY))
                if reply <= world.window.end_ms:
                    log_email(
                        world, reply, owner, contact, "Re: Following up on your interest", incoming=True
                    )
                    contact.set("hs_lead_status", "CONNECTED", reply, rep(owner))
                    return reply
        if attempt == 0:
            contact.set("hs_lead_status", "ATTEMPTED_TO_CONTACT", t + 1 * MINUTE, rep(owner))
        t += int(rng.uniform(*gap))
    return None


def _no_reach_outcome(world: WorldState, rng: random.Random, contact: CrmRecord, owner: Owner) -> int | None:
    """Six attempts without an answer: recycle (try again later) or mark unqualified."""
    at = contact.last_change_ms + int(rng.uniform(1 * DAY, 3 * DAY))
    if at > world.window.end_ms:
        return None
    if chance(rng, 0.6):
        return _recycle(world, contact, owner, at)
    contact.set("hs_lead_status", "UNQUALIFIED", at, rep(owner))
    world.tally.rejected += 1
    return None


def _recycle(world: WorldState, contact: CrmRecord, owner: Owner, at: int) -> int:
    """Back to marketing: lead status BAD_TIMING, lifecycle stage back to lead (nurturing)."""
    at = contact.set("hs_lead_status", "BAD_TIMING", at, rep(owner))
    contact.set("lifecyclestage", "lead", at + SECOND, rep(owner))
    world.tally.recycled += 1
    return at + SECOND


def _qualify(
    world: WorldState,
    rng: random.Random,
    contact: CrmRecord,
    company: CompanyState,
    owner: Owner,
    accepted_ms: int,
    name: str,
) -> int | None:
    """BANT in a discovery meeting; an opportunity if it holds, else the lead drifts and is recycled."""
    end = world.window.end_ms
    booked = accepted_ms + 10 * MINUTE
    start = _working_hours(accepted_ms + int(rng.uniform(1 * DAY, 5 * DAY)))
    _, held = book_meeting(world, rng, booked, start, owner, contact, f"Discovery call with {name}")
    if not held:
        if start > end:
            return None
        start = _working_hours(start + int(rng.uniform(2 * DAY, 6 * DAY)))
        _, held = book_meeting(
            world, rng, start - 2 * DAY, start, owner, contact, f"Discovery call (rebooked): {name}"
        )
        if not held:
            return None
    decided = start + int(rng.uniform(1 * HOUR, 2 * DAY))
    if decided > end:
        return None
    if chance(rng, 0.75 if company.company.fits else 0.25):
        return _open_deal(world, rng, contact, company, owner, decided, name)
    drift = decided + int(rng.uniform(5 * DAY, 20 * DAY))
    if drift > end:
        return None
    if chance(rng, 0.6):
        return _recycle(world, contact, owner, drift)
    contact.set("hs_lead_status", "UNQUALIFIED", drift, rep(owner))
    world.tally.rejected += 1
    return None


def _working_hours(ms: int) -> int:
    """Move a meeting to 09:00-17:00 UTC on its day (or the next morning)."""
    hour = (ms % DAY) // HOUR
    if hour < 9:
        return ms - (ms % DAY) + 9 * HOUR + (ms % HOUR)
    if hour >= 17:
        return ms - (ms % DAY) + DAY + 9 * HOUR + (ms % HOUR)
    return ms


def _open_deal(
    world: WorldState,
    rng: random.Random,
    contact: CrmRecord,
    company: CompanyState,
    owner: Owner,
    created_ms: int,
    name: str,
) -> int | None:
    """The opportunity: stages with the rep's speed, stalls, and a won / lost / open ending."""
    end = world.window.end_ms
    who = rep(owner)
    contact.set("lifecyclestage", "salesqualifiedlead", created_ms - 2 * MINUTE, who)
    deal = CrmRecord("deals", world.ids.next("deals"), created_ms)
    employees = company.company.employees
    amount = int(min(250_000, 4_000 + employees * rng.uniform(8, 25)) // 500 * 500)
    expected_close = created_ms + sum(days for _, days in STAGES) * DAY
    deal.properties = {
        "dealname": f"{company.company.name} - Funnelhouse Demo",
        "amount": str(amount),
        "pipeline": "sales",
        "dealstage": None,
        "closedate": iso(expected_close),
        "hubspot_owner_id": None,
        "hs_next_step": NEXT_STEPS["needs_analysis"],
        "notes_next_activity_date": iso(created_ms + 2 * DAY),
        "createdate": iso(created_ms),
    }
    deal.set("dealstage", "needs_analysis", created_ms, who)
    deal.set("hubspot_owner_id", owner.id, created_ms, who)
    deal.associate(contact)
    deal.associate(company.record)
    contact.set("lifecyclestage", "opportunity", created_ms + SECOND, DEAL_AUTOMATION)
    contact.set("hs_lead_status", "OPEN_DEAL", created_ms + SECOND, who)

    habit = owner.habit
    # The deal's fate is dealt when it opens (a deck, so every ending shows up even in a small world):
    # a loss happens at some stage, and winning deals move faster than the rest.
    if habit.holds_dead_deals and chance(rng, 0.65):
        # A dead deal: it dies early, but the rep keeps it open far beyond the standard.
        fate = rng.choice(("closedlost", "no_decision"))
        exit_at = stall_at = rng.randrange(2)
    else:
        fate = world.deal_fates.deal()
        # Most losses come early in the pipeline.
        exit_at = (
            len(STAGES) - 1 if fate == "closedwon" else min(rng.randrange(4), rng.randrange(len(STAGES)))
        )
        # Now and then a deal stalls at an early stage and is handed back to marketing.
        stall_at = rng.randrange(min(exit_at, 2) + 1) if chance(rng, 0.15) else None
    pace = 0.7 if fate == "closedwon" else 1.0
    rushed = False
    recycled_ms = None
    t = created_ms
    outcome: str | None = None
    for index, (stage, standard_days) in enumerate(STAGES[: exit_at + 1]):
        if index > 0:
            if t > end:
                break
            deal.set("dealstage", stage, t, who)
            deal.properties["hs_next_step"] = NEXT_STEPS[stage]
        factor = rng.uniform(*habit.stage_speed) * pace
        rushed = rushed or factor < 0.25
        stalled = index == stall_at
        if stalled:
            factor = rng.uniform(4, 10) if habit.holds_dead_deals else rng.uniform(3, 5)
        stay = int(standard_days * DAY * factor)
        _stage_activity(world, rng, contact, deal, owner, stage, t, min(t + stay, end), name)
        deal.properties["notes_next_activity_date"] = iso(
            t + min(stay, 3 * DAY) if stalled else t + stay // 2
        )
        t += stay
        if t > end:
            if stalled:
                world.tally.stalled_deals += 1
            break
        if stalled and not habit.holds_dead_deals:
            outcome = "no_decision"  # handed back to marketing for nurturing
            break
    else:
        outcome = fate

    if outcome is not None and t <= end:
        closed = deal.set("dealstage", outcome, t, who)
        deal.properties["closedate"] = iso(closed)
        deal.properties["hs_next_step"] = None
        deal.properties["notes_next_activity_date"] = None
        if outcome == "closedwon":
            world.tally.deals_won += 1
            world.tally.customers += 1
            contact.set("lifecyclestage", "customer", closed + SECOND, DEAL_AUTOMATION)
        else:
            setattr(world.tally, f"deals_{outcome}", getattr(world.tally, f"deals_{outcome}") + 1)
            if stall_at is not None and not habit.holds_dead_deals:
                recycled_ms = _recycle(world, contact, owner, closed + HOUR)
    else:
        world.tally.deals_open += 1
    if rushed:
        world.tally.rushed_deals += 1
    world.write(deal)
    return recycled_ms


def _stage_activity(
    world: WorldState,
    rng: random.Random,
    contact: CrmRecord,
    deal: CrmRecord,
    owner: Owner,
    stage: str,
    start: int,
    stop: int,
    name: str,
) -> None:
    """A call or e-mail per stage, the demo meeting, and the next-step task."""
    span = max(stop - start, 10 * MINUTE)
    at = start + int(span * rng.uniform(0.1, 0.6))
    if stage == "presentation":
        book_meeting(
            world, rng, start + 5 * MINUTE, _working_hours(at), owner, contact, f"Demo for {name}", deal
        )
    elif stage in ("proposal", "pricing"):
        log_email(world, at, owner, contact, f"{NEXT_STEPS[stage]} - {deal.properties['dealname']}", deal)
    else:
        log_call(world, rng, at, owner, contact, True, f"{stage.replace('_', ' ').title()} call", deal)
    due = start + span // 2
    create_task(
        world,
        start + MINUTE,
        due,
        owner,
        contact,
        NEXT_STEPS[stage],
        "TODO",
        completed_ms=due if due <= stop else None,
        deal=deal,
    )

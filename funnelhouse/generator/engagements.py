"""Calls, e-mails, tasks and meetings a rep logs: the activity SLA follow-up is measured from.

Each engagement is complete when created, so it is written at once; it links itself to its contact
(and deal) in memory, and those records list it when they are written later.
"""

from __future__ import annotations

import random

from funnelhouse.generator.clock import MINUTE, SECOND, iso
from funnelhouse.generator.crm_records import CrmRecord
from funnelhouse.generator.owners import Owner
from funnelhouse.generator.rng import between
from funnelhouse.generator.state import WorldState


def _engagement(
    world: WorldState,
    kind: str,
    at_ms: int,
    created_ms: int,
    owner: Owner,
    properties: dict[str, str],
    contact: CrmRecord,
    deal: CrmRecord | None,
    modified_ms: int | None = None,
) -> CrmRecord | None:
    if created_ms > world.window.end_ms:
        return None
    record = CrmRecord(kind, world.ids.next(kind), created_ms)
    record.properties = {
        "hs_timestamp": iso(at_ms),
        **properties,
        "hubspot_owner_id": owner.id,
        "hs_createdate": iso(created_ms),
    }
    record.modified_ms = max(created_ms, min(modified_ms or created_ms, world.window.end_ms))
    record.associate(contact)
    if deal is not None:
        record.associate(deal)
    world.write(record)
    return record


def log_call(
    world: WorldState,
    rng: random.Random,
    at_ms: int,
    owner: Owner,
    contact: CrmRecord,
    connected: bool,
    title: str,
    deal: CrmRecord | None = None,
    inbound: bool = False,
) -> CrmRecord | None:
    status = "COMPLETED" if connected else rng.choice(("NO_ANSWER", "NO_ANSWER", "BUSY"))
    duration = between(rng, 4, 40) * MINUTE if connected else between(rng, 5, 40) * SECOND
    return _engagement(
        world,
        "calls",
        at_ms,
        at_ms + duration + 30 * SECOND,
        owner,
        {
            "hs_call_title": title,
            "hs_call_direction": "INBOUND" if inbound else "OUTBOUND",
            "hs_call_status": status,
            "hs_call_duration": str(duration),
        },
        contact,
        deal,
    )


def log_email(
    world: WorldState,
    at_ms: int,
    owner: Owner,
    contact: CrmRecord,
    subject: str,
    deal: CrmRecord | None = None,
    incoming: bool = False,
) -> CrmRecord | None:
    return _engagement(
        world,
        "emails",
        at_ms,
        at_ms + 5 * SECOND,
        owner,
        {
            "hs_email_subject": subject,
            "hs_email_direction": "INCOMING_EMAIL" if incoming else "EMAIL",
            "hs_email_status": "SENT",
        },
        contact,
        deal,
    )


def create_task(
    world: WorldState,
    created_ms: int,
    due_ms: int,
    owner: Owner,
    contact: CrmRecord,
    subject: str,
    task_type: str,
    completed_ms: int | None,
    deal: CrmRecord | None = None,
) -> CrmRecord | None:
    """A task due at `due_ms`; COMPLETED only if it was done before the world ends."""
    done = completed_ms is not None and completed_ms <= world.window.end_ms
    return _engagement(
        world,
        "tasks",
        due_ms,
        created_ms,
        owner,
        {
            "hs_task_subject": subject,
            "hs_task_type": task_type,
            "hs_task_status": "COMPLETED" if done else "NOT_STARTED",
        },
        contact,
        deal,
        modified_ms=completed_ms if done else created_ms,
    )


def book_meeting(
    world: WorldState,
    rng: random.Random,
    booked_ms: int,
    start_ms: int,
    owner: Owner,
    contact: CrmRecord,
    title: str,
    deal: CrmRecord | None = None,
) -> tuple[CrmRecord | None, bool]:
    """A meeting booked now for later; returns it and whether it took place before the world ends."""
    end_ms = start_ms + rng.choice((30, 45, 60)) * MINUTE
    if end_ms > world.window.end_ms:
        outcome, held, modified = "SCHEDULED", False, booked_ms
    else:
        roll = rng.random()
        outcome = "COMPLETED" if roll < 0.82 else ("NO_SHOW" if roll < 0.93 else "CANCELED")
        held, modified = outcome == "COMPLETED", end_ms + 10 * MINUTE
    record = _engagement(
        world,
        "meetings",
        start_ms,
        booked_ms,
        owner,
        {
            "hs_meeting_title": title,
            "hs_meeting_start_time": iso(start_ms),
            "hs_meeting_end_time": iso(end_ms),
            "hs_meeting_outcome": outcome,
        },
        contact,
        deal,
        modified_ms=modified,
    )
    return record, held

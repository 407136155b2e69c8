"""`generate_world`: writes a whole demo world, company by company, in bounded memory.

Each company (with its contacts, their deals and engagements) is simulated and written before the
next begins; web and e-mail events stream into day partitions as they happen. Only the owners, the
campaign calendar and per-day write buffers live for the whole run.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from funnelhouse.generator import catalog
from funnelhouse.generator.clock import DAY, MINUTE, SECOND, Window, iso, today_utc
from funnelhouse.generator.crm_records import CrmRecord, Source
from funnelhouse.generator.email_events import EmailSink, campaign_calendar, mail_unknown_address
from funnelhouse.generator.firmographics import make_company, make_person
from funnelhouse.generator.journey import Journey
from funnelhouse.generator.jsonl import JsonlFile, PartitionedJsonl, dumps
from funnelhouse.generator.owners import make_owners
from funnelhouse.generator.properties import contact_properties
from funnelhouse.generator.rng import derive
from funnelhouse.generator.sales import CompanyState
from funnelhouse.generator.scoring import ScoringRules, default_rules
from funnelhouse.generator.state import CRM_OBJECTS, WorldState
from funnelhouse.generator.summary import WorldSummary
from funnelhouse.generator.visitors import VISITORS_PER_CONTACT, simulate_visitors
from funnelhouse.generator.web_events import WebSink

GENERATOR_VERSION = "2"  # 2: the CRM's MQL rule follows the qualification contract
_OWNED_PATHS = ("world.json", "crm", "web", "email")
# The Segment track events the journeys send (besides `Form Submitted`).
TRACK_EVENTS = (
    "Newsletter Subscribed",
    "White Paper Downloaded",
    "Webinar Registered",
    "Webinar Attended",
    "Competitive Analysis Downloaded",
    "Demo Requested",
    "Contact Sales Requested",
)


def generate_world(
    out: Path,
    contacts: int,
    days: int,
    seed: int,
    end: date | None = None,
    scoring: ScoringRules | None = None,
) -> WorldSummary:
    """Write a deterministic world of `contacts` CRM contacts over the `days` days ending on `end`.

    The CRM's marketing automation promotes leads to MQL by `scoring`, by default the qualification
    contract shipped in `models/`. Same arguments give byte-identical files. Files a previous run wrote
    in `out` (world.json, crm/, web/, email/) are replaced; anything else in `out` is left alone.
    """
    if contacts < 1:
        raise ValueError(f"contacts must be at least 1, got {contacts}")
    window = Window.ending(end or today_utc(), days)
    out = Path(out)
    _clear_previous(out)

    web = WebSink(PartitionedJsonl(out / "web"), window)
    email = EmailSink(PartitionedJsonl(out / "email"), window)
    owners = make_owners(derive(seed, "owners"), contacts)
    world = WorldState(
        seed,
        window,
        owners,
        web,
        email,
        campaign_calendar(seed, window),
        WorldState.open_crm(out),
        scoring or default_rules(),
    )
    try:
        _simulate_companies(world, contacts)
        simulate_visitors(world, contacts * VISITORS_PER_CONTACT)
        mail_unknown_address(email, seed, world.campaigns)
        _write_owners(out, world)
    finally:
        for handle in world.crm.values():
            handle.close()
        web.out.close()
        email.out.close()
    properties = JsonlFile(out / "crm" / "properties" / "contacts.jsonl")
    for prop in contact_properties():
        properties.write(prop)
    properties.close()

    counts = {name: world.crm[name].count for name in CRM_OBJECTS}
    counts.update(
        owners=len(owners),
        web_events=web.out.count,
        email_events=email.out.count,
        visitors=web.visitors,
        identified_visitors=web.identifies,
        web_duplicates=web.duplicates,
        web_late=web.late,
        email_duplicates=email.duplicates,
        unknown_address_events=email.unknown_address_events,
        campaigns=len(world.campaigns),
        **world.tally.as_dict(),
    )
    summary = WorldSummary(
        seed=seed, days=days, start=iso(window.start_ms), end=iso(window.end_ms), counts=counts
    )
    _write_metadata(out, summary, contacts, world)
    return summary


def _clear_previous(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in _OWNED_PATHS:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _simulate_companies(world: WorldState, contacts: int) -> None:
    seed, window = world.seed, world.window
    name_offset = derive(seed, "company-names").randrange(240)
    # The trade show of the world's first days: badge scans arrive by import, some asking for a demo.
    trade_show = _contact_created(0.0, window) + int(
        derive(seed, "trade-show").uniform(0, min(3 * DAY, window.span_ms / 4))
    )
    remaining = contacts
    index = 0
    while remaining > 0:
        rng = derive(seed, "company", index)
        company = make_company(rng, index, name_offset)
        size = min(remaining, 1 + min(12, int(rng.expovariate(1 / 1.6))))
        created = sorted(_contact_created(rng.random(), window) for _ in range(size))
        plan = []  # (id, rng, source, created): sources first, since badge scans date from the trade show
        for created_ms in created:
            contact_id = world.ids.next("contacts")
            person_rng = derive(seed, "contact", contact_id)
            source = person_rng.choices(
                [s[0] for s in catalog.SOURCES], weights=[s[1] for s in catalog.SOURCES]
            )[0]
            if source == "OFFLINE":
                created_ms = trade_show + int(person_rng.uniform(0, 2 * DAY))
            plan.append((contact_id, person_rng, source, created_ms))
        record = CrmRecord("companies", world.ids.next("companies"), min(p[3] for p in plan) + 2 * SECOND)
        record.properties = {
            "name": company.name,
            "domain": company.domain,
            "industry": company.industry,
            "numberofemployees": str(company.employees),
            "annualrevenue": str(company.revenue),
            "country": company.country,
            "city": company.city,
            "hubspot_owner_id": None,
            "createdate": iso(record.created_ms),
        }
        if not company.fits:
            world.tally.small_companies += 1
        state = CompanyState(company, record)
        emails: set[str] = set()
        for contact_id, person_rng, source, created_ms in plan:
            person = make_person(person_rng, company, emails)
            contact = Journey(world, person_rng, state, person, contact_id, source, created_ms).run()
            contact.associate(record)
            world.write(contact)
        world.write(record)
        remaining -= size
        index += 1


def _contact_created(u: float, window: Window) -> int:
    """Creation times lean early (u**2: a world has a backlog of older leads), so more contacts have time to travel the funnel."""
    # Not in the first or last hour: the visit and form that create a contact happen inside the window.
    earliest = window.start_ms + min(60 * MINUTE, window.span_ms // 4)
    latest = window.end_ms - min(2 * 60 * MINUTE, window.span_ms // 4)
    return earliest + int((latest - earliest) * u**2)


def _write_owners(out: Path, world: WorldState) -> None:
    handle = JsonlFile(out / "crm" / "owners.jsonl")
    created = world.window.start_ms - 400 * 24 * 60 * MINUTE
    for owner in world.owners:
        handle.write(owner.record(created))
    handle.close()


def _scoring_metadata(scoring: ScoringRules) -> dict:
    """The CRM's MQL rule in world.json: the contract it plays, its bar and the points of the form events."""
    return {
        "contract_version": scoring.contract_version,
        "mql_threshold": scoring.threshold,
        "mql_min_engagement": scoring.min_engagement,
        "points": scoring.points_example("web_track", TRACK_EVENTS),
    }


def _write_metadata(out: Path, summary: WorldSummary, contacts: int, world: WorldState) -> None:
    """world.json: the arguments, the window, the counts, and the ground truth the data hides."""
    meta = {
        "generator": "funnelhouse.generator",
        "generator_version": GENERATOR_VERSION,
        "seed": summary.seed,
        "contacts": contacts,
        "days": summary.days,
        "start": summary.start,
        "end": summary.end,
        "counts": summary.counts,
        "owners": [{"id": o.id, "email": o.email, "habit": o.habit.name} for o in world.owners],
        "scoring": _scoring_metadata(world.scoring),
        "unknown_email": catalog.UNKNOWN_EMAIL,
    }
    (out / "world.json").write_bytes(dumps(meta) + b"\n")


__all__ = ["generate_world", "Source"]

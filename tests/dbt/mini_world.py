"""A small hand-made world (docs/world-format.md) whose journeys the dbt tests know by construction.

Deterministic: the same call writes the same bytes. Besides random background activity it stages the
journeys the scoring must get right: an anonymous visitor who identifies later (earlier page views
count), a lead at a 50-employee company (excluded), a webinar + white paper + newsletter lead (MQL),
a lead who cools down and re-qualifies (two MQLs), late and duplicated web events, duplicated e-mail
events, a web user with no CRM contact, an identify call delivered late, and a deleted contact.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

TRACK_EVENTS = [
    "Newsletter Subscribed",
    "White Paper Downloaded",
    "Webinar Registered",
    "Webinar Attended",
    "Demo Requested",
    "Contact Sales Requested",
    "Form Submitted",
    "Competitive Analysis Downloaded",
]
PAGES = ["/", "/blog/lead-scoring", "/blog/funnel", "/product", "/pricing", "/customers", "/webinars"]
TITLES = ["VP Marketing", "Head of Sales", "Marketing Manager", "Analyst", "CEO", "Developer", None]
INDUSTRIES = ["SOFTWARE", "RETAIL", "FINANCIAL_SERVICES", "MANUFACTURING"]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _Writer:
    def __init__(self, out: Path):
        self.out = out
        self.web: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.email: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.crm: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.sequence = 0

    def next_id(self, prefix: str) -> str:
        self.sequence += 1
        return f"{prefix}-{self.sequence:06d}"

    def web_event(
        self,
        kind: str,
        anonymous_id: str,
        at: datetime,
        *,
        user_id: str | None = None,
        event: str | None = None,
        path: str | None = None,
        traits: dict | None = None,
        delay: timedelta = timedelta(seconds=2),
        message_id: str | None = None,
        campaign: dict | None = None,
    ) -> dict[str, Any]:
        received = at + delay
        payload: dict[str, Any] = {
            "messageId": message_id or self.next_id("msg"),
            "type": kind,
            "anonymousId": anonymous_id,
            "userId": user_id,
            "timestamp": iso(at),
            "sentAt": iso(at + timedelta(seconds=1)),
            "receivedAt": iso(received),
            "context": {"ip": "203.0.113.7", "userAgent": "Mozilla/5.0", "library": {"name": "analytics.js"}},
        }
        if path:
            payload["context"]["page"] = {
                "url": f"https://funnelhouse.example{path}",
                "path": path,
                "referrer": "",
                "title": path,
            }
        if campaign:
            payload["context"]["campaign"] = campaign
        if kind == "page":
            payload["name"] = path
            payload["properties"] = {"url": f"https://funnelhouse.example{path}", "path": path, "title": path}
        if kind == "track":
            payload["event"] = event
            payload["properties"] = {"asset_id": "asset-1", "title": event}
        if kind == "identify":
            payload["traits"] = traits or {}
        self.web[received.date().isoformat()].append(payload)
        return payload

    def email_event(
        self, email: str, event: str, at: datetime, *, sg_event_id: str | None = None, url: str | None = None
    ) -> None:
        payload = {
            "email": email,
            "timestamp": int(at.timestamp()),
            "event": event,
            "sg_event_id": sg_event_id or self.next_id("sg"),
            "sg_message_id": self.next_id("sgm"),
            "category": ["newsletter", "nurture"],
            "campaign": "nurture-1",
            "asset": "whitepaper-1",
        }
        if url:
            payload["url"] = url
        self.email[at.date().isoformat()].append(payload)

    def write(self, meta: dict[str, Any]) -> None:
        (self.out / "crm").mkdir(parents=True, exist_ok=True)
        (self.out / "world.json").write_text(json.dumps(meta, indent=1) + "\n")
        for name in ["contacts", "companies", "deals", "owners", "calls", "emails", "tasks", "meetings"]:
            lines = [json.dumps(r, sort_keys=True) for r in self.crm.get(name, [])]
            (self.out / "crm" / f"{name}.jsonl").write_text("".join(line + "\n" for line in lines))
        for folder, partitions in (("web", self.web), ("email", self.email)):
            for day, events in partitions.items():
                target = self.out / folder / f"dt={day}"
                target.mkdir(parents=True, exist_ok=True)
                (target / "part-0000.jsonl").write_text(
                    "".join(json.dumps(e, sort_keys=True) + "\n" for e in events)
                )


def _crm_object(
    object_id: str,
    created: datetime,
    updated: datetime,
    properties: dict[str, Any],
    *,
    last_modified: str = "hs_lastmodifieddate",
    archived: bool = False,
) -> dict[str, Any]:
    props = {k: (None if v is None else str(v)) for k, v in properties.items()}
    props.update({"hs_object_id": object_id, last_modified: iso(updated)})
    props.setdefault("createdate", iso(created))
    return {
        "id": object_id,
        "properties": props,
        "propertiesWithHistory": {},
        "createdAt": iso(created),
        "updatedAt": iso(updated),
        "archived": archived,
        "associations": {},
    }


def _link(a: dict, a_type: str, b: dict, b_type: str) -> None:
    singular = {
        "contacts": "contact",
        "companies": "company",
        "deals": "deal",
        "calls": "call",
        "emails": "email",
        "meetings": "meeting",
        "tasks": "task",
    }
    a["associations"].setdefault(b_type, {"results": []})["results"].append(
        {"id": b["id"], "type": f"{singular[a_type]}_to_{singular[b_type]}"}
    )
    b["associations"].setdefault(a_type, {"results": []})["results"].append(
        {"id": a["id"], "type": f"{singular[b_type]}_to_{singular[a_type]}"}
    )


def write_mini_world(
    out: Path, *, end: date = date(2026, 11, 20), days: int = 40, contacts: int = 40, seed: int = 11
) -> dict[str, Any]:
    """Write the world into `out`; returns the staged journeys' e-mail addresses by name."""
    rng = random.Random(seed)
    w = _Writer(out)
    start = datetime.combine(end - timedelta(days=days - 1), datetime.min.time(), tzinfo=UTC)
    last = datetime.combine(end, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23)

    owners = [
        {
            "id": str(31 + i),
            "email": f"rep{i}@funnelhouse.example",
            "firstName": f"Rep{i}",
            "lastName": "Seller",
            "userId": 9001 + i,
            "createdAt": iso(start),
            "updatedAt": iso(start),
            "archived": False,
            "teams": [{"id": "1", "name": "Sales", "primary": True}],
        }
        for i in range(3)
    ]
    w.crm["owners"] = owners

    companies = []
    for i in range(10):
        employees = [50, 80, 150, 600, 1200][i % 5]
        company = _crm_object(
            str(700 + i),
            start,
            start + timedelta(days=1),
            {
                "name": f"Company {i}",
                "domain": f"company{i}.example",
                "industry": INDUSTRIES[i % 4],
                "numberofemployees": employees,
                "annualrevenue": employees * 100000,
                "country": "FR",
                "city": "Paris",
                "hubspot_owner_id": owners[i % 3]["id"],
            },
        )
        companies.append(company)
    w.crm["companies"] = companies

    def contact(
        index: int, email: str, company: dict, title: str | None, created: datetime, archived: bool = False
    ) -> dict:
        record = _crm_object(
            str(1000 + index),
            created,
            created + timedelta(hours=1),
            {
                "email": email,
                "firstname": f"First{index}",
                "lastname": f"Last{index}",
                "jobtitle": title,
                "company": company["properties"]["name"],
                "country": "FR",
                "hs_analytics_source": ["ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING"][index % 3],
                "lifecyclestage": "lead",
                "hs_lead_status": "NEW",
                "hubspot_owner_id": owners[index % 3]["id"],
            },
            last_modified="lastmodifieddate",
            archived=archived,
        )
        record["propertiesWithHistory"] = {
            "lifecyclestage": [
                {
                    "value": "lead",
                    "timestamp": iso(created),
                    "sourceType": "CRM_UI",
                    "sourceId": None,
                    "updatedByUserId": None,
                }
            ],
            "hs_lead_status": [
                {
                    "value": "NEW",
                    "timestamp": iso(created),
                    "sourceType": "CRM_UI",
                    "sourceId": None,
                    "updatedByUserId": None,
                }
            ],
        }
        _link(record, "contacts", company, "companies")
        w.crm["contacts"].append(record)
        return record

    journeys: dict[str, str] = {}
    # Background contacts with random activity.
    for i in range(contacts):
        email = f"person{i}@company{i % 10}.example"
        created = start + timedelta(days=rng.randrange(days - 5), hours=rng.randrange(8, 18))
        record = contact(i, email, companies[i % 10], rng.choice(TITLES), created, archived=(i == 3))
        anonymous = f"anon-{i}"
        identified = created + timedelta(minutes=5)
        for _ in range(rng.randrange(1, 4)):  # anonymous browsing before the form
            at = identified - timedelta(days=rng.randrange(0, 3), minutes=rng.randrange(10, 600))
            w.web_event(
                "page",
                anonymous,
                at,
                path=rng.choice(PAGES),
                campaign={"source": "google", "medium": "cpc", "name": "brand"},
            )
        w.web_event(
            "identify",
            anonymous,
            identified,
            user_id=f"user-{i}",
            traits={"email": email, "firstName": f"First{i}", "company": f"Company {i % 10}"},
        )
        for _ in range(rng.randrange(0, 10)):
            at = identified + timedelta(hours=rng.randrange(1, 24 * 30))
            if at > last:
                continue
            delay = timedelta(days=1, hours=2) if rng.random() < 0.05 else timedelta(seconds=3)
            if rng.random() < 0.6:
                w.web_event("page", anonymous, at, user_id=f"user-{i}", path=rng.choice(PAGES), delay=delay)
            else:
                payload = w.web_event(
                    "track",
                    anonymous,
                    at,
                    user_id=f"user-{i}",
                    event=rng.choice(TRACK_EVENTS),
                    path="/resources",
                    delay=delay,
                )
                if rng.random() < 0.2:  # a retried delivery repeats the messageId
                    w.web[(at + delay).date().isoformat()].append(dict(payload))
        for _ in range(rng.randrange(0, 5)):
            at = created + timedelta(hours=rng.randrange(1, 24 * 30))
            if at > last:
                continue
            kind = rng.choice(["delivered", "open", "open", "click"])
            sg_id = w.next_id("sg")
            w.email_event(
                email,
                kind,
                at,
                sg_event_id=sg_id,
                url="https://funnelhouse.example/pricing" if kind == "click" else None,
            )
            if rng.random() < 0.2:
                w.email_event(email, kind, at, sg_event_id=sg_id)
        if i % 4 == 0:
            call = _crm_object(
                str(5000 + i),
                created + timedelta(hours=2),
                created + timedelta(hours=2),
                {
                    "hs_timestamp": iso(created + timedelta(hours=2)),
                    "hs_call_title": "Inbound call",
                    "hs_call_direction": "INBOUND",
                    "hs_call_status": "COMPLETED",
                    "hs_call_duration": "60000",
                    "hubspot_owner_id": record["properties"]["hubspot_owner_id"],
                    "hs_createdate": iso(created + timedelta(hours=2)),
                },
            )
            _link(call, "calls", record, "contacts")
            w.crm["calls"].append(call)

    # Staged journeys, 10 days before the end (all at a 600-employee SOFTWARE company unless stated).
    base = datetime.combine(end - timedelta(days=10), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    big, small = companies[3], companies[0]

    def journey(
        name: str,
        index: int,
        company: dict,
        events: list[tuple[timedelta, str]],
        title: str | None = "Analyst",
    ) -> None:
        email = f"{name}@journeys.example"
        journeys[name] = email
        record = contact(index, email, company, title, base - timedelta(days=1))
        anonymous = f"anon-{name}"
        for offset, event in events:
            if event == "identify":
                w.web_event(
                    "identify", anonymous, base + offset, user_id=f"user-{name}", traits={"email": email}
                )
            elif event.startswith("/"):
                w.web_event("page", anonymous, base + offset, path=event)
            else:
                w.web_event("track", anonymous, base + offset, event=event, path="/resources")
        return record

    h = timedelta(hours=1)
    journey(
        "qualified",
        900,
        big,
        [
            (0 * h, "identify"),
            (1 * h, "Newsletter Subscribed"),
            (2 * h, "White Paper Downloaded"),
            (3 * h, "Webinar Attended"),
        ],
    )
    journey(
        "excluded",
        901,
        small,
        [(0 * h, "identify")]
        + [(timedelta(minutes=10 * k + 10), "Demo Requested") for k in range(2)]
        + [(timedelta(minutes=10 * k + 30), "Webinar Attended") for k in range(4)],
    )
    journey(
        "anonymous",
        902,
        big,
        [
            (-48 * h, "/pricing"),
            (-47 * h, "/pricing"),
            (-46 * h, "/product"),
            (0 * h, "identify"),
            (1 * h, "Newsletter Subscribed"),
        ],
    )
    journey(
        "requalified",
        903,
        big,
        [
            (timedelta(days=-28), "identify"),
            (timedelta(days=-28, hours=1), "Webinar Attended"),
            (timedelta(days=-28, hours=2), "Newsletter Subscribed"),
            (timedelta(days=5), "Webinar Attended"),
        ],
    )
    # A web user with no CRM contact.
    w.web_event("page", "anon-webonly", base, path="/pricing")
    w.web_event(
        "identify",
        "anon-webonly",
        base + h,
        user_id="user-webonly",
        traits={"email": "webonly@nowhere.example"},
    )
    # An identify call delivered two days late (on the last day): until then the web user has no e-mail,
    # so the person is re-keyed when it arrives (incremental runs must drop the old key's rows).
    late_at = datetime.combine(end - timedelta(days=2), datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
    w.web_event(
        "identify",
        "anon-late",
        late_at,
        user_id="user-late",
        traits={"email": "late@nowhere.example"},
        delay=timedelta(days=2, hours=1),
    )
    for minutes in (1, 2):
        w.web_event(
            "page", "anon-late", late_at + timedelta(minutes=minutes), user_id="user-late", path="/pricing"
        )
    journeys["late_identify"] = "late@nowhere.example"
    # A visitor who never identifies.
    w.web_event("page", "anon-ghost", base, path="/pricing")
    # Sessions across incremental runs (anonymous visitors, no person): one that goes on past midnight
    # into the last day (the stored session is extended, not a second one), and a page view delivered
    # on the last day that falls between two sessions of five days ago (they become one; the later
    # session's number moves from 3 to 2).
    midnight = datetime.combine(end, datetime.min.time(), tzinfo=UTC)
    w.web_event("page", "anon-bridge", midnight - timedelta(minutes=10), path="/pricing")
    w.web_event("page", "anon-bridge", midnight + timedelta(minutes=10), path="/pricing")
    five_days_ago = midnight - timedelta(days=5) + timedelta(hours=10)
    for minutes in (0, 50, 300):
        w.web_event("page", "anon-merge", five_days_ago + timedelta(minutes=minutes), path="/pricing")
    w.web_event(
        "page",
        "anon-merge",
        five_days_ago + timedelta(minutes=25),
        path="/pricing",
        delay=midnight + timedelta(hours=9) - (five_days_ago + timedelta(minutes=25)),
    )

    # One deal with stage history, for the staging models.
    deal = _crm_object(
        "8000",
        base,
        base + timedelta(days=3),
        {
            "dealname": "Company 3 deal",
            "amount": "12000",
            "pipeline": "sales",
            "dealstage": "proposal",
            "closedate": iso(base + timedelta(days=30)),
            "hubspot_owner_id": owners[0]["id"],
        },
    )
    deal["propertiesWithHistory"] = {
        "dealstage": [
            {
                "value": "proposal",
                "timestamp": iso(base + timedelta(days=3)),
                "sourceType": "CRM_UI",
                "sourceId": None,
                "updatedByUserId": None,
            },
            {
                "value": "needs_analysis",
                "timestamp": iso(base),
                "sourceType": "CRM_UI",
                "sourceId": None,
                "updatedByUserId": None,
            },
        ]
    }
    _link(deal, "deals", big, "companies")
    w.crm["deals"].append(deal)
    meeting = _crm_object(
        "6000",
        base,
        base,
        {
            "hs_timestamp": iso(base + 2 * h),
            "hs_meeting_title": "Discovery",
            "hs_meeting_outcome": "COMPLETED",
            "hs_meeting_start_time": iso(base + 2 * h),
            "hs_meeting_end_time": iso(base + 3 * h),
            "hubspot_owner_id": owners[0]["id"],
            "hs_createdate": iso(base),
        },
    )
    _link(meeting, "meetings", w.crm["contacts"][0], "contacts")
    w.crm["meetings"].append(meeting)

    w.write(
        {
            "seed": seed,
            "contacts": contacts,
            "days": days,
            "start": iso(start),
            "end": iso(last),
            "generator": "tests/dbt/mini_world.py",
        }
    )
    return journeys

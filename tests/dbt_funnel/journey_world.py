"""A hand-written world (docs/world-format.md) staging the lifecycle journeys the funnel marts must get right.

Every moment below is chosen so the expected outputs follow from the contract by hand (threshold 25,
webinar attended +20, white paper +15, newsletter +5, inbound call +10; SLA 30 / 1440 minutes; cadence
3 calls + 3 e-mails in 14 days; needs_analysis 7 days, proposal 10 days; stalled factor 2, rushed 0.25).
All contacts work at a 150-employee retail company with an "Analyst" title: no fit points, not excluded,
so the engagement points alone decide MQL.

The last event is a page view at END (2026-11-21 06:00 UTC), later than anything in the shared small
world (which ends 2026-11-20), so END is the default run date whether the journeys are written alone or
appended to that world. Object ids start with "j" so they never collide with a generated world's ids.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

B = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # the reference moment of most journeys
END = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

OWNERS = {"31": ("Ada", "Closer"), "32": ("Bob", "Dialer")}

# name -> e-mail address of each staged person.
PEOPLE = {
    name: f"{name}@journeys.example"
    for name in ["inquiry_direct", "mql_won", "mql_rejected", "mql_untreated", "recycled", "sql_no_sal"]
}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _change(value: str, at: datetime) -> dict[str, Any]:
    return {
        "value": value,
        "timestamp": iso(at),
        "sourceType": "CRM_UI",
        "sourceId": None,
        "updatedByUserId": None,
    }


class _World:
    def __init__(self) -> None:
        self.crm: dict[str, list[dict[str, Any]]] = {
            k: [] for k in ["contacts", "companies", "deals", "calls", "emails", "tasks", "meetings"]
        }
        self.web: dict[str, list[dict[str, Any]]] = {}
        self.email: dict[str, list[dict[str, Any]]] = {}
        self.next_id = 100

    def new_id(self) -> str:
        self.next_id += 1
        return f"j{self.next_id}"

    def obj(
        self,
        kind: str,
        created: datetime,
        props: dict[str, Any],
        history: dict[str, list] | None = None,
        object_id: str | None = None,
    ) -> dict[str, Any]:
        object_id = object_id or self.new_id()
        modified = "lastmodifieddate" if kind == "contacts" else "hs_lastmodifieddate"
        created_prop = "hs_createdate" if kind in {"calls", "emails", "tasks", "meetings"} else "createdate"
        properties = {k: (None if v is None else str(v)) for k, v in props.items()}
        properties.update({"hs_object_id": object_id, modified: iso(created), created_prop: iso(created)})
        record = {
            "id": object_id,
            "properties": properties,
            "propertiesWithHistory": history or {},
            "createdAt": iso(created),
            "updatedAt": iso(created),
            "archived": False,
            "associations": {},
        }
        self.crm[kind].append(record)
        return record

    @staticmethod
    def link(a: dict, a_type: str, b: dict, b_type: str) -> None:
        single = {
            "contacts": "contact",
            "companies": "company",
            "deals": "deal",
            "calls": "call",
            "emails": "email",
            "tasks": "task",
            "meetings": "meeting",
        }
        a["associations"].setdefault(b_type, {"results": []})["results"].append(
            {"id": b["id"], "type": f"{single[a_type]}_to_{single[b_type]}"}
        )
        b["associations"].setdefault(a_type, {"results": []})["results"].append(
            {"id": a["id"], "type": f"{single[b_type]}_to_{single[a_type]}"}
        )

    def web_event(self, kind: str, who: str, at: datetime, **fields: Any) -> None:
        payload = {
            "messageId": f"msg-{who}-{len(self.web.get(at.date().isoformat(), []))}-{at.timestamp():.0f}",
            "type": kind,
            "anonymousId": f"anon-{who}",
            "userId": f"user-{who}",
            "timestamp": iso(at),
            "sentAt": iso(at),
            "receivedAt": iso(at + 2 * MIN),
            "context": {"ip": "203.0.113.9", "userAgent": "Mozilla/5.0"},
            **fields,
        }
        self.web.setdefault((at + 2 * MIN).date().isoformat(), []).append(payload)

    def track(self, name: str, at: datetime, event: str) -> None:
        self.web_event("track", name, at, event=event, properties={"asset_id": "a1", "title": event})

    def engagement(self, kind: str, contact: dict, at: datetime, owner: str, **props: Any) -> None:
        record = self.obj(kind, at, {"hs_timestamp": iso(at), "hubspot_owner_id": owner, **props})
        self.link(record, kind, contact, "contacts")

    def write(self, out: Path) -> None:
        """Write the world, or append it to the world already in `out` (its world.json is kept)."""
        (out / "crm").mkdir(parents=True, exist_ok=True)
        if not (out / "world.json").exists():
            meta = {
                "seed": 0,
                "contacts": len(self.crm["contacts"]),
                "days": 50,
                "start": iso(B - 35 * DAY),
                "end": iso(END),
                "generator": "tests/dbt_funnel/journey_world.py",
            }
            (out / "world.json").write_text(json.dumps(meta) + "\n")
        owners = [
            {
                "id": oid,
                "email": f"{first.lower()}@funnelhouse.example",
                "firstName": first,
                "lastName": last,
                "userId": 9000 + int(oid),
                "createdAt": iso(B - 60 * DAY),
                "updatedAt": iso(B - 60 * DAY),
                "archived": False,
                "teams": [{"id": "1", "name": "Sales", "primary": True}],
            }
            for oid, (first, last) in OWNERS.items()
        ]
        for name, rows in [*self.crm.items(), ("owners", owners)]:
            with (out / "crm" / f"{name}.jsonl").open("a", encoding="utf-8") as handle:
                handle.write("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
        for folder, parts in (("web", self.web), ("email", self.email)):
            for day, events in parts.items():
                (out / folder / f"dt={day}").mkdir(parents=True, exist_ok=True)
                (out / folder / f"dt={day}" / "part-journeys.jsonl").write_text(
                    "".join(json.dumps(e, sort_keys=True) + "\n" for e in events)
                )


def write_journey_world(out: Path) -> dict[str, str]:
    """Write the journeys into `out` (appending to a world already there); returns PEOPLE (name -> e-mail)."""
    w = _World()
    company = w.obj(
        "companies",
        B - 90 * DAY,
        {"name": "Retail Co", "domain": "retail.example", "industry": "RETAIL", "numberofemployees": 150},
    )

    def person(
        name: str,
        created: datetime,
        owner: str | None,
        owner_at: datetime | None = None,
        lead_statuses: list[tuple[str, datetime]] = (),
    ) -> dict:
        statuses = [("NEW", created), *lead_statuses]
        history = {"hs_lead_status": [_change(v, at) for v, at in reversed(statuses)]}
        if owner:
            history["hubspot_owner_id"] = [_change(owner, owner_at or created)]
        contact = w.obj(
            "contacts",
            created,
            {
                "email": PEOPLE[name],
                "firstname": name,
                "lastname": "Journey",
                "jobtitle": "Analyst",
                "company": "Retail Co",
                "hs_analytics_source": "ORGANIC_SEARCH",
                "hs_lead_status": statuses[-1][0],
                "lifecyclestage": "lead",
                "hubspot_owner_id": owner,
            },
            history,
        )
        w.link(contact, "contacts", company, "companies")
        w.web_event("identify", name, created + MIN, traits={"email": PEOPLE[name]})
        return contact

    def deal(
        contact: dict, owner: str, stages: list[tuple[str, datetime]], amount: int, close: datetime
    ) -> None:
        record = w.obj(
            "deals",
            stages[0][1],
            {
                "dealname": f"{contact['properties']['firstname']} deal",
                "amount": amount,
                "pipeline": "sales",
                "dealstage": stages[-1][0],
                "closedate": iso(close),
                "hubspot_owner_id": owner,
            },
            {"dealstage": [_change(s, at) for s, at in reversed(stages)]},
        )
        w.link(record, "deals", contact, "contacts")
        w.link(record, "deals", company, "companies")

    # 1. Inquiry straight to sales: an inbound call (+10, not MQL), the rep accepts, a deal follows.
    c = person("inquiry_direct", B - 2 * DAY, "32", lead_statuses=[("IN_PROGRESS", B + 2 * HOUR)])
    w.engagement(
        "calls", c, B, "32", hs_call_direction="INBOUND", hs_call_status="COMPLETED", hs_call_title="Inbound"
    )
    deal(
        c,
        "32",
        [("needs_analysis", B + DAY), ("proposal", B + 11 * DAY)],
        20000,
        datetime(2026, 12, 20, tzinfo=UTC),
    )
    w.web_event(
        "page",
        "inquiry_direct",
        END,
        name="/customers",
        context={"page": {"path": "/customers", "url": "https://x.example/customers"}},
    )

    # 2. MQL -> SAL -> SQL -> Won. Webinar (+20) at 09:00 and white paper (+15) at 09:10: MQL at 09:10.
    #    Owner assigned at 09:15, first call at 09:55 (45 minutes: misses 30, within a day), cadence kept.
    #    The deal: needs_analysis 2 days, proposal 2 days (0.2 x 10: rushed), then won.
    c = person("mql_won", B - 3 * DAY, "31", owner_at=B + 15 * MIN, lead_statuses=[("IN_PROGRESS", B + DAY)])
    w.track("mql_won", B, "Webinar Attended")
    w.track("mql_won", B + 10 * MIN, "White Paper Downloaded")
    for at in [B + 55 * MIN, B + 2 * DAY, B + 4 * DAY]:
        w.engagement(
            "calls",
            c,
            at,
            "31",
            hs_call_direction="OUTBOUND",
            hs_call_status="COMPLETED",
            hs_call_title="Call",
        )
    for at in [B + 2 * HOUR, B + DAY + HOUR, B + 3 * DAY]:
        w.engagement(
            "emails", c, at, "31", hs_email_direction="EMAIL", hs_email_status="SENT", hs_email_subject="Hi"
        )
    deal(
        c,
        "31",
        [("needs_analysis", B + 2 * DAY), ("proposal", B + 4 * DAY), ("closedwon", B + 6 * DAY)],
        5000,
        B + 6 * DAY,
    )

    # 3. MQL -> Rejected.
    person("mql_rejected", B - 3 * DAY, "31", lead_statuses=[("UNQUALIFIED", B + DAY)])
    w.track("mql_rejected", B, "Webinar Attended")
    w.track("mql_rejected", B + 10 * MIN, "White Paper Downloaded")

    # 4. MQL and no touch at all: untreated, with an open task overdue at the run date.
    c = person("mql_untreated", B - 3 * DAY, "32")
    w.track("mql_untreated", B, "Webinar Attended")
    w.track("mql_untreated", B + 10 * MIN, "White Paper Downloaded")
    w.engagement(
        "tasks",
        c,
        datetime(2026, 11, 18, 9, tzinfo=UTC),
        "32",
        hs_task_subject="Call back",
        hs_task_type="CALL",
        hs_task_status="NOT_STARTED",
    )

    # 5. MQL -> Recycled -> MQL again: 25 points on Oct 4 (MQL), BAD_TIMING on Oct 5, the score decays,
    #    a webinar on Nov 6 carries it over the threshold again.
    person("recycled", B - 30 * DAY, "31", lead_statuses=[("BAD_TIMING", B - 27 * DAY)])
    w.track("recycled", B - 28 * DAY, "Webinar Attended")
    w.track("recycled", B - 28 * DAY + HOUR, "Newsletter Subscribed")
    w.track("recycled", B + 5 * DAY, "Webinar Attended")

    # 6. MQL then a deal without the rep ever accepting: SQL without SAL. The deal sits in needs_analysis
    #    since Oct 31 06:00, 21 days before the run date: 3 x the standard 7 days, stalled, hand it back.
    c = person("sql_no_sal", B - 5 * DAY, "31")
    w.track("sql_no_sal", datetime(2026, 10, 29, 9, tzinfo=UTC), "Webinar Attended")
    w.track("sql_no_sal", datetime(2026, 10, 29, 9, 10, tzinfo=UTC), "White Paper Downloaded")
    deal(c, "31", [("needs_analysis", END - 21 * DAY)], 10000, datetime(2026, 12, 15, tzinfo=UTC))

    # One e-mail event (a delivery: no points), so the e-mail source exists.
    w.email.setdefault("2026-11-02", []).append(
        {
            "email": PEOPLE["mql_won"],
            "timestamp": int((B + DAY).timestamp()),
            "event": "delivered",
            "sg_event_id": "sg-journeys-1",
            "sg_message_id": "sgm-journeys-1",
            "category": "nurture",
        }
    )
    w.write(out)
    return dict(PEOPLE)

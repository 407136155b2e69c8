"""The demo world generator: determinism, the world-format contract, and every behaviour the marts need.

Given the shared small world (300 contacts, 60 days, seed 7), the files must keep the promises of
docs/world-format.md and contain at least one case of each rule in /work/shared/domain.md.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from funnelhouse.contract import CONTRACT_FILE, Contract
from funnelhouse.generator import generate_world
from funnelhouse.generator.clock import DAY
from funnelhouse.generator.scoring import DEFAULT_CONTRACT_DIR, Score, ScoringRules, default_rules

CRM_OBJECTS = ("contacts", "companies", "deals", "calls", "emails", "tasks", "meetings")
SINGULAR = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "calls": "call",
    "emails": "email",
    "tasks": "task",
    "meetings": "meeting",
}
UNKNOWN_EMAIL = "former.subscriber@legacy-list.example"
STAGE_STANDARD_DAYS = {
    "needs_analysis": 7,
    "proposal": 10,
    "pricing": 7,
    "presentation": 7,
    "negotiation": 10,
}


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", f"{path} must end with a newline"
    assert all(line.strip() for line in lines[:-1]), f"{path} has a blank line"
    return [json.loads(line) for line in lines[:-1]]


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@dataclass
class World:
    root: Path
    meta: dict[str, Any]
    crm: dict[str, dict[str, dict[str, Any]]]
    owners: list[dict[str, Any]]
    web: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (partition day, event)
    email: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return ts(self.meta["start"])

    @property
    def end(self) -> datetime:
        return ts(self.meta["end"])


def load(root: Path) -> World:
    crm = {name: {o["id"]: o for o in read_jsonl(root / "crm" / f"{name}.jsonl")} for name in CRM_OBJECTS}
    world = World(
        root, json.loads((root / "world.json").read_text()), crm, read_jsonl(root / "crm" / "owners.jsonl")
    )
    for kind in ("web", "email"):
        for part in sorted((root / kind).glob("dt=*/part-0000.jsonl")):
            day = part.parent.name.removeprefix("dt=")
            getattr(world, kind).extend((day, event) for event in read_jsonl(part))
    return world


@pytest.fixture(scope="module")
def world(small_world: Path) -> World:
    return load(small_world)


def history(obj: dict[str, Any], prop: str) -> list[dict[str, Any]]:
    """Oldest first (the file holds newest first)."""
    return list(reversed(obj["propertiesWithHistory"][prop]))


# -- determinism ------------------------------------------------------------------------------------------
def test_same_arguments_give_byte_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    args = {"contacts": 120, "days": 30, "end": date(2026, 11, 20)}
    generate_world(out=tmp_path / "a", seed=11, **args)
    generate_world(out=tmp_path / "b", seed=11, **args)
    generate_world(out=tmp_path / "c", seed=12, **args)
    first, second, other = (tree_digest(tmp_path / n) for n in "abc")
    assert len(first) > 10
    assert first == second
    assert first != other
    assert first["crm/contacts.jsonl"] != other["crm/contacts.jsonl"]


def test_regenerating_into_the_same_folder_replaces_the_previous_world(tmp_path: Path) -> None:
    generate_world(out=tmp_path / "w", contacts=60, days=20, seed=1, end=date(2026, 11, 20))
    generate_world(out=tmp_path / "w", contacts=40, days=10, seed=2, end=date(2026, 11, 20))
    fresh = tmp_path / "fresh"
    generate_world(out=fresh, contacts=40, days=10, seed=2, end=date(2026, 11, 20))
    assert tree_digest(tmp_path / "w") == tree_digest(fresh)


# -- the CRM contract --------------------------------------------------------------------------------------
def test_crm_records_have_the_hubspot_v3_shape(world: World) -> None:
    for name, objects in world.crm.items():
        assert objects, f"no {name}"
        for obj in objects.values():
            assert set(obj) >= {"id", "properties", "createdAt", "updatedAt", "archived", "associations"}
            assert obj["archived"] is False
            assert obj["properties"]["hs_object_id"] == obj["id"]
            bad = {k: v for k, v in obj["properties"].items() if v is not None and not isinstance(v, str)}
            assert not bad, f"{name} {obj['id']}: non-string property values {bad}"
            created = "hs_createdate" if name in ("calls", "emails", "tasks", "meetings") else "createdate"
            modified = "lastmodifieddate" if name == "contacts" else "hs_lastmodifieddate"
            assert obj["createdAt"] == obj["properties"][created]
            assert obj["updatedAt"] == obj["properties"][modified]
            assert world.start <= ts(obj["createdAt"]) <= ts(obj["updatedAt"]) <= world.end
    contact_ids = sorted(int(i) for i in world.crm["contacts"])
    assert contact_ids == list(range(1, len(contact_ids) + 1))
    assert len(world.crm["contacts"]) == world.meta["contacts"] == 300


def test_every_association_resolves_and_is_mirrored(world: World) -> None:
    checked = 0
    for name, objects in world.crm.items():
        for obj in objects.values():
            for target, block in obj["associations"].items():
                for link in block["results"]:
                    assert link["type"] == f"{SINGULAR[name]}_to_{SINGULAR[target]}"
                    other = world.crm[target].get(link["id"])
                    assert other is not None, f"{name} {obj['id']} points to missing {target} {link['id']}"
                    back = [r["id"] for r in other["associations"].get(name, {}).get("results", [])]
                    assert obj["id"] in back, f"{target} {link['id']} does not list {name} {obj['id']}"
                    checked += 1
    assert checked > 1000
    for contact in world.crm["contacts"].values():
        assert len(contact["associations"]["companies"]["results"]) == 1
    for kind in ("calls", "emails", "tasks", "meetings"):
        assert all("contacts" in e["associations"] for e in world.crm[kind].values())


def test_property_history_is_ordered_in_the_window_and_ends_at_the_current_value(world: World) -> None:
    tracked = {
        "contacts": ("lifecyclestage", "hs_lead_status", "hubspot_owner_id"),
        "companies": ("hubspot_owner_id",),
        "deals": ("dealstage", "hubspot_owner_id"),
    }
    entries = 0
    for name, props in tracked.items():
        for obj in world.crm[name].values():
            assert set(obj["propertiesWithHistory"]) == set(props)
            for prop in props:
                newest_first = obj["propertiesWithHistory"][prop]
                stamps = [ts(h["timestamp"]) for h in newest_first]
                assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == len(stamps), (
                    f"{name} {obj['id']} {prop} history is not strictly newest-first"
                )
                assert all(world.start <= s <= world.end for s in stamps)
                assert all(s <= ts(obj["updatedAt"]) for s in stamps)
                current = obj["properties"][prop]
                if newest_first:
                    assert newest_first[0]["value"] == current, f"{name} {obj['id']} {prop}"
                    assert set(newest_first[0]) == {
                        "value",
                        "timestamp",
                        "sourceType",
                        "sourceId",
                        "updatedByUserId",
                    }
                else:
                    assert current is None
                entries += len(newest_first)
    assert entries > 1000


def test_owners_cover_every_rep_habit_and_own_the_worked_leads(world: World) -> None:
    assert 6 <= len(world.owners) <= 12
    assert {o["id"] for o in world.owners} == {o["id"] for o in world.meta["owners"]}
    habits = {o["habit"] for o in world.meta["owners"]}
    assert habits >= {
        "fast_responder",
        "slow_responder",
        "never_follows_up",
        "stage_rusher",
        "dead_deal_holder",
    }
    owner_ids = {o["id"] for o in world.owners}
    for name in CRM_OBJECTS:
        used = {o["properties"].get("hubspot_owner_id") for o in world.crm[name].values()} - {None}
        assert used <= owner_ids, f"{name} owned by unknown owners {used - owner_ids}"


def test_reverse_etl_target_properties_are_declared(world: World) -> None:
    props = read_jsonl(world.root / "crm" / "properties" / "contacts.jsonl")
    assert {p["name"] for p in props} == {
        "funnelhouse_lead_score",
        "funnelhouse_fit_grade",
        "funnelhouse_mql_at",
        "funnelhouse_mql_reasons",
        "funnelhouse_contract_version",
    }
    assert all(p["type"] in {"string", "number", "datetime", "enumeration", "bool"} for p in props)


# -- events ------------------------------------------------------------------------------------------------
def test_web_events_follow_segment_and_sit_in_their_received_day(world: World) -> None:
    assert world.web
    for day, event in world.web:
        assert event["type"] in {"page", "track", "identify"}
        assert event["anonymousId"]
        assert event["receivedAt"][:10] == day
        assert (
            world.start
            <= ts(event["timestamp"])
            <= ts(event["sentAt"])
            <= ts(event["receivedAt"])
            <= world.end
        )
        assert event["context"]["page"]["url"].endswith(event["context"]["page"]["path"])
        if event["type"] == "page":
            assert event["properties"]["path"] == event["context"]["page"]["path"]
        if event["type"] == "identify":
            assert event["userId"] and event["traits"]["email"]


def test_identified_visitors_are_crm_contacts_and_their_earlier_visits_can_be_stitched(world: World) -> None:
    emails = {c["properties"]["email"] for c in world.crm["contacts"].values()}
    identifies = [e for _, e in world.web if e["type"] == "identify"]
    assert {e["traits"]["email"] for e in identifies} <= emails
    assert len({e["traits"]["email"] for e in identifies}) > 0.8 * len(emails)
    identified_at = {e["anonymousId"]: ts(e["timestamp"]) for e in identifies}
    anonymous_before = {
        e["anonymousId"]
        for _, e in world.web
        if e["anonymousId"] in identified_at
        and e["userId"] is None
        and ts(e["timestamp"]) < identified_at[e["anonymousId"]]
    }
    assert len(anonymous_before) > 50, "earlier anonymous page views should share the anonymousId"
    visitors = {e["anonymousId"] for _, e in world.web}
    assert len(visitors) > 2 * len(emails), "most visitors stay anonymous"


def test_sendgrid_events_go_to_known_contacts_except_the_one_legacy_address(world: World) -> None:
    emails = {c["properties"]["email"] for c in world.crm["contacts"].values()}
    addresses = Counter(e["email"] for _, e in world.email)
    assert set(addresses) - emails == {UNKNOWN_EMAIL}
    kinds = Counter(e["event"] for _, e in world.email)
    assert {"processed", "delivered", "open", "click", "bounce"} <= set(kinds)
    assert kinds["processed"] > kinds["delivered"] > kinds["open"] > kinds["click"] > 0
    categories = [e["category"] for _, e in world.email]
    assert any(isinstance(c, str) for c in categories) and any(isinstance(c, list) for c in categories)
    for day, event in world.email:
        assert isinstance(event["timestamp"], int)
        assert world.start.timestamp() <= event["timestamp"] <= world.end.timestamp()
        assert day >= datetime.fromtimestamp(event["timestamp"], world.start.tzinfo).date().isoformat()
        assert event["campaign"] and event["sg_event_id"] and event["sg_message_id"]
        if event["event"] == "click":
            assert event["url"].startswith("https://")


def test_event_volume_is_plausible(world: World) -> None:
    per_contact = (len(world.web) + len(world.email)) / len(world.crm["contacts"])
    # ~100 per contact over 90 days, scaled to this world's 60 days.
    assert 40 <= per_contact <= 110, per_contact
    assert world.meta["counts"]["web_events"] == len(world.web)
    assert world.meta["counts"]["email_events"] == len(world.email)


def test_realistic_dirt_is_present_but_rare(world: World) -> None:
    web_ids = Counter(e["messageId"] for _, e in world.web)
    sg_ids = Counter(e["sg_event_id"] for _, e in world.email)
    web_dups = sum(n - 1 for n in web_ids.values())
    sg_dups = sum(n - 1 for n in sg_ids.values())
    assert 0 < web_dups < 0.02 * len(world.web)
    assert 0 < sg_dups < 0.02 * len(world.email)
    late = [e for day, e in world.web if day > e["timestamp"][:10]]
    assert 0 < len(late) < 0.02 * len(world.web)


# -- behaviour ---------------------------------------------------------------------------------------------
def test_firmographics_include_companies_under_100_employees(world: World) -> None:
    sizes = [int(c["properties"]["numberofemployees"]) for c in world.crm["companies"].values()]
    small = sum(1 for s in sizes if s < 100)
    assert 0.15 * len(sizes) < small < 0.8 * len(sizes)
    assert all(int(c["properties"]["annualrevenue"]) > 0 for c in world.crm["companies"].values())
    assert len({c["properties"]["industry"] for c in world.crm["companies"].values()}) >= 5
    assert len({c["properties"]["jobtitle"] for c in world.crm["contacts"].values()}) >= 10


def test_mqls_come_from_the_contract_scoring_shortly_after_a_scored_event(world: World) -> None:
    """The CRM's MQL rule plays the qualification contract: each MQL follows, within the automation's 1-15
    minutes, a web or e-mail event the contract gives points to (since the contract was recalibrated that
    includes pricing page views, webinar registrations, competitive analyses and e-mail clicks, not only
    the newsletter, white papers and webinars), at a company no fit rule excludes."""
    rules = default_rules()

    def scores(source: str, text: str, url: str | None = None) -> bool:
        return any(rule.points > 0 for rule in rules.scoring_rules(rules.kind(source, text), text, url))

    browser_of = {e["traits"]["email"]: e["anonymousId"] for _, e in world.web if e["type"] == "identify"}
    scored_at: dict[str, list[datetime]] = defaultdict(list)  # anonymousId or e-mail address -> times
    for _, e in world.web:
        if (e["type"] == "track" and scores("web_track", e["event"])) or (
            e["type"] == "page" and scores("web_page", e["properties"]["path"], e["properties"]["url"])
        ):
            scored_at[e["anonymousId"]].append(ts(e["timestamp"]))
    for _, e in world.email:
        if scores("email", e["event"], e.get("url")):
            scored_at[e["email"]].append(datetime.fromtimestamp(e["timestamp"], UTC))
    mqls = 0
    for contact in world.crm["contacts"].values():
        email = contact["properties"]["email"]
        times = scored_at[email] + scored_at[browser_of.get(email, "")]
        for entry in history(contact, "lifecyclestage"):
            if entry["value"] != "marketingqualifiedlead":
                continue
            mqls += 1
            assert entry["sourceType"] == "INTEGRATION"
            at = ts(entry["timestamp"])
            assert any(0 < (at - t).total_seconds() <= 16 * 60 for t in times), (
                f"contact {contact['id']} became MQL at {at} without a scored event just before"
            )
            company_id = contact["associations"]["companies"]["results"][0]["id"]
            company = world.crm["companies"][company_id]["properties"]
            properties = {f"contact.{k}": v for k, v in contact["properties"].items()}
            properties.update({f"company.{k}": v for k, v in company.items()})
            assert rules.fit(properties)[1] is False, f"contact {contact['id']} is excluded by fit"
    assert mqls >= 20
    assert world.meta["scoring"]["contract_version"] == default_rules().contract_version


def _rules(threshold: int, floor: int) -> ScoringRules:
    """The default contract with the MQL bar of the test (so the test does not move with recalibrations)."""
    raw = yaml.safe_load((DEFAULT_CONTRACT_DIR / CONTRACT_FILE).read_text())
    raw.update(mql_threshold=threshold, mql_min_engagement=floor)
    raw["engagement"]["decay"] = {"percent": 50, "every_days": 30}
    return ScoringRules(Contract.model_validate(raw))


def _track(day: int, event: str, hour: int = 9) -> list[tuple[int, str, str, None]]:
    return [(day * DAY + hour * 3_600_000, "web_track", event, None)]


def test_the_crm_rule_needs_engagement_beyond_fit_and_requalifies_after_decay() -> None:
    rules = _rules(threshold=25, floor=20)
    vp = {
        "contact.jobtitle": "VP Marketing",
        "company.industry": "COMPUTER_SOFTWARE",
        "company.numberofemployees": "600",
    }
    assert rules.fit(vp) == (25, False)
    assert rules.fit({**vp, "company.numberofemployees": "50"}) == (20, True)

    lead = Score(rules, *rules.fit(vp))
    assert not lead.qualified(100), "fit alone (25) is not an MQL"
    assert lead.add(_track(100, "White Paper Downloaded")) == ({"white_paper_downloaded"}, False)
    assert lead.add(_track(100, "Newsletter Subscribed", hour=10))[1], "engagement 20 reaches the floor"
    assert not lead.add(_track(101, "Webinar Attended"))[1], "already an MQL: no new crossing"
    # 60 days later the 40 points have halved twice (10): under the floor, so a webinar qualifies again.
    assert not lead.qualified(161)
    assert lead.add(_track(161, "Webinar Attended"))[1]

    nobody = Score(rules, 0, False)  # no fit points: the sources' 5 + 15 + 20 = 40, over 25 at the webinar
    assert not nobody.add(_track(100, "Newsletter Subscribed"))[1]
    assert not nobody.add(_track(100, "White Paper Downloaded", hour=10))[1]
    assert nobody.add(_track(100, "Webinar Attended", hour=11))[1]

    excluded = Score(rules, *rules.fit({**vp, "company.numberofemployees": "50"}))
    assert not any(excluded.add(_track(100, "Webinar Attended", hour=h))[1] for h in range(9, 14))


def _lead_status_values(contact: dict[str, Any]) -> list[str]:
    return [h["value"] for h in history(contact, "hs_lead_status")]


def test_sales_outcomes_accept_reject_recycle_and_re_mql(world: World) -> None:
    statuses = Counter(v for c in world.crm["contacts"].values() for v in _lead_status_values(c))
    assert statuses["IN_PROGRESS"] and statuses["CONNECTED"] and statuses["ATTEMPTED_TO_CONTACT"]
    assert statuses["UNQUALIFIED"] and statuses["BAD_TIMING"] and statuses["OPEN_DEAL"]
    re_mql = 0
    for contact in world.crm["contacts"].values():
        changes = sorted(
            [(h["timestamp"], "stage", h["value"]) for h in history(contact, "lifecyclestage")]
            + [(h["timestamp"], "status", h["value"]) for h in history(contact, "hs_lead_status")]
        )
        recycled = False
        for _, kind, value in changes:
            if kind == "status" and value == "BAD_TIMING":
                recycled = True
            elif kind == "stage" and value == "marketingqualifiedlead" and recycled:
                re_mql += 1
                break
    assert re_mql >= 1, "a recycled lead should become MQL again"
    owners = [h for c in world.crm["contacts"].values() for h in history(c, "hubspot_owner_id")]
    assert owners and all(h["sourceType"] == "AUTOMATION_PLATFORM" for h in owners)


def test_one_rep_never_follows_up_while_another_answers_within_minutes(world: World) -> None:
    habit = {o["id"]: o["habit"] for o in world.meta["owners"]}
    assigned: dict[str, list[datetime]] = defaultdict(list)
    for contact in world.crm["contacts"].values():
        for h in history(contact, "hubspot_owner_id"):
            assigned[h["value"]].append(ts(h["timestamp"]))
    touches = Counter(
        e["properties"]["hubspot_owner_id"]
        for kind in ("calls", "emails", "meetings")
        for e in world.crm[kind].values()
    )
    never = [o for o in assigned if habit[o] == "never_follows_up"]
    assert never and all(touches[o] == 0 for o in never) and assigned[never[0]]
    open_tasks = [t for t in world.crm["tasks"].values() if t["properties"]["hubspot_owner_id"] in never]
    assert open_tasks and all(t["properties"]["hs_task_status"] == "NOT_STARTED" for t in open_tasks)
    assert all(touches[o] > 0 for o in assigned if habit[o] != "never_follows_up")
    fast = next(o for o, h in habit.items() if h == "fast_responder")
    first_call = {}
    for call in world.crm["calls"].values():
        if call["properties"]["hubspot_owner_id"] == fast and "deals" not in call["associations"]:
            cid = call["associations"]["contacts"]["results"][0]["id"]
            first_call[cid] = min(
                first_call.get(cid, call["properties"]["hs_timestamp"]), call["properties"]["hs_timestamp"]
            )
    delays = []
    for cid, first in first_call.items():
        owned = history(world.crm["contacts"][cid], "hubspot_owner_id")[0]["timestamp"]
        delays.append((ts(first) - ts(owned)).total_seconds() / 60)
    assert delays and max(delays) <= 30


def test_deals_reach_every_ending_and_some_stall_or_rush(world: World) -> None:
    deals = list(world.crm["deals"].values())
    final = Counter(d["properties"]["dealstage"] for d in deals)
    assert {"closedwon", "closedlost", "lost_to_competitor", "no_decision"} <= set(final)
    assert any(d["properties"]["dealstage"] in STAGE_STANDARD_DAYS for d in deals), "some deals still open"
    stalled = rushed = 0
    for deal in deals:
        stages = history(deal, "dealstage")
        assert stages[0]["value"] == "needs_analysis"
        assert deal["properties"]["pipeline"] == "sales" and int(deal["properties"]["amount"]) > 0
        current = deal["properties"]["dealstage"]
        if current in STAGE_STANDARD_DAYS:
            days_in_stage = (world.end - ts(stages[-1]["timestamp"])).total_seconds() / 86400
            stalled += days_in_stage > 2 * STAGE_STANDARD_DAYS[current]
        for before, after in zip(stages, stages[1:], strict=False):
            spent = (ts(after["timestamp"]) - ts(before["timestamp"])).total_seconds() / 86400
            rushed += (
                before["value"] in STAGE_STANDARD_DAYS and spent < 0.25 * STAGE_STANDARD_DAYS[before["value"]]
            )
        contact_ids = [r["id"] for r in deal["associations"]["contacts"]["results"]]
        if current == "closedwon":
            assert any(
                world.crm["contacts"][c]["properties"]["lifecyclestage"] == "customer" for c in contact_ids
            )
        assert deal["associations"]["companies"]["results"]
    assert stalled >= 1 and rushed >= 1
    with_deal = [
        e
        for kind in ("calls", "emails", "tasks", "meetings")
        for e in world.crm[kind].values()
        if "deals" in e["associations"]
    ]
    assert {m["properties"]["hs_meeting_outcome"] for m in world.crm["meetings"].values()} >= {"COMPLETED"}
    assert len(with_deal) >= len(deals)


def test_funnel_ratios_are_plausible(world: World) -> None:
    counts = world.meta["counts"]
    contacts = len(world.crm["contacts"])
    assert 0.1 * contacts <= counts["mql_contacts"] <= 0.4 * contacts
    assert counts["customers"] >= 1
    assert 0.001 <= counts["customers"] / counts["visitors"] <= 0.05


# -- entry points ------------------------------------------------------------------------------------------
def test_summary_counts_match_the_files(tmp_path: Path) -> None:
    summary = generate_world(out=tmp_path, contacts=80, days=14, seed=3, end=date(2026, 11, 20))
    assert summary.contacts == 80 == len(read_jsonl(tmp_path / "crm" / "contacts.jsonl"))
    assert summary.deals == len(read_jsonl(tmp_path / "crm" / "deals.jsonl"))
    assert summary.web_events == sum(len(read_jsonl(p)) for p in (tmp_path / "web").rglob("*.jsonl"))
    assert summary.as_dict()["email_events"] == summary.email_events
    assert summary.start == "2026-11-07T00:00:00.000Z" and summary.end == "2026-11-20T23:59:59.000Z"
    text = summary.describe()
    assert "80 contacts" in text and "visitors" in text and "MQL" in text
    with pytest.raises(AttributeError, match="no count named"):
        _ = summary.not_a_count


def test_cli_generate_writes_a_world(tmp_path: Path) -> None:
    from funnelhouse.cli import app

    out = tmp_path / "cli-world"
    result = CliRunner().invoke(
        app,
        [
            "generate",
            "--contacts",
            "50",
            "--days",
            "10",
            "--seed",
            "1",
            "--end",
            "2026-11-20",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "50 contacts" in result.output
    meta = json.loads((out / "world.json").read_text())
    assert (meta["contacts"], meta["days"], meta["seed"]) == (50, 10, 1)
    assert meta["end"] == "2026-11-20T23:59:59.000Z"
    assert len(read_jsonl(out / "crm" / "contacts.jsonl")) == 50
    assert sorted(p.parent.name for p in (out / "web").glob("dt=*/part-0000.jsonl"))[-1] <= "dt=2026-11-20"


def test_invalid_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="contacts"):
        generate_world(out=tmp_path, contacts=0, days=10, seed=1, end=date(2026, 11, 20))
    with pytest.raises(ValueError, match="days"):
        generate_world(out=tmp_path, contacts=5, days=0, seed=1, end=date(2026, 11, 20))

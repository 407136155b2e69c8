"""A hand-written world and mart for the CRM-sync tests (helpers; the fixture lives in conftest.py): contacts in the sandbox, promotions in the warehouse.

Helpers here read the CRM back over plain HTTP (not through the code under test), so the assertions
check what the CRM actually holds: current values and the property history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from funnelhouse.settings import Settings
from funnelhouse.warehouse import open_warehouse
from reverse_etl.testing import replace_mql_events, replace_raw_contacts

TOKEN = "test-token"
FIRST_ID = 1001
BASE_TIME = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)
GRADES = ("A", "B", "C", "D")
TARGETS = {
    "funnelhouse_lead_score": "number",
    "funnelhouse_fit_grade": "enumeration",
    "funnelhouse_mql_at": "datetime",
    "funnelhouse_mql_reasons": "string",
    "funnelhouse_contract_version": "string",
}
# Fast retries for tests: the CRM faults are real, the waits are short.
FAST = {
    "FUNNELHOUSE_SYNC_BACKOFF_BASE_SECONDS": "0.05",
    "FUNNELHOUSE_SYNC_BACKOFF_MAX_SECONDS": "0.5",
    "FUNNELHOUSE_SYNC_MAX_ATTEMPTS": "12",
}


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def write_world(
    root: Path,
    contacts: int,
    *,
    stages: dict[int, str] | None = None,
    archived: set[int] = frozenset(),
    declare: tuple[str, ...] = tuple(TARGETS),
) -> Path:
    """`contacts` CRM contacts (ids from 1001), stage `lead` unless `stages` says otherwise."""
    crm = root / "crm"
    (crm / "properties").mkdir(parents=True)
    created = BASE_TIME - timedelta(days=30)
    lines = []
    for n in range(contacts):
        cid = FIRST_ID + n
        stage = (stages or {}).get(cid, "lead")
        lines.append(
            json.dumps(
                {
                    "id": str(cid),
                    "properties": {
                        "email": f"person{cid}@example.test",
                        "firstname": f"P{cid}",
                        "lifecyclestage": stage,
                        "createdate": iso(created),
                        "lastmodifieddate": iso(created),
                        "hs_object_id": str(cid),
                    },
                    "propertiesWithHistory": {
                        "lifecyclestage": [
                            {
                                "value": stage,
                                "timestamp": iso(created),
                                "sourceType": "CRM_UI",
                                "sourceId": None,
                                "updatedByUserId": None,
                            }
                        ]
                    },
                    "createdAt": iso(created),
                    "updatedAt": iso(created),
                    "archived": cid in archived,
                }
            )
        )
    (crm / "contacts.jsonl").write_text("\n".join(lines) + "\n")
    definitions = []
    for name in declare:
        kind = TARGETS[name]
        definition: dict[str, Any] = {
            "name": name,
            "label": name.replace("_", " ").title(),
            "type": kind,
            "fieldType": {"number": "number", "enumeration": "select", "datetime": "date"}.get(kind, "text"),
            "groupName": "funnelhouse",
            "description": "written by the Funnelhouse reverse-ETL step",
        }
        if kind == "enumeration":
            definition["options"] = [
                {"label": g, "value": g, "displayOrder": i} for i, g in enumerate(GRADES)
            ]
        definitions.append(json.dumps(definition))
    if definitions:
        (crm / "properties" / "contacts.jsonl").write_text("\n".join(definitions) + "\n")
    return root


@dataclass
class MartRow:
    mql_event_id: str
    person_id: str
    crm_contact_id: str | None
    mql_at: datetime
    lead_score: Decimal
    fit_grade: str
    reasons: str
    mql_sequence: int = 1
    contract_version: str = "2026.4"
    email: str | None = None
    fit_score: Decimal = Decimal("30")
    engagement_score: Decimal = Decimal("25")

    def assert_applied_to(self, contact: dict[str, Any]) -> None:
        """The CRM contact carries this promotion's values (compared as numbers, instants and text)."""
        props = contact["properties"]
        where = f"contact {contact['id']} ({self.mql_event_id})"
        assert float(props["funnelhouse_lead_score"]) == float(self.lead_score), where
        assert props["funnelhouse_fit_grade"] == self.fit_grade, where
        assert parse_instant(props["funnelhouse_mql_at"]) == self.mql_at, where
        assert props["funnelhouse_mql_reasons"] == self.reasons, where
        assert props["funnelhouse_contract_version"] == self.contract_version, where


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class Scenario:
    rows: list[MartRow] = field(default_factory=list)

    def by_contact(self) -> dict[str, list[MartRow]]:
        out: dict[str, list[MartRow]] = {}
        for row in sorted(self.rows, key=lambda r: (r.mql_at, r.mql_sequence)):
            if row.crm_contact_id:
                out.setdefault(row.crm_contact_id, []).append(row)
        return out


def promotions(contacts: int, *, re_mql_every: int = 0, without_contact: int = 0) -> Scenario:
    """One promotion per contact (every `re_mql_every`-th contact also has a re-MQL a week later)."""
    scenario = Scenario()
    for n in range(contacts):
        cid = FIRST_ID + n
        at = BASE_TIME + timedelta(minutes=7 * n)
        scenario.rows.append(
            MartRow(
                mql_event_id=f"mql-{cid}-1",
                person_id=f"person-{cid}",
                crm_contact_id=str(cid),
                mql_at=at,
                lead_score=Decimal(40 + n % 50) + (Decimal("0.5") if n % 3 == 0 else 0),
                fit_grade=GRADES[n % 4],
                reasons=f"Demo requested; webinar attended ({n % 5 + 1} visits to pricing)",
                email=f"person{cid}@example.test",
            )
        )
        if re_mql_every and n % re_mql_every == 0:
            scenario.rows.append(
                MartRow(
                    mql_event_id=f"mql-{cid}-2",
                    person_id=f"person-{cid}",
                    crm_contact_id=str(cid),
                    mql_at=at + timedelta(days=7),
                    lead_score=Decimal(60 + n % 30),
                    fit_grade=GRADES[(n + 1) % 4],
                    reasons="Re-MQL: pricing page visited twice; competitive analysis downloaded",
                    mql_sequence=2,
                    email=f"person{cid}@example.test",
                )
            )
    for n in range(without_contact):
        scenario.rows.append(
            MartRow(
                mql_event_id=f"mql-anon-{n}",
                person_id=f"anon-{n}",
                crm_contact_id=None,
                mql_at=BASE_TIME + timedelta(hours=n),
                lead_score=Decimal(55),
                fit_grade="B",
                reasons="Form submitted",
            )
        )
    return scenario


def write_mart(settings: Settings, scenario: Scenario) -> None:
    """(Re)create `marts.fct_mql_events` with the scenario's rows, as dbt would."""
    replace_mql_events(
        settings,
        [
            (
                r.mql_event_id,
                r.person_id,
                r.crm_contact_id,
                r.email,
                r.mql_at.replace(tzinfo=None),
                r.lead_score,
                r.fit_score,
                r.engagement_score,
                r.fit_grade,
                r.reasons,
                r.contract_version,
                r.mql_sequence,
            )
            for r in scenario.rows
        ],
    )


EXTRACTED_AT = BASE_TIME + timedelta(days=60)  # the last extraction, after every promotion of the scenarios


def write_raw_contacts(settings: Settings, contacts: int, *, stages: dict[int, str] | None = None) -> None:
    """`raw_hubspot.contacts` as the last extraction left it: `lead` unless `stages` says otherwise."""
    replace_raw_contacts(
        settings,
        [
            (str(FIRST_ID + n), (stages or {}).get(FIRST_ID + n, "lead"), EXTRACTED_AT)
            for n in range(contacts)
        ],
    )


def query(settings: Settings, sql: str) -> list[dict[str, Any]]:
    with open_warehouse(settings) as wh:
        return wh.fetch_dicts(sql)


class CrmReader:
    """Reads contacts back from the sandbox with their property history (plain HTTP)."""

    def __init__(self, url: str, token: str):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def contacts(self, ids: list[str], history: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        props = ["lifecyclestage", *TARGETS]
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            answer = self.session.post(
                f"{self.url}/crm/v3/objects/contacts/batch/read",
                json={
                    "properties": props,
                    "propertiesWithHistory": list(history),
                    "inputs": [{"id": i} for i in chunk],
                },
                timeout=30,
            )
            assert answer.status_code in (200, 207), answer.text
            for result in answer.json()["results"]:
                out[result["id"]] = result
        return out

    def history(self, ids: list[str], prop: str) -> dict[str, list[str]]:
        """Values `prop` took, oldest first, per contact (the sandbox returns newest first)."""
        found = self.contacts(ids, history=(prop,))
        return {
            cid: [h["value"] for h in reversed((c.get("propertiesWithHistory") or {}).get(prop, []))]
            for cid, c in found.items()
        }


@dataclass
class SyncEnv:
    settings: Settings
    sandbox: Any
    crm: CrmReader
    world: Path


def assert_exactly_once(env, scenario: Scenario) -> None:
    """Every promotion is on its contact, and `funnelhouse_mql_at` changed exactly once per promotion."""
    expected = scenario.by_contact()
    ids = sorted(expected)
    contacts = env.crm.contacts(ids)
    history = env.crm.history(ids, "funnelhouse_mql_at")
    for cid, rows in expected.items():
        rows[-1].assert_applied_to(contacts[cid])
        assert [parse_instant(v) for v in history[cid]] == [r.mql_at for r in rows], f"contact {cid}"

"""Helpers for ingestion tests: expected figures computed straight from the world's JSONL files
(independently of the code under test) and small warehouse queries."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from funnelhouse.settings import get_settings

OBJECT_TYPES = ("contacts", "companies", "deals", "calls", "emails", "tasks", "meetings")
# which associations ingestion reads per object type (docs/world-format.md: listed on both sides)
ASSOCIATED = {
    "contacts": ["companies"],
    "companies": [],
    "deals": ["contacts", "companies"],
    "calls": ["contacts", "deals"],
    "emails": ["contacts", "deals"],
    "tasks": ["contacts", "deals"],
    "meetings": ["contacts", "deals"],
}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def expected_crm(world: Path) -> dict[str, int]:
    """Rows raw_hubspot should hold after a full load of `world`."""
    counts: dict[str, int] = {}
    history = associations = 0
    for object_type in OBJECT_TYPES:
        records = read_jsonl(world / "crm" / f"{object_type}.jsonl")
        counts[object_type] = len({r["id"] for r in records})
        for record in records:
            if record.get("archived"):
                continue
            history += sum(len(v or []) for v in (record.get("propertiesWithHistory") or {}).values())
            for to_type in ASSOCIATED[object_type]:
                results = ((record.get("associations") or {}).get(to_type) or {}).get("results", [])
                associations += len({r["id"] for r in results})
    counts["owners"] = len({o["id"] for o in read_jsonl(world / "crm" / "owners.jsonl")})
    counts["property_history"] = history
    counts["associations"] = associations
    return counts


def expected_events(folder: Path, key: str, kind: str) -> tuple[int, Counter]:
    """Distinct events under `folder` (first delivery wins) and their count per `kind` field."""
    first: dict[str, str] = {}
    for path in sorted(folder.rglob("*.jsonl")):
        for event in read_jsonl(path):
            first.setdefault(event[key], event.get(kind))
    return len(first), Counter(first.values())


def table_counts(tables: list[tuple[str, str]]) -> dict[str, int]:
    """Row counts of `schema.table` in the configured warehouse."""
    from funnelhouse.warehouse import open_warehouse

    with open_warehouse(get_settings(), read_only=True) as wh:
        return {
            table: wh.fetchall(f"select count(*) from {schema}.{table}")[0][0] for schema, table in tables
        }


def query(sql: str) -> list[tuple]:
    from funnelhouse.warehouse import open_warehouse

    with open_warehouse(get_settings(), read_only=True) as wh:
        return wh.fetchall(sql)


def point_at(sandbox: Any, monkeypatch: Any, rate_limit: int = 2000) -> None:
    monkeypatch.setenv("FUNNELHOUSE_CRM_URL", sandbox.url)
    monkeypatch.setenv("FUNNELHOUSE_CRM_TOKEN", sandbox.token)
    monkeypatch.setenv("FUNNELHOUSE_CRM_RATE_LIMIT", str(rate_limit))
    get_settings.cache_clear()

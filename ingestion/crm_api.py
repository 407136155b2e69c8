"""The HubSpot CRM v3/v4 calls ingestion needs, one function each, over a throttled `CrmSession`.

Kept apart from the loading logic so the HubSpot quirks (search caps, batch limits, 207 answers,
association type names) live in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from funnelhouse.hubspot_vocabulary import OBJECT_TYPES, SINGULAR, TRACKED_HISTORY
from ingestion.http import CrmApiError, CrmSession

__all__ = ["OBJECT_TYPES", "SINGULAR"]

HISTORY_PROPERTIES = TRACKED_HISTORY
ASSOCIATED_TYPES = {
    "contacts": ["companies"],
    "companies": [],
    "deals": ["contacts", "companies"],
    "calls": ["contacts", "deals"],
    "emails": ["contacts", "deals"],
    "tasks": ["contacts", "deals"],
    "meetings": ["contacts", "deals"],
}

# HubSpot's search refuses to page past 10,000 results; a window that holds more restarts from the last
# timestamp seen. A module constant so tests can exercise the restart on a small world.
SEARCH_RESULT_CAP = 10_000
SEARCH_PAGE_SIZE = 100
BATCH_SIZE = 100  # batch/read and associations batch/read inputs per call
LIST_PAGE_SIZE = 100


def last_modified_property(object_type: str) -> str:
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


def property_names(session: CrmSession, object_type: str) -> list[str]:
    """Every property the CRM defines for the object type (so batch reads return them all)."""
    body = session.get(f"/crm/v3/properties/{object_type}")
    names = [p["name"] for p in (body or {}).get("results", []) if isinstance(p, dict) and p.get("name")]
    if not names:
        raise CrmApiError(f"GET /crm/v3/properties/{object_type} returned no properties; is this a CRM API?")
    return names


def search_modified_since(
    session: CrmSession, object_type: str, since_ms: int, figures: dict[str, float]
) -> Iterator[dict[str, Any]]:
    """Records modified at or after `since_ms`, oldest first, each once; restarts past the result cap.

    Yields search results (id and the last-modified property). After SEARCH_RESULT_CAP results the
    search starts again from the last timestamp seen, so any number of records can be read.
    """
    prop = last_modified_property(object_type)
    window_start = since_ms
    seen: set[str] = set()
    while True:
        after: str | None = None
        last_ms = window_start
        capped = False
        while True:
            body: dict[str, Any] = {
                "filterGroups": [
                    {"filters": [{"propertyName": prop, "operator": "GTE", "value": str(window_start)}]}
                ],
                "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
                "properties": [prop],
                "limit": SEARCH_PAGE_SIZE,
            }
            if after is not None:
                body["after"] = after
            page = session.post(f"/crm/v3/objects/{object_type}/search", body) or {}
            figures["search_pages"] = figures.get("search_pages", 0) + 1
            for record in page.get("results", []):
                record_id = str(record.get("id", ""))
                modified = to_ms((record.get("properties") or {}).get(prop) or record.get("updatedAt"))
                if modified is not None:
                    last_ms = max(last_ms, modified)
                if record_id in seen:
                    continue
                seen.add(record_id)
                yield record
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if after is None:
                return
            if int(after) + SEARCH_PAGE_SIZE > SEARCH_RESULT_CAP:
                capped = True
                break
        if capped:
            if last_ms <= window_start:
                raise CrmApiError(
                    f"More than {SEARCH_RESULT_CAP} {object_type} share the modification time {window_start} ms; "
                    "the search cannot page through them. Lower the load or raise ingestion.crm_api.SEARCH_RESULT_CAP "
                    "where the CRM allows it."
                )
            figures["search_restarts"] = figures.get("search_restarts", 0) + 1
            window_start = last_ms


def batch_read(
    session: CrmSession, object_type: str, ids: list[str], properties: list[str]
) -> list[dict[str, Any]]:
    """Full records (every property, the tracked property histories) for up to BATCH_SIZE ids."""
    body: dict[str, Any] = {"inputs": [{"id": i} for i in ids], "properties": properties}
    history = HISTORY_PROPERTIES.get(object_type)
    if history:
        body["propertiesWithHistory"] = history
    answer = session.post(f"/crm/v3/objects/{object_type}/batch/read", body) or {}
    return list(answer.get("results", []))


def read_associations(
    session: CrmSession, from_type: str, to_type: str, ids: list[str]
) -> dict[str, list[str]]:
    """from id -> associated `to_type` ids (ids without associations are absent: HubSpot answers 207)."""
    answer = (
        session.post(
            f"/crm/v4/associations/{from_type}/{to_type}/batch/read", {"inputs": [{"id": i} for i in ids]}
        )
        or {}
    )
    links: dict[str, list[str]] = {}
    for result in answer.get("results", []):
        source = str((result.get("from") or {}).get("id", ""))
        links[source] = [
            str(t.get("toObjectId")) for t in result.get("to", []) if t.get("toObjectId") is not None
        ]
    return links


def list_pages(session: CrmSession, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every result of a GET list endpoint, following `paging.next.after`."""
    after: str | None = None
    while True:
        query = dict(params)
        if after is not None:
            query["after"] = after
        page = session.get(path, params=query) or {}
        yield from page.get("results", [])
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if after is None:
            return


def to_ms(value: Any) -> int | None:
    """Epoch milliseconds from an ISO-8601 string or a number of milliseconds; None when unparseable."""
    from datetime import UTC, datetime

    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)

"""Reading CRM objects out of the database in HubSpot's response shape.

Shared by list, get, batch read, search and the write endpoints (which answer with the written object).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from typing import Any

from funnelhouse.sandbox import catalog
from funnelhouse.sandbox.properties import PropertyCatalog
from funnelhouse.sandbox.timefmt import iso_from_ms

COLUMNS = "id, properties, created_ms, updated_ms, archived, archived_ms"


def always_included(object_type: str) -> tuple[str, ...]:
    """HubSpot answers with these whatever `properties` asked for."""
    return (
        "hs_object_id",
        catalog.create_date_property(object_type),
        catalog.last_modified_property(object_type),
    )


def pick_properties(
    properties: PropertyCatalog, object_type: str, stored: dict[str, Any], requested: list[str] | None
) -> dict[str, Any]:
    """Requested (or default) properties; a known property without a value is null, an unknown one omitted."""
    names = requested if requested else catalog.DEFAULT_PROPERTIES[object_type]
    picked: dict[str, Any] = {}
    for name in (*names, *always_included(object_type)):
        if name in stored:
            picked[name] = stored[name]
        elif properties.get(object_type, name) is not None:
            picked[name] = None
    return picked


def history_for(
    conn: sqlite3.Connection, object_type: str, rows: list[tuple], names: list[str]
) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """Each object's history of the named properties, newest first.

    A property that has a value but no recorded history (world records only carry history for a few
    properties) gets one entry: its current value at the object's creation time, source MIGRATION.
    """
    out: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    if not rows or not names:
        return out
    ids = [row[0] for row in rows]
    sql = (
        "select id, property, value, ts_ms, source_type, source_id, updated_by_user_id from history"
        f" where type = ? and id in ({','.join('?' * len(ids))})"
        f" and property in ({','.join('?' * len(names))})"
        " order by ts_ms desc, seq desc"
    )
    for oid, prop, value, ts, source_type, source_id, user_id in conn.execute(
        sql, (object_type, *ids, *names)
    ):
        out[oid][prop].append(
            {
                "value": value if value is not None else "",
                "timestamp": iso_from_ms(ts),
                "sourceType": source_type,
                "sourceId": source_id,
                "updatedByUserId": user_id,
            }
        )
    for row in rows:
        stored = json.loads(row[1])
        for name in names:
            if name not in out[row[0]] and stored.get(name) not in (None, ""):
                out[row[0]][name].append(
                    {
                        "value": stored[name],
                        "timestamp": iso_from_ms(row[2]),
                        "sourceType": "MIGRATION",
                        "sourceId": None,
                        "updatedByUserId": None,
                    }
                )
    return out


def associations_for(
    conn: sqlite3.Connection, object_type: str, ids: list[int], to_types: list[str]
) -> dict[int, dict[str, dict[str, list[dict[str, str]]]]]:
    """v3 `associations` blocks per object: `{to_type: {"results": [{"id", "type"}]}}`, non-empty only."""
    out: dict[int, dict[str, dict[str, list[dict[str, str]]]]] = defaultdict(dict)
    if not ids or not to_types:
        return out
    sql = (
        "select from_id, to_type, to_id, label from associations"
        f" where from_type = ? and from_id in ({','.join('?' * len(ids))})"
        f" and to_type in ({','.join('?' * len(to_types))}) order by from_id, to_type, to_id"
    )
    for from_id, to_type, to_id, label in conn.execute(sql, (object_type, *ids, *to_types)):
        out[from_id].setdefault(to_type, {"results": []})["results"].append({"id": str(to_id), "type": label})
    return out


def shape(
    properties: PropertyCatalog,
    object_type: str,
    row: tuple,
    requested: list[str] | None,
    history: dict[str, list[dict[str, Any]]] | None = None,
    associations: dict[str, Any] | None = None,
) -> dict[str, Any]:
    oid, props_json, created_ms, updated_ms, archived, archived_ms = row
    body: dict[str, Any] = {
        "id": str(oid),
        "properties": pick_properties(properties, object_type, json.loads(props_json), requested),
        "createdAt": iso_from_ms(created_ms),
        "updatedAt": iso_from_ms(updated_ms),
        "archived": bool(archived),
    }
    if archived and archived_ms is not None:
        body["archivedAt"] = iso_from_ms(archived_ms)
    if history is not None:
        body["propertiesWithHistory"] = history
    if associations:
        body["associations"] = associations
    return body


def shape_many(
    conn: sqlite3.Connection,
    properties: PropertyCatalog,
    object_type: str,
    rows: list[tuple],
    requested: list[str] | None,
    with_history: list[str] | None = None,
    association_types: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Shape a page of rows with two extra queries at most (history, associations), not one per row."""
    history = history_for(conn, object_type, rows, with_history) if with_history else None
    links = associations_for(conn, object_type, [r[0] for r in rows], association_types or [])
    return [
        shape(
            properties,
            object_type,
            row,
            requested,
            {name: history[row[0]].get(name, []) for name in with_history} if history is not None else None,
            links.get(row[0]),
        )
        for row in rows
    ]

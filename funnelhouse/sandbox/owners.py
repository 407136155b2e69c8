"""`/crm/v3/owners`: the sales reps records point to through `hubspot_owner_id`."""

from __future__ import annotations

import json
from typing import Any

from funnelhouse.sandbox.batching import parse_after, parse_limit
from funnelhouse.sandbox.errors import not_found
from funnelhouse.sandbox.storage import Store

MAX_LIMIT = 500


def list_owners(
    store: Store, *, limit: str | None, after: str | None, email: str | None, archived: bool
) -> dict[str, Any]:
    size = parse_limit(limit, 100, MAX_LIMIT)
    start = parse_after(after)
    sql = "select id, body from owners where archived = ? and id >= ?"
    params: list[Any] = [int(archived), start]
    if email:
        sql += " and lower(json_extract(body, '$.email')) = lower(?)"
        params.append(email)
    with store.reading() as conn:
        rows = conn.execute(sql + " order by id limit ?", (*params, size + 1)).fetchall()
    body: dict[str, Any] = {"results": [json.loads(b) for _, b in rows[:size]]}
    if len(rows) > size:
        body["paging"] = {"next": {"after": str(rows[size][0]), "link": None}}
    return body


def get_owner(store: Store, key: str, *, id_property: str | None, archived: bool) -> dict[str, Any]:
    field = "userId" if id_property == "userId" else "id"
    with store.reading() as conn:
        if field == "id":
            row = conn.execute(
                "select body from owners where id = ? and archived = ?",
                (int(key) if key.isdigit() else -1, int(archived)),
            ).fetchone()
        else:
            row = conn.execute(
                "select body from owners"
                " where cast(json_extract(body, '$.userId') as text) = ? and archived = ?",
                (key, int(archived)),
            ).fetchone()
    if row is None:
        raise not_found(f"Owner not found: no owner with {field} {key!r}.")
    return json.loads(row[0])

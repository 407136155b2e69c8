"""Reading CRM objects (`GET /crm/v3/objects/{type}[/{id}]`, `POST .../batch/read`): paging by id,
`properties`/`propertiesWithHistory`/`associations` selection, archived records only on request."""

from __future__ import annotations

import sqlite3
from typing import Any

from funnelhouse.sandbox import catalog, records
from funnelhouse.sandbox.batching import InputError, batch_answer, batch_inputs, input_id, parse_after
from funnelhouse.sandbox.errors import bad_request, batch_error, not_found
from funnelhouse.sandbox.properties import PropertyCatalog
from funnelhouse.sandbox.storage import Store
from funnelhouse.sandbox.timefmt import now_ms

MAX_LIST_LIMIT = 100
MAX_LIST_LIMIT_WITH_HISTORY = 50

_SELECT = f"select {records.COLUMNS} from objects"


def find_row(
    conn: sqlite3.Connection,
    properties: PropertyCatalog,
    object_type: str,
    key: str,
    id_property: str | None,
    archived: bool,
) -> tuple | None:
    """The row for an object id, or for a unique property value (`idProperty=email`); None when absent
    or not in the asked archive state."""
    if id_property and id_property != "hs_object_id":
        if properties.get(object_type, id_property) is None:
            raise InputError(
                400,
                "VALIDATION_ERROR",
                f"idProperty {id_property!r} does not exist on {object_type}.",
                {"idProperty": [id_property]},
            )
        if id_property == "email":  # case-insensitive, on the indexed expression
            match, params = "lower(json_extract(properties, '$.email')) = lower(?)", (key,)
        else:
            match, params = "json_extract(properties, ?) = ?", (f'$."{id_property}"', key)
        return conn.execute(
            f"{_SELECT} where type = ? and archived = ? and {match} order by id limit 1",
            (object_type, int(archived), *params),
        ).fetchone()
    if not key.isdigit():
        return None
    return conn.execute(
        f"{_SELECT} where type = ? and id = ? and archived = ?", (object_type, int(key), int(archived))
    ).fetchone()


class ObjectReader:
    def __init__(self, store: Store, properties: PropertyCatalog) -> None:
        self.store = store
        self.properties = properties

    def _known(self, object_type: str, names: list[str] | None) -> list[str] | None:
        """History is only returned for properties that exist, as HubSpot does."""
        return [n for n in names if self.properties.get(object_type, n) is not None] if names else None

    def list_page(
        self,
        object_type: str,
        *,
        limit: int,
        after: str | None,
        requested: list[str] | None,
        with_history: list[str] | None,
        association_types: list[str],
        archived: bool,
    ) -> dict[str, Any]:
        """One page in id order; `paging.next.after` is the id the next page starts at."""
        if with_history and limit > MAX_LIST_LIMIT_WITH_HISTORY:
            raise bad_request(
                f"limit must be at most {MAX_LIST_LIMIT_WITH_HISTORY} when propertiesWithHistory is "
                f"requested, got {limit}."
            )
        start = parse_after(after)
        with self.store.reading() as conn:
            rows = conn.execute(
                f"{_SELECT} where type = ? and archived = ? and id >= ? order by id limit ?",
                (object_type, int(archived), start, limit + 1),
            ).fetchall()
            page, more = rows[:limit], rows[limit:]
            results = records.shape_many(
                conn,
                self.properties,
                object_type,
                page,
                requested,
                self._known(object_type, with_history),
                association_types,
            )
        body: dict[str, Any] = {"results": results}
        if more:
            body["paging"] = {"next": {"after": str(more[0][0]), "link": f"?after={more[0][0]}"}}
        return body

    def get(
        self,
        object_type: str,
        key: str,
        *,
        id_property: str | None,
        requested: list[str] | None,
        with_history: list[str] | None,
        association_types: list[str],
        archived: bool,
    ) -> dict[str, Any]:
        with self.store.reading() as conn:
            try:
                row = find_row(conn, self.properties, object_type, key, id_property, archived)
            except InputError as exc:
                raise exc.to_api_error() from None
            if row is None:
                raise not_found(f"Object not found: no {catalog.SINGULAR[object_type]} with id {key!r}.")
            return records.shape_many(
                conn,
                self.properties,
                object_type,
                [row],
                requested,
                self._known(object_type, with_history),
                association_types,
            )[0]

    def batch_read(self, object_type: str, body: Any, archived: bool) -> tuple[int, dict[str, Any]]:
        """Found records in `results`; every missing id listed in one OBJECT_NOT_FOUND error (207)."""
        started = now_ms()
        inputs = batch_inputs(body)
        requested = body.get("properties") or None
        with_history = self._known(object_type, body.get("propertiesWithHistory") or None)
        rows, missing = [], []
        with self.store.reading() as conn:
            for item in inputs:
                key = input_id(item)
                try:
                    row = find_row(conn, self.properties, object_type, key, body.get("idProperty"), archived)
                except InputError as exc:
                    raise exc.to_api_error() from None
                if row is None:
                    missing.append(key)
                elif row not in rows:
                    rows.append(row)
            results = records.shape_many(conn, self.properties, object_type, rows, requested, with_history)
        errors = []
        if missing:
            errors.append(
                batch_error(
                    "OBJECT_NOT_FOUND",
                    f"Could not get some {catalog.SINGULAR[object_type].upper()} objects, they may be "
                    "deleted or not exist. Check that ids are valid.",
                    {"ids": missing, "id": missing},
                )
            )
        return batch_answer(results, errors, started, 200)

"""Writing CRM objects: create, update (PATCH), archive (DELETE) and batch create/update/upsert/archive.

HubSpot's rules, applied per input so one bad input fails alone (207): properties must exist and hold
valid values, `lifecyclestage` only moves forward, a contact's e-mail is unique, an id must name a live
record. HubSpot documents `lifecyclestage` as "not designed to move backwards" (set it to "" first); a
write that tries is answered as a success and the stage stays (as reported on HubSpot's developer forum).
Here a backward stage fails that input with INVALID_LIFECYCLE_STAGE (`backward_stage="reject"`, the
default), or is ignored as HubSpot does while the input's other values are written and the answer
carries the stage kept (`backward_stage="ignore"`). Every changed value gets a history entry (source INTEGRATION) and bumps the last-modified
property and `updatedAt`; writing a value equal to the current one changes nothing (documented choice:
HubSpot itself records a history entry on every set).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from funnelhouse.sandbox import catalog, records
from funnelhouse.sandbox.batching import InputError, batch_answer, batch_inputs, input_id
from funnelhouse.sandbox.errors import bad_request, property_error_message
from funnelhouse.sandbox.properties import PropertyCatalog
from funnelhouse.sandbox.reads import find_row
from funnelhouse.sandbox.stats import Stats
from funnelhouse.sandbox.storage import Store
from funnelhouse.sandbox.timefmt import iso_from_ms, now_ms
from funnelhouse.sandbox.validation import clean_values, lifecycle_problem

SOURCE_TYPE = "INTEGRATION"
BACKWARD_STAGE_MODES = ("reject", "ignore")
SOURCE_ID = "funnelhouse-sandbox"
_SELECT_ONE = f"select {records.COLUMNS} from objects where type = ? and id = ?"


def _not_found(object_type: str, key: str, hint: str = "") -> InputError:
    message = f"Object not found: no live {catalog.SINGULAR[object_type]} with id {key!r}{hint}."
    return InputError(404, "OBJECT_NOT_FOUND", message, {"id": [key]})


class ObjectWriter:
    def __init__(
        self, store: Store, properties: PropertyCatalog, stats: Stats, backward_stage: str = "reject"
    ) -> None:
        if backward_stage not in BACKWARD_STAGE_MODES:
            raise ValueError(f"backward_stage must be one of {BACKWARD_STAGE_MODES}, got {backward_stage!r}")
        self.store = store
        self.properties = properties
        self.stats = stats
        self.backward_stage = backward_stage

    # ---- single-object endpoints -------------------------------------------------------------------
    def create(self, object_type: str, body: Any) -> dict[str, Any]:
        try:
            return self._create_input(object_type, _object_body(body))
        except InputError as exc:
            raise exc.to_api_error() from None

    def update(self, object_type: str, key: str, body: Any, id_property: str | None) -> dict[str, Any]:
        try:
            return self._update_input(object_type, {**_object_body(body), "id": key}, id_property)
        except InputError as exc:
            raise exc.to_api_error() from None

    def archive(self, object_type: str, key: str) -> None:
        """Archive a live record; an absent or already archived one is not an error (204, as HubSpot)."""
        if not key.isdigit():
            return
        ts = now_ms()
        with self.store.writing() as conn:
            done = conn.execute(
                "update objects set archived = 1, archived_ms = ?, updated_ms = ?"
                " where type = ? and id = ? and archived = 0",
                (ts, ts, object_type, int(key)),
            ).rowcount
        if done:
            self.stats.add("writes")

    # ---- batch endpoints ---------------------------------------------------------------------------
    def batch_create(self, object_type: str, body: Any) -> tuple[int, dict[str, Any]]:
        return self._batch(body, 201, lambda item: self._create_input(object_type, item))

    def batch_update(self, object_type: str, body: Any) -> tuple[int, dict[str, Any]]:
        keys = [input_id(item) for item in batch_inputs(body)]
        duplicates = sorted({k for k in keys if k and keys.count(k) > 1})
        if duplicates:
            raise bad_request(f"Duplicate IDs found in batch input: {duplicates}. IDs must be unique.")
        default_id_property = body.get("idProperty")
        return self._batch(body, 200, lambda item: self._update_input(object_type, item, default_id_property))

    def batch_upsert(self, object_type: str, body: Any) -> tuple[int, dict[str, Any]]:
        return self._batch(body, 200, lambda item: self._upsert_input(object_type, item))

    def batch_archive(self, object_type: str, body: Any) -> tuple[int, None]:
        for item in batch_inputs(body):
            self.archive(object_type, input_id(item))
        return 204, None

    def _batch(
        self, body: Any, ok_status: int, handle: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> tuple[int, dict[str, Any]]:
        """Run each input in its own transaction; a failed input becomes one entry of `errors`."""
        started = now_ms()
        results, errors = [], []
        for index, item in enumerate(batch_inputs(body)):
            try:
                if not isinstance(item, dict):
                    raise InputError(400, "VALIDATION_ERROR", f"inputs[{index}] must be a JSON object.")
                results.append(handle(item))
            except InputError as exc:
                exc.context = {"index": [str(index)], **exc.context}
                errors.append(exc.to_batch_error())
        return batch_answer(results, errors, started, ok_status)

    # ---- one input ---------------------------------------------------------------------------------
    def _create_input(self, object_type: str, item: dict[str, Any]) -> dict[str, Any]:
        values = self._validate(object_type, item.get("properties", {}), {})
        with self.store.writing() as conn:
            row = self._insert(conn, object_type, values)
            self._associate(conn, object_type, row[0], item.get("associations"))
        return self._written(object_type, row, values, item)

    def _update_input(
        self, object_type: str, item: dict[str, Any], id_property: str | None
    ) -> dict[str, Any]:
        key = input_id(item)
        if not key:
            raise InputError(400, "VALIDATION_ERROR", "Each update input needs an `id`.")
        values = self._validate(object_type, item.get("properties", {}), {"id": [key]})
        with self.store.writing() as conn:
            row = find_row(
                conn, self.properties, object_type, key, item.get("idProperty") or id_property, False
            )
            if row is None:
                raise _not_found(object_type, key)
            row = self._apply(conn, object_type, row, values)
        return self._written(object_type, row, values, item)

    def _upsert_input(self, object_type: str, item: dict[str, Any]) -> dict[str, Any]:
        """Update the record the id names (by `idProperty`, e.g. email) or create it with that value."""
        key = input_id(item)
        if not key:
            raise InputError(
                400, "VALIDATION_ERROR", "Each upsert input needs an `id` (and an `idProperty`)."
            )
        id_property = item.get("idProperty") or "hs_object_id"
        values = self._validate(object_type, item.get("properties", {}), {"id": [key]})
        with self.store.writing() as conn:
            row = find_row(conn, self.properties, object_type, key, id_property, False)
            if row is not None:
                row, new = self._apply(conn, object_type, row, values), False
            elif id_property == "hs_object_id":
                raise _not_found(
                    object_type, key, "; upsert creates only by a unique idProperty such as email"
                )
            else:
                row, new = self._insert(conn, object_type, {**values, id_property: key}), True
        written = self._written(object_type, row, values, item)
        written["new"] = new
        return written

    # ---- storage -----------------------------------------------------------------------------------
    def _validate(self, object_type: str, values: Any, context: dict[str, list[str]]) -> dict[str, str]:
        cleaned, problems = clean_values(self.properties, object_type, values)
        if problems:
            raise InputError(400, "VALIDATION_ERROR", property_error_message(problems), context, problems)
        return cleaned

    def _written(
        self, object_type: str, row: tuple, values: dict[str, str], item: dict[str, Any]
    ) -> dict[str, Any]:
        self.stats.add("writes")
        written = records.shape(self.properties, object_type, row, list(values) or None)
        if item.get("objectWriteTraceId"):
            written["objectWriteTraceId"] = str(item["objectWriteTraceId"])
        return written

    def _email_conflict(self, conn: sqlite3.Connection, object_type: str, email: str, own_id: int) -> None:
        """HubSpot keeps one live contact per e-mail address (case-insensitive): 409 CONFLICT."""
        if object_type != "contacts" or not email:
            return
        row = conn.execute(
            "select id from objects where type = 'contacts' and archived = 0"
            " and lower(json_extract(properties, '$.email')) = lower(?) and id != ?",
            (email, own_id),
        ).fetchone()
        if row:
            raise InputError(
                409, "CONFLICT", f"Contact already exists. Existing ID: {row[0]}", {"id": [str(row[0])]}
            )

    def _history(self, conn: sqlite3.Connection, object_type: str, oid: int, name: str, value: str | None,
                 ts: int, source: str) -> None:  # fmt: skip
        conn.execute(
            "insert into history"
            " (type, id, property, value, ts_ms, source_type, source_id, updated_by_user_id)"
            " values (?, ?, ?, ?, ?, ?, ?, null)",
            (object_type, oid, name, value, ts, source, SOURCE_ID if source == SOURCE_TYPE else None),
        )

    def _insert(self, conn: sqlite3.Connection, object_type: str, values: dict[str, str]) -> tuple:
        self._email_conflict(conn, object_type, values.get("email", ""), -1)
        ts = now_ms()
        oid = self.store.next_id(conn)
        props = {k: v for k, v in values.items() if k not in catalog.READ_ONLY}
        props["hs_object_id"] = str(oid)
        props[catalog.create_date_property(object_type)] = iso_from_ms(ts)
        props[catalog.last_modified_property(object_type)] = iso_from_ms(ts)
        conn.execute(
            "insert into objects values (?, ?, ?, ?, ?, 0, null)",
            (object_type, oid, json.dumps(props), ts, ts),
        )
        for name, value in props.items():
            if name not in catalog.READ_ONLY and value != "":
                self._history(conn, object_type, oid, name, value, ts, SOURCE_TYPE)
        return conn.execute(_SELECT_ONE, (object_type, oid)).fetchone()

    def _apply(self, conn: sqlite3.Connection, object_type: str, row: tuple, values: dict[str, str]) -> tuple:
        """Write the values that change: a history entry each, last-modified bumped once."""
        oid, props_json, created_ms, updated_ms = row[0], row[1], row[2], row[3]
        stored = json.loads(props_json)
        problem = lifecycle_problem(stored.get("lifecyclestage"), values.get("lifecyclestage"))
        if problem and self.backward_stage == "ignore":
            values = {k: v for k, v in values.items() if k != "lifecyclestage"}  # kept; the rest is written
        elif problem:
            detail = {"message": problem, "code": "INVALID_LIFECYCLE_STAGE",
                      "context": {"propertyName": ["lifecyclestage"]}}  # fmt: skip
            raise InputError(400, "VALIDATION_ERROR", problem, {"id": [str(oid)]}, [detail])
        if "email" in values:
            self._email_conflict(conn, object_type, values["email"], oid)
        changed = {
            k: v for k, v in values.items() if k not in catalog.READ_ONLY and (stored.get(k) or "") != v
        }
        if not changed:
            return row
        ts = max(now_ms(), updated_ms + 1)  # updatedAt strictly increases, so cursors never miss a write
        for name, value in changed.items():
            has_history = conn.execute(
                "select 1 from history where type = ? and id = ? and property = ? limit 1",
                (object_type, oid, name),
            ).fetchone()
            if not has_history and stored.get(name) not in (None, ""):
                # Keep the value being replaced in the history, as HubSpot has it.
                self._history(conn, object_type, oid, name, stored[name], created_ms, "MIGRATION")
            self._history(conn, object_type, oid, name, value, ts, SOURCE_TYPE)
            stored[name] = value
        stored[catalog.last_modified_property(object_type)] = iso_from_ms(ts)
        conn.execute(
            "update objects set properties = ?, updated_ms = ? where type = ? and id = ?",
            (json.dumps(stored), ts, object_type, oid),
        )
        self.stats.add("records_changed")
        return conn.execute(_SELECT_ONE, (object_type, oid)).fetchone()

    def _associate(self, conn: sqlite3.Connection, object_type: str, oid: int, associations: Any) -> None:
        """Associations given on create: `[{to: {id}, types: [{associationCategory, associationTypeId}]}]`."""
        for spec in associations or []:
            try:
                to_id = int(spec["to"]["id"])
                type_ids = {int(t["associationTypeId"]) for t in spec.get("types", [])}
            except (KeyError, TypeError, ValueError):
                raise InputError(
                    400,
                    "VALIDATION_ERROR",
                    "associations must look like"
                    " [{to: {id}, types: [{associationCategory, associationTypeId}]}].",
                ) from None
            for to_type in catalog.OBJECT_TYPES:
                if catalog.association_type_id(object_type, to_type) not in type_ids:
                    continue
                links = [
                    (object_type, oid, to_type, to_id, catalog.association_label(object_type, to_type)),
                    (to_type, to_id, object_type, oid, catalog.association_label(to_type, object_type)),
                ]
                conn.executemany("insert or ignore into associations values (?, ?, ?, ?, ?)", links)


def _object_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("Invalid input JSON: the request body must be an object with `properties`.")
    return body

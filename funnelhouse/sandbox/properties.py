"""Property definitions per object type: HubSpot's standard ones, the world's declared ones, every
property seen in the data, and those created through the API.

Writes are validated against this catalog, so a client that sends a property HubSpot would not know
fails here the way it would fail there.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from funnelhouse.sandbox import catalog
from funnelhouse.sandbox.errors import ApiError, bad_request, not_found
from funnelhouse.sandbox.storage import Store

_NAME = re.compile(r"^[a-z0-9_]+$")
_TYPES = ("string", "number", "date", "datetime", "enumeration", "bool")
_REQUIRED = ("name", "label", "type", "fieldType", "groupName")


class PropertyCatalog:
    """Cached view of the `properties` table (read on every write and search, so kept in memory)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in catalog.OBJECT_TYPES}
        with store.reading() as conn:
            for type_, name, body in conn.execute("select type, name, body from properties"):
                self._cache.setdefault(type_, {})[name] = json.loads(body)

    def all(self, object_type: str) -> list[dict[str, Any]]:
        with self._store.reading():
            return sorted(self._cache[object_type].values(), key=lambda d: d["name"])

    def get(self, object_type: str, name: str) -> dict[str, Any] | None:
        with self._store.reading():
            return self._cache[object_type].get(name)

    def require(self, object_type: str, name: str) -> dict[str, Any]:
        definition = self.get(object_type, name)
        if definition is None:
            raise not_found(f"Property {name} does not exist on {object_type}.")
        return definition

    def kind(self, object_type: str, name: str) -> str | None:
        """The property's type (string, number, datetime, ...) or None when it does not exist."""
        definition = self.get(object_type, name)
        return definition["type"] if definition else None

    def save(self, conn: sqlite3.Connection, object_type: str, definition: dict[str, Any]) -> None:
        """Insert or replace one definition (call inside `Store.writing()`)."""
        conn.execute(
            "insert or replace into properties (type, name, body) values (?, ?, ?)",
            (object_type, definition["name"], json.dumps(definition)),
        )
        self._cache[object_type][definition["name"]] = definition

    def create(self, object_type: str, body: Any) -> dict[str, Any]:
        """`POST /crm/v3/properties/{type}`: validate like HubSpot, 409 when the name is taken."""
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object describing the property.")
        missing = [key for key in _REQUIRED if not body.get(key)]
        if missing:
            raise bad_request(f"Property definition is missing required field(s): {', '.join(missing)}.")
        name = str(body["name"])
        if not _NAME.match(name):
            raise bad_request(
                f"Property name {name!r} is invalid: use lowercase letters, digits and underscores only."
            )
        if body["type"] not in _TYPES:
            raise bad_request(f"Property type {body['type']!r} is invalid; use one of {', '.join(_TYPES)}.")
        options = body.get("options") or []
        if not isinstance(options, list) or not all(isinstance(o, dict) and "value" in o for o in options):
            raise bad_request("Property options must be a list of objects with a `value` (and a `label`).")
        definition = catalog.property_definition(object_type, name, body["type"])
        definition.update(
            {
                "label": str(body["label"]),
                "fieldType": str(body["fieldType"]),
                "groupName": str(body["groupName"]),
                "description": str(body.get("description") or ""),
                "hasUniqueValue": bool(body.get("hasUniqueValue", False)),
                "hidden": bool(body.get("hidden", False)),
                "formField": bool(body.get("formField", False)),
                "hubspotDefined": False,
                "options": [
                    {
                        "label": str(o.get("label", o["value"])),
                        "value": str(o["value"]),
                        "displayOrder": int(o.get("displayOrder", i)),
                        "hidden": bool(o.get("hidden", False)),
                    }
                    for i, o in enumerate(options)
                ],
            }
        )
        with self._store.writing() as conn:
            if name in self._cache[object_type]:
                raise ApiError(
                    409,
                    "OBJECT_ALREADY_EXISTS",
                    f"Property named '{name}' already exists.",
                    subCategory="PropertyValidationError.PROPERTY_EXISTS",
                )
            self.save(conn, object_type, definition)
        return definition

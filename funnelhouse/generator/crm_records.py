"""HubSpot CRM v3 objects under construction: properties, their history, and associations.

A record is built while the simulation moves forward in time and serialised once, exactly as
`GET /crm/v3/objects/<type>/<id>?propertiesWithHistory=...&associations=...` returns it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from funnelhouse.generator.clock import SECOND, iso
from funnelhouse.hubspot_vocabulary import SINGULAR, TRACKED_HISTORY

HISTORY_PROPERTIES = TRACKED_HISTORY
CREATED_PROPERTY = {"contacts": "createdate", "companies": "createdate", "deals": "createdate"}
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate"}


@dataclass(frozen=True)
class Source:
    """Who made a change: HubSpot's `sourceType`, `sourceId` and `updatedByUserId`."""

    type: str
    id: str | None = None
    user_id: int | None = None


class IdAllocator:
    """Increasing integer ids per object type, as strings (`"1"`, `"2"`, ...)."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def next(self, object_type: str) -> str:
        value = self._next.get(object_type, 1)
        self._next[object_type] = value + 1
        return str(value)


@dataclass
class CrmRecord:
    object_type: str
    id: str
    created_ms: int
    properties: dict[str, str | None] = field(default_factory=dict)
    modified_ms: int = 0
    history: dict[str, list[tuple[int, str | None, Source]]] = field(default_factory=dict)
    associations: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.modified_ms = max(self.modified_ms, self.created_ms)

    @property
    def last_change_ms(self) -> int:
        """The newest history timestamp (or creation): a new change must come strictly after it."""
        latest = self.created_ms
        for entries in self.history.values():
            if entries:
                latest = max(latest, entries[-1][0])
        return latest

    def set(self, prop: str, value: str | None, at_ms: int, source: Source) -> int:
        """Change a property at a time; tracked properties keep their history strictly ordered.

        Returns the timestamp actually recorded (nudged by a second when two changes would tie, so the
        newest-first order is unambiguous).
        """
        if prop in HISTORY_PROPERTIES.get(self.object_type, ()):
            entries = self.history.setdefault(prop, [])
            if entries and at_ms <= entries[-1][0]:
                at_ms = entries[-1][0] + SECOND
            entries.append((at_ms, value, source))
        self.properties[prop] = value
        self.modified_ms = max(self.modified_ms, at_ms)
        return at_ms

    def associate(self, other: CrmRecord) -> None:
        """Link both ways (HubSpot lists an association on each side)."""
        self.associations.setdefault(other.object_type, []).append(other.id)
        other.associations.setdefault(self.object_type, []).append(self.id)

    def to_json(self) -> dict[str, Any]:
        modified = iso(self.modified_ms)
        properties = dict(self.properties)
        if self.object_type == "contacts":
            properties["lastmodifieddate"] = modified
        else:
            properties["hs_lastmodifieddate"] = modified
        properties["hs_object_id"] = self.id
        body: dict[str, Any] = {"id": self.id, "properties": properties}
        tracked = HISTORY_PROPERTIES.get(self.object_type)
        if tracked:
            body["propertiesWithHistory"] = {
                prop: [
                    {
                        "value": value,
                        "timestamp": iso(at),
                        "sourceType": source.type,
                        "sourceId": source.id,
                        "updatedByUserId": source.user_id,
                    }
                    for at, value, source in reversed(self.history.get(prop, []))
                ]
                for prop in tracked
            }
        body["createdAt"] = iso(self.created_ms)
        body["updatedAt"] = modified
        body["archived"] = False
        me = SINGULAR[self.object_type]
        body["associations"] = {
            target: {
                "results": [{"id": i, "type": f"{me}_to_{SINGULAR[target]}"} for i in sorted(ids, key=int)]
            }
            for target, ids in sorted(self.associations.items())
        }
        return body

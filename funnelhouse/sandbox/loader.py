"""First start: read a world's `crm/` folder into the sandbox database.

Runs once per database file (a `meta` row marks it loaded), so restarting on an existing file keeps
every write made through the API. A malformed line stops the load with the file, line and field named.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from funnelhouse.sandbox import catalog
from funnelhouse.sandbox.properties import PropertyCatalog
from funnelhouse.sandbox.storage import INDEXES, Store
from funnelhouse.sandbox.timefmt import ms_from_text, now_ms

log = logging.getLogger(__name__)


class WorldFormatError(ValueError):
    """A world file that does not follow docs/world-format.md."""


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise WorldFormatError(
                    f"{path}:{number}: not valid JSON ({exc.msg}); fix or remove the line"
                ) from None
            if not isinstance(record, dict):
                raise WorldFormatError(f"{path}:{number}: expected a JSON object per line")
            yield number, record


def _ms(value: Any, where: str, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return ms_from_text(str(value))
    except ValueError as exc:
        raise WorldFormatError(f"{where}: field {field!r}: {exc}") from None


def _object_id(value: Any, where: str, field: str = "id") -> int:
    text = str(value) if value is not None else ""
    if not text.isdigit():
        raise WorldFormatError(
            f'{where}: field {field!r} must be a numeric id string like "1042", got {value!r}'
        )
    return int(text)


def is_loaded(store: Store) -> bool:
    return store.meta("loaded_from") is not None


def load_world(store: Store, properties: PropertyCatalog, world: Path) -> dict[str, int]:
    """Load `world/crm/` into an empty database; returns the number of records per file."""
    crm = world / "crm"
    if not crm.is_dir():
        raise WorldFormatError(
            f"No crm/ folder in world {world}: write one with `funnelhouse generate --out {world}` "
            "or by hand (see docs/world-format.md)."
        )
    counts: dict[str, int] = {}
    seen: dict[str, dict[str, set[str]]] = {t: defaultdict(set) for t in catalog.OBJECT_TYPES}
    with store.writing() as conn:
        for name in INDEXES:
            conn.execute(f"drop index if exists {name}")
        for object_type in catalog.OBJECT_TYPES:
            path = crm / f"{object_type}.jsonl"
            if not path.exists():
                continue
            objects, history, links = [], [], []
            for number, record in _lines(path):
                where = f"{path}:{number}"
                oid = _object_id(record.get("id"), where)
                props = record.get("properties")
                if not isinstance(props, dict):
                    raise WorldFormatError(f"{where}: field 'properties' must be an object of strings")
                props = {k: (None if v is None else str(v)) for k, v in props.items()}
                props.setdefault("hs_object_id", str(oid))
                for name, value in props.items():
                    seen[object_type][name].add(value or "")
                created = _ms(record.get("createdAt"), where, "createdAt")
                created = created or _ms(
                    props.get(catalog.create_date_property(object_type)), where, "createdate"
                )
                created = created or now_ms()
                updated = _ms(record.get("updatedAt"), where, "updatedAt") or created
                archived = bool(record.get("archived", False))
                objects.append(
                    (
                        object_type,
                        oid,
                        json.dumps(props),
                        created,
                        updated,
                        int(archived),
                        updated if archived else None,
                    )
                )
                for name, entries in (record.get("propertiesWithHistory") or {}).items():
                    for entry in entries or []:
                        ts = _ms(entry.get("timestamp"), where, f"propertiesWithHistory.{name}.timestamp")
                        history.append(
                            (
                                object_type,
                                oid,
                                name,
                                entry.get("value"),
                                ts if ts is not None else updated,
                                entry.get("sourceType") or "CRM_UI",
                                entry.get("sourceId"),
                                entry.get("updatedByUserId"),
                            )
                        )
                for to_name, block in (record.get("associations") or {}).items():
                    try:
                        to_type = catalog.object_type(to_name)
                    except Exception:  # noqa: BLE001 - an object type the sandbox does not serve
                        log.warning("%s: skipping associations to unknown object type %r", where, to_name)
                        continue
                    for link in (block or {}).get("results", []):
                        to_id = _object_id(link.get("id"), where, f"associations.{to_name}.id")
                        label = link.get("type") or catalog.association_label(object_type, to_type)
                        links.append((object_type, oid, to_type, to_id, label))
            # Oldest history first, so sequence order is time order for entries with equal timestamps.
            history.sort(key=lambda row: row[4])
            conn.executemany("insert or replace into objects values (?, ?, ?, ?, ?, ?, ?)", objects)
            conn.executemany(
                "insert into history"
                " (type, id, property, value, ts_ms, source_type, source_id, updated_by_user_id)"
                " values (?, ?, ?, ?, ?, ?, ?, ?)",
                history,
            )
            conn.executemany("insert or ignore into associations values (?, ?, ?, ?, ?)", links)
            # A world lists associations on both sides; store the reverse too in case one side is missing.
            conn.executemany(
                "insert or ignore into associations values (?, ?, ?, ?, ?)",
                [(t, ti, f, fi, catalog.association_label(t, f)) for f, fi, t, ti, _ in links],
            )
            counts[object_type] = len(objects)
        owners_path = crm / "owners.jsonl"
        if owners_path.exists():
            owners = []
            for number, record in _lines(owners_path):
                oid = _object_id(record.get("id"), f"{owners_path}:{number}")
                record.setdefault("type", "PERSON")
                owners.append((oid, json.dumps(record), int(bool(record.get("archived", False)))))
            conn.executemany("insert or replace into owners values (?, ?, ?)", owners)
            counts["owners"] = len(owners)
        _load_properties(conn, properties, crm, seen)
        for statement in INDEXES.values():
            conn.execute(statement)
        conn.execute("insert or replace into meta values ('loaded_from', ?)", (str(world.resolve()),))
    return counts


def _load_properties(
    conn, properties: PropertyCatalog, crm: Path, seen: dict[str, dict[str, set[str]]]
) -> None:
    """Standard definitions, overridden by declared ones, plus a string definition for any other seen name."""
    for object_type in catalog.OBJECT_TYPES:
        defs = {d["name"]: d for d in catalog.standard_properties(object_type)}
        declared = crm / "properties" / f"{object_type}.jsonl"
        if declared.exists():
            for number, record in _lines(declared):
                name = record.get("name")
                if not name or not isinstance(name, str):
                    raise WorldFormatError(f"{declared}:{number}: field 'name' is required")
                base = catalog.property_definition(object_type, name, str(record.get("type") or "string"))
                base.update({k: v for k, v in record.items() if v is not None})
                base["options"] = [
                    {
                        "label": str(o.get("label", o.get("value"))),
                        "value": str(o.get("value")),
                        "displayOrder": int(o.get("displayOrder", i)),
                        "hidden": bool(o.get("hidden", False)),
                    }
                    for i, o in enumerate(base.get("options") or [])
                ]
                defs[name] = base
        for name, values in seen[object_type].items():
            definition = defs.setdefault(name, catalog.property_definition(object_type, name))
            if definition["type"] == "enumeration" and definition["options"]:
                known = {o["value"] for o in definition["options"]}
                extra = sorted(values - known - {""})
                if extra:
                    log.info(
                        "%s.%s: accepting undeclared option(s) found in the world: %s",
                        object_type,
                        name,
                        extra,
                    )
                for value in extra:
                    definition["options"].append(catalog.option(value, len(definition["options"])))
        for definition in defs.values():
            properties.save(conn, object_type, definition)

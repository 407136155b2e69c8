"""Load a world folder (docs/world-format.md) into the raw layer (docs/raw-schema.md), without dlt.

A stand-in for ingestion in the dbt tests: same schemas, tables and column names as `ingestion`
produces (dlt's snake_case, `__` for nested fields, CRM properties as text columns), so the dbt project
is tested against the documented raw contract. `until` loads only what existed by the end of that day
(CRM objects created by then, event partitions received by then), to stage an incremental run.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from funnelhouse.warehouse import Warehouse

CRM_OBJECTS = ["contacts", "companies", "deals", "calls", "emails", "tasks", "meetings"]
HISTORY_OBJECTS = {"contacts", "companies", "deals"}
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
TIMESTAMP_COLUMNS = {
    "created_at",
    "updated_at",
    "_extracted_at",
    "changed_at",
    "timestamp",
    "sent_at",
    "received_at",
    "event_at",
}
BOOL_COLUMNS = {"archived", "is_deleted"}
CRM_BASE_COLUMNS = ["id", "created_at", "updated_at", "archived", "is_deleted", "_extracted_at"]
HISTORY_COLUMNS = [
    "object_type",
    "object_id",
    "property",
    "value",
    "changed_at",
    "source_type",
    "source_id",
    "updated_by_user_id",
    "_extracted_at",
]
ASSOCIATION_COLUMNS = [
    "from_object_type",
    "from_object_id",
    "to_object_type",
    "to_object_id",
    "association_type",
    "_extracted_at",
]
BIGINT_COLUMNS = {"_source_line"}


def snake(name: str) -> str:
    return _CAMEL.sub(r"_\1", name).lower().replace("-", "_")


def _ts(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{snake(key)}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}__"))
        elif isinstance(value, list):
            flat[name] = json.dumps(value)
        else:
            flat[name] = value
    return flat


def _column_type(engine: str, name: str) -> str:
    if name in TIMESTAMP_COLUMNS:
        return "timestamptz"
    if name in BOOL_COLUMNS:
        return "boolean"
    if name in BIGINT_COLUMNS:
        return "bigint"
    return "text" if engine == "postgres" else "varchar"


def _write_table(
    wh: Warehouse,
    schema: str,
    table: str,
    rows: list[dict[str, Any]],
    types: dict[str, str] | None = None,
    base_columns: list[str] | None = None,
) -> None:
    """(Re)create one raw table; columns are the union of the rows' keys, after `base_columns`."""
    types = types or {}
    columns: list[str] = list(base_columns or [])
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    wh.execute(f"create schema if not exists {schema}")
    # PostgreSQL: staging views depend on raw tables; dbt recreates them on the next run.
    wh.execute(f"drop table if exists {schema}.{table}" + (" cascade" if wh.engine == "postgres" else ""))
    ddl = ", ".join(f'"{c}" {types.get(c) or _column_type(wh.engine, c)}' for c in columns)
    wh.execute(f"create table {schema}.{table} ({ddl})")
    if not rows:
        return
    values = [[row.get(c) for c in columns] for row in rows]
    quoted = ", ".join(f'"{c}"' for c in columns)
    if wh.engine == "postgres":
        from psycopg2.extras import execute_values

        with wh.connection.cursor() as cur:
            execute_values(cur, f"insert into {schema}.{table} ({quoted}) values %s", values, page_size=1000)
    else:
        import pandas as pd

        frame = pd.DataFrame.from_records(values, columns=columns).astype(object)
        frame = frame.where(frame.notna(), None)
        wh.connection.register("_raw_frame", frame)
        wh.connection.execute(f"insert into {schema}.{table} ({quoted}) select {quoted} from _raw_frame")
        wh.connection.unregister("_raw_frame")


def _load_crm(wh: Warehouse, world: Path, until: date | None, extracted_at: datetime, load_id: str) -> None:
    crm = world / "crm"
    history: list[dict[str, Any]] = []
    associations: dict[tuple[str, ...], dict[str, Any]] = {}
    for object_type in CRM_OBJECTS:
        path = crm / f"{object_type}.jsonl"
        records = _read_jsonl(path) if path.exists() else []
        rows = []
        for record in records:
            created = _ts(record.get("createdAt"))
            if until and created and created.date() > until:
                continue
            row: dict[str, Any] = {
                "id": str(record["id"]),
                "created_at": created,
                "updated_at": _ts(record.get("updatedAt")),
                "archived": bool(record.get("archived", False)),
                "is_deleted": bool(record.get("archived", False)),
                "_extracted_at": extracted_at,
            }
            for prop, value in (record.get("properties") or {}).items():
                row[snake(prop)] = None if value is None else str(value)
            row["_dlt_load_id"] = load_id
            row["_dlt_id"] = uuid.uuid4().hex
            rows.append(row)
            if object_type in HISTORY_OBJECTS:
                for prop, changes in (record.get("propertiesWithHistory") or {}).items():
                    for change in changes:
                        history.append(
                            {
                                "object_type": object_type,
                                "object_id": str(record["id"]),
                                "property": prop,
                                "value": change.get("value"),
                                "changed_at": _ts(change.get("timestamp")),
                                "source_type": change.get("sourceType"),
                                "source_id": change.get("sourceId"),
                                "updated_by_user_id": None
                                if change.get("updatedByUserId") is None
                                else str(change.get("updatedByUserId")),
                                "_extracted_at": extracted_at,
                            }
                        )
            for target_type, block in (record.get("associations") or {}).items():
                for link in block.get("results", []):
                    key = (object_type, str(record["id"]), target_type, str(link["id"]), link.get("type", ""))
                    associations[key] = dict(
                        zip(
                            [
                                "from_object_type",
                                "from_object_id",
                                "to_object_type",
                                "to_object_id",
                                "association_type",
                            ],
                            key,
                            strict=True,
                        ),
                        _extracted_at=extracted_at,
                    )
        _write_table(wh, "raw_hubspot", object_type, rows, base_columns=CRM_BASE_COLUMNS)
    owners_path = crm / "owners.jsonl"
    owners = []
    for owner in _read_jsonl(owners_path) if owners_path.exists() else []:
        owners.append(
            {
                "id": str(owner["id"]),
                "email": owner.get("email"),
                "first_name": owner.get("firstName"),
                "last_name": owner.get("lastName"),
                "user_id": None if owner.get("userId") is None else str(owner.get("userId")),
                "created_at": _ts(owner.get("createdAt")),
                "updated_at": _ts(owner.get("updatedAt")),
                "archived": bool(owner.get("archived", False)),
                "is_deleted": bool(owner.get("archived", False)),
                "_extracted_at": extracted_at,
                "_dlt_load_id": load_id,
                "_dlt_id": uuid.uuid4().hex,
            }
        )
    _write_table(wh, "raw_hubspot", "owners", owners)
    _write_table(wh, "raw_hubspot", "property_history", history, base_columns=HISTORY_COLUMNS)
    _write_table(
        wh, "raw_hubspot", "associations", list(associations.values()), base_columns=ASSOCIATION_COLUMNS
    )


def _partitions(folder: Path, until: date | None) -> list[Path]:
    files = []
    for part in sorted(folder.glob("dt=*")):
        day = date.fromisoformat(part.name.removeprefix("dt="))
        if until is None or day <= until:
            files.extend(sorted(part.glob("*.jsonl")))
    return files


def _load_web(wh: Warehouse, world: Path, until: date | None, load_id: str) -> None:
    rows: dict[str, dict[str, Any]] = {}
    for path in _partitions(world / "web", until):
        for line_number, event in enumerate(_read_jsonl(path), start=1):
            flat = _flatten(event)
            if flat.get("message_id") in rows:
                continue
            for column in ("timestamp", "sent_at", "received_at"):
                flat[column] = _ts(flat.get(column))
            flat["_source_file"] = str(path.relative_to(world))
            flat["_source_line"] = line_number
            flat["_dlt_load_id"] = load_id
            flat["_dlt_id"] = uuid.uuid4().hex
            rows[flat["message_id"]] = flat
    types = {"timestamp": "timestamptz"}
    _write_table(wh, "raw_web", "events", list(rows.values()), types)


def _load_email(wh: Warehouse, world: Path, until: date | None, load_id: str) -> None:
    rows: dict[str, dict[str, Any]] = {}
    for path in _partitions(world / "email", until):
        for line_number, event in enumerate(_read_jsonl(path), start=1):
            if event["sg_event_id"] in rows:
                continue
            category = event.pop("category", None)
            categories = category if isinstance(category, list) else ([category] if category else [])
            row = {
                snake(k): (v if not isinstance(v, dict | list) else json.dumps(v)) for k, v in event.items()
            }
            row["timestamp"] = int(event["timestamp"])
            row["event_at"] = datetime.fromtimestamp(int(event["timestamp"]), UTC)
            row["category"] = categories[0] if categories else None
            row["categories"] = ",".join(categories) if categories else None
            row["_source_file"] = str(path.relative_to(world))
            row["_source_line"] = line_number
            row["_dlt_load_id"] = load_id
            row["_dlt_id"] = uuid.uuid4().hex
            rows[event["sg_event_id"]] = row
    _write_table(wh, "raw_email", "events", list(rows.values()), {"timestamp": "bigint"})


def load_world(wh: Warehouse, world: Path, until: date | None = None) -> None:
    """Replace the raw layer with the world's content (up to the end of `until` when given)."""
    extracted_at = datetime(2030, 1, 1, tzinfo=UTC)
    load_id = f"{(until or date(2099, 1, 1)).isoformat()}-test"
    _load_crm(wh, world, until, extracted_at, load_id)
    _load_web(wh, world, until, load_id)
    _load_email(wh, world, until, load_id)
    wh.commit()

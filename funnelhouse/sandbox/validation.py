"""Property values a write may carry: names that exist, values their type accepts, lifecycle stages
that only move forward. Mirrors the checks HubSpot makes so a bad write fails here first."""

from __future__ import annotations

from typing import Any

from funnelhouse.sandbox import catalog
from funnelhouse.sandbox.errors import property_detail
from funnelhouse.sandbox.properties import PropertyCatalog
from funnelhouse.sandbox.timefmt import normalize_iso

_BOOLS = {"true", "false"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def clean_values(
    properties: PropertyCatalog, object_type: str, values: Any
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Normalised values (all strings, dates in canonical ISO) and the per-property problems found."""
    if not isinstance(values, dict):
        return {}, [
            property_detail("properties", "INVALID_INPUT", "`properties` must be an object of name: value")
        ]
    cleaned: dict[str, str] = {}
    problems: list[dict[str, Any]] = []
    for name, raw in values.items():
        definition = properties.get(object_type, name)
        if definition is None:
            problems.append(
                property_detail(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
            )
            continue
        value = _text(raw).strip() if definition["type"] != "string" else _text(raw)
        kind = definition["type"]
        if value == "" or name in catalog.READ_ONLY:
            cleaned[name] = value
            continue
        if kind == "enumeration" and definition.get("options"):
            allowed = [o["value"] for o in definition["options"]]
            if value not in allowed:
                problems.append(
                    property_detail(
                        name,
                        "INVALID_OPTION",
                        f"{value!r} was not one of the allowed options for {name}: {allowed}",
                    )
                )
                continue
        elif kind == "number":
            try:
                float(value)
            except ValueError:
                problems.append(
                    property_detail(name, "INVALID_FLOAT", f"{value!r} is not a valid number for {name}")
                )
                continue
        elif kind in ("datetime", "date"):
            try:
                value = normalize_iso(value)
            except ValueError:
                problems.append(
                    property_detail(
                        name,
                        "INVALID_DATE",
                        f"{value!r} is not a valid date for {name} (ISO-8601 or epoch ms)",
                    )
                )
                continue
        elif kind == "bool" and value.lower() not in _BOOLS:
            problems.append(
                property_detail(name, "INVALID_BOOLEAN", f"{value!r} is not true or false for {name}")
            )
            continue
        cleaned[name] = value
    return cleaned, problems


def lifecycle_problem(current: str | None, new: str | None) -> str | None:
    """Why moving `lifecyclestage` from current to new is refused, or None when it is allowed.

    HubSpot only moves a stage forward (subscriber ... evangelist); `other` sits outside the order, and
    clearing the value (empty) is how a client resets it before setting an earlier stage.
    """
    if not current or not new or current == new:
        return None
    order = catalog.LIFECYCLE_ORDER
    if current in order and new in order and order.index(new) < order.index(current):
        return (
            f"lifecyclestage cannot move backwards from {current!r} to {new!r}; "
            "clear it (set it to an empty value) first if the stage must go back"
        )
    return None

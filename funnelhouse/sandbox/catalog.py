"""What the sandbox knows about HubSpot's CRM before reading a world: object types, default and
standard properties, lifecycle-stage order and association type ids.

Kept as data in one place so the rules a client can trip over (which property is the cursor, which
values an enumeration accepts, which way a lifecycle stage may move) are easy to find and to change.
"""

from __future__ import annotations

from typing import Any

from funnelhouse.hubspot_vocabulary import (
    DEAL_STAGES,
    ENGAGEMENT_TYPES,
    LEAD_STATUSES,
    LIFECYCLE_ORDER,
    LIFECYCLE_STAGES,
    OBJECT_TYPES,
)
from funnelhouse.sandbox.errors import not_found

ENGAGEMENTS = ENGAGEMENT_TYPES

# Accepted spellings of each object type: plural, singular and HubSpot's objectTypeId.
_ALIASES = {
    "contacts": ("contact", "0-1"),
    "companies": ("company", "0-2"),
    "deals": ("deal", "0-3"),
    "calls": ("call", "0-48"),
    "emails": ("email", "0-49"),
    "tasks": ("task", "0-27"),
    "meetings": ("meeting", "0-47"),
}
_TYPE_BY_NAME = {alias: plural for plural, aliases in _ALIASES.items() for alias in (plural, *aliases)}

SINGULAR = {plural: aliases[0] for plural, aliases in _ALIASES.items()}


def object_type(name: str) -> str:
    """The canonical (plural) object type for a path segment, or HubSpot's 404 naming it."""
    canonical = _TYPE_BY_NAME.get(name.lower())
    if canonical is None:
        raise not_found(
            f"Unable to infer object type from: {name}. Known object types: {', '.join(OBJECT_TYPES)}."
        )
    return canonical


def last_modified_property(object_type: str) -> str:
    """The property HubSpot bumps on every change: `lastmodifieddate` on contacts only."""
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


def create_date_property(object_type: str) -> str:
    return "hs_createdate" if object_type in ENGAGEMENTS else "createdate"


# What HubSpot returns when a read does not name `properties`.
DEFAULT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": ("firstname", "lastname", "email", "createdate", "lastmodifieddate", "hs_object_id"),
    "companies": ("name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"),
    "deals": (
        "dealname",
        "amount",
        "closedate",
        "pipeline",
        "dealstage",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    ),
    "calls": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "emails": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "tasks": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "meetings": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
}

# Properties the server maintains itself; writes to them are ignored, as HubSpot ignores them.
READ_ONLY = frozenset(
    {"hs_object_id", "createdate", "hs_createdate", "lastmodifieddate", "hs_lastmodifieddate"}
)

# Properties HubSpot can search with its free-text `query`.
QUERY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": ("email", "firstname", "lastname", "phone", "company"),
    "companies": ("name", "domain", "website", "phone"),
    "deals": ("dealname",),
}

_ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "contacts": {
        "lifecyclestage": LIFECYCLE_STAGES,
        "hs_lead_status": LEAD_STATUSES,
        "hs_analytics_source": (
            "ORGANIC_SEARCH",
            "PAID_SEARCH",
            "EMAIL_MARKETING",
            "SOCIAL_MEDIA",
            "REFERRALS",
            "OTHER_CAMPAIGNS",
            "DIRECT_TRAFFIC",
            "OFFLINE",
            "PAID_SOCIAL",
        ),
    },
    "companies": {"lifecyclestage": (*LIFECYCLE_ORDER, "other")},
    "deals": {
        "pipeline": ("sales", "default"),
        "dealstage": DEAL_STAGES,
    },
    "calls": {
        "hs_call_direction": ("OUTBOUND", "INBOUND"),
        "hs_call_status": ("COMPLETED", "NO_ANSWER", "BUSY"),
    },
    "emails": {
        "hs_email_direction": ("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"),
        "hs_email_status": ("SENT",),
    },
    "tasks": {"hs_task_type": ("CALL", "EMAIL", "TODO"), "hs_task_status": ("NOT_STARTED", "COMPLETED")},
    "meetings": {"hs_meeting_outcome": ("SCHEDULED", "COMPLETED", "NO_SHOW", "CANCELED", "RESCHEDULED")},
}

_NUMBERS = {
    "companies": ("numberofemployees", "annualrevenue"),
    "deals": ("amount",),
    "calls": ("hs_call_duration",),
}

_DATETIMES = {
    "contacts": ("createdate", "lastmodifieddate"),
    "companies": ("createdate", "hs_lastmodifieddate"),
    "deals": ("createdate", "hs_lastmodifieddate", "closedate", "notes_next_activity_date"),
    "calls": ("hs_timestamp", "hs_createdate", "hs_lastmodifieddate"),
    "emails": ("hs_timestamp", "hs_createdate", "hs_lastmodifieddate"),
    "tasks": ("hs_timestamp", "hs_createdate", "hs_lastmodifieddate"),
    "meetings": (
        "hs_timestamp",
        "hs_createdate",
        "hs_lastmodifieddate",
        "hs_meeting_start_time",
        "hs_meeting_end_time",
    ),
}

_STRINGS = {
    "contacts": (
        "email",
        "firstname",
        "lastname",
        "jobtitle",
        "phone",
        "country",
        "company",
        "hubspot_owner_id",
    ),
    "companies": ("name", "domain", "industry", "country", "city", "hubspot_owner_id"),
    "deals": ("dealname", "hubspot_owner_id", "hs_next_step"),
    "calls": ("hs_call_title", "hubspot_owner_id"),
    "emails": ("hs_email_subject", "hubspot_owner_id"),
    "tasks": ("hs_task_subject", "hubspot_owner_id"),
    "meetings": ("hs_meeting_title", "hubspot_owner_id"),
}

_FIELD_TYPE = {
    "string": "text",
    "number": "number",
    "datetime": "date",
    "date": "date",
    "enumeration": "select",
    "bool": "booleancheckbox",
}

_GROUP = {
    "contacts": "contactinformation",
    "companies": "companyinformation",
    "deals": "dealinformation",
}


def property_definition(
    object_type: str, name: str, type_: str = "string", options: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A full property definition in the shape of `GET /crm/v3/properties/{type}/{name}`."""
    return {
        "name": name,
        "label": name.replace("_", " ").title(),
        "type": type_,
        "fieldType": _FIELD_TYPE.get(type_, "text"),
        "groupName": _GROUP.get(object_type, f"{SINGULAR[object_type]}information"),
        "description": "",
        "options": [option(value, i) for i, value in enumerate(options)],
        "displayOrder": -1,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": name == "hs_object_id",
        "hidden": False,
        "formField": type_ != "datetime",
        "hubspotDefined": not name.startswith("funnelhouse_"),
        "modificationMetadata": {
            "archivable": name not in READ_ONLY,
            "readOnlyDefinition": name in READ_ONLY,
            "readOnlyValue": name in READ_ONLY,
        },
    }


def option(value: str, order: int) -> dict[str, Any]:
    return {"label": value, "value": value, "displayOrder": order, "hidden": False}


def standard_properties(object_type: str) -> list[dict[str, Any]]:
    """HubSpot's built-in properties Funnelhouse uses, for one object type."""
    defs: dict[str, dict[str, Any]] = {
        "hs_object_id": property_definition(object_type, "hs_object_id", "number")
    }
    for name in _STRINGS.get(object_type, ()):
        defs[name] = property_definition(object_type, name)
    for name in _NUMBERS.get(object_type, ()):
        defs[name] = property_definition(object_type, name, "number")
    for name in _DATETIMES.get(object_type, ()):
        defs[name] = property_definition(object_type, name, "datetime")
    for name, values in _ENUMS.get(object_type, {}).items():
        defs[name] = property_definition(object_type, name, "enumeration", values)
    return list(defs.values())


# HubSpot-defined association type ids, keyed by (from, to) object type.
_ASSOCIATION_TYPE_IDS = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("contacts", "calls"): 193,
    ("calls", "contacts"): 194,
    ("contacts", "emails"): 197,
    ("emails", "contacts"): 198,
    ("contacts", "meetings"): 199,
    ("meetings", "contacts"): 200,
    ("contacts", "tasks"): 203,
    ("tasks", "contacts"): 204,
    ("deals", "calls"): 205,
    ("calls", "deals"): 206,
    ("deals", "emails"): 209,
    ("emails", "deals"): 210,
    ("deals", "meetings"): 211,
    ("meetings", "deals"): 212,
    ("deals", "tasks"): 215,
    ("tasks", "deals"): 216,
}


def association_type_id(from_type: str, to_type: str) -> int:
    """HubSpot's typeId for the unlabeled association between two object types (0 if HubSpot has none)."""
    return _ASSOCIATION_TYPE_IDS.get((from_type, to_type), 0)


def association_label(from_type: str, to_type: str) -> str:
    """The v3 `type` string of an association, e.g. `contact_to_company`."""
    return f"{SINGULAR[from_type]}_to_{SINGULAR[to_type]}"

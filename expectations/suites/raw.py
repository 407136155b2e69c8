"""The raw gate: what ingestion loaded must be keyed, typed, in known sets, linked, fresh and of normal volume.

The sets come from `docs/world-format.md` (HubSpot, Segment and SendGrid vocabularies). Event-scale tables
(web and e-mail events, property history) are validated inside the run's interval only; CRM objects are
dimension-like and validated whole.
"""

from __future__ import annotations

from datetime import timedelta

import great_expectations.expectations as gxe

from expectations.config import DQSettings
from expectations.spec import (
    Catalog,
    Finding,
    RelationCheck,
    SuitePlan,
    TableChecks,
    Window,
    in_set,
    not_null,
    quote,
    to_be_null,
    unique,
)
from funnelhouse import hubspot_vocabulary as vocabulary

SCHEMAS = ["raw_hubspot", "raw_web", "raw_email"]
CRM_OBJECTS = list(vocabulary.OBJECT_TYPES)
ENGAGEMENTS = set(vocabulary.ENGAGEMENT_TYPES)
LIFECYCLE_STAGES = list(vocabulary.LIFECYCLE_STAGES)
LEAD_STATUSES = list(vocabulary.LEAD_STATUSES)
DEAL_STAGES = list(vocabulary.DEAL_STAGES)
HISTORY_PROPERTIES = {
    "lifecyclestage": LIFECYCLE_STAGES,
    "hs_lead_status": LEAD_STATUSES,
    "dealstage": DEAL_STAGES,
}
SEGMENT_TYPES = list(vocabulary.SEGMENT_TYPES)
TRACK_EVENTS = list(vocabulary.TRACK_EVENTS)
SENDGRID_EVENTS = list(vocabulary.SENDGRID_EVENTS)
EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# ISO-8601 as the CRM sends property timestamps: a date, optionally a time, fraction and offset.
ISO_REGEX = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"
# Text properties holding timestamps, per object (typed columns are checked for the future instead).
TEXT_TIMESTAMPS = {
    "contacts": ["createdate", "lastmodifieddate"],
    "companies": ["createdate", "hs_lastmodifieddate"],
    "deals": ["createdate", "hs_lastmodifieddate", "closedate", "notes_next_activity_date"],
    **{name: ["hs_timestamp", "hs_createdate", "hs_lastmodifieddate"] for name in ENGAGEMENTS},
}
REQUIRED = {
    ("raw_hubspot", t)
    for t in ["contacts", "companies", "deals", "owners", "associations", "property_history"]
} | {("raw_web", "events"), ("raw_email", "events")}


def _missing(plan: SuitePlan, catalog: Catalog, schema: str, table: str) -> bool:
    """True (and a failure or a skip noted) when the table was never loaded."""
    if catalog.has_table(schema, table):
        return False
    if (schema, table) in REQUIRED:
        plan.findings.append(
            Finding(
                table=f"{schema}.{table}",
                expectation="table_exists",
                description="ingestion loads this table on every run",
                observed="table is missing: run `funnelhouse ingest` (or check its report) before the gate",
            )
        )
    else:
        plan.skipped.append(f"{schema}.{table} (not loaded: the source sent no such records)")
    return True


def _keys(tc: TableChecks, *columns: str) -> None:
    """Keys present and unique per source (the grain ingestion merges on)."""
    for column in columns:
        if tc.need(column, "the table's key"):
            tc.add(not_null(column, f"every {tc.name} row has its key {column}"), column)
    present = [c for c in columns if tc.has(c)]
    if len(present) == 1:
        tc.add(
            unique(present[0], f"{present[0]} is unique in {tc.name} (ingestion merges on it)"), present[0]
        )


def _not_in_future(tc: TableChecks, window: Window, dq: DQSettings, *columns: str) -> None:
    limit = window.future_limit(dq.future_skew_hours)
    for column in columns:
        if tc.has(column):
            tc.add(
                gxe.ExpectColumnValuesToBeBetween(
                    column=column,
                    max_value=limit,
                    description=f"{column} is not in the future (more than {dq.future_skew_hours:g} h ahead)",
                ),
                column,
            )


def _fresh(tc: TableChecks, window: Window, dq: DQSettings, column: str, source: str) -> None:
    if tc.need(column, f"freshness of the {source} source"):
        tc.add(
            gxe.ExpectColumnMaxToBeBetween(
                column=column,
                min_value=window.until - timedelta(hours=dq.freshness_hours),
                description=(
                    f"{source} is fresh: newest {column} within {dq.freshness_hours:g} h of the run's end "
                    f"{window.until.isoformat()}"
                ),
            ),
            column,
        )


def _crm_object(plan: SuitePlan, catalog: Catalog, window: Window, dq: DQSettings, table: str) -> None:
    if _missing(plan, catalog, "raw_hubspot", table):
        return
    tc = TableChecks(plan, catalog, "raw_hubspot", table)
    _keys(tc, "id")
    _not_in_future(tc, window, dq, "created_at", "updated_at")
    for column in TEXT_TIMESTAMPS.get(table, []):
        if tc.has(column):
            tc.add(
                gxe.ExpectColumnValuesToMatchRegex(
                    column=column, regex=ISO_REGEX, description=f"{column} is a parseable ISO-8601 timestamp"
                ),
                column,
            )
    if table == "contacts":
        if tc.has("email"):
            tc.add(
                gxe.ExpectColumnValuesToMatchRegex(
                    column="email", regex=EMAIL_REGEX, description="contact e-mail is an address"
                ),
                "email",
            )
        for column, values in (("lifecyclestage", LIFECYCLE_STAGES), ("hs_lead_status", LEAD_STATUSES)):
            if tc.has(column):
                tc.add(in_set(column, values, f"{column} is a known HubSpot value"), column)
        _fresh(tc, window, dq, "_extracted_at", "CRM")
    if table == "deals" and tc.has("dealstage"):
        tc.add(in_set("dealstage", DEAL_STAGES, "dealstage is a stage of the sales pipeline"), "dealstage")
    tc.finish(volume_scope="whole")


def _owners(plan: SuitePlan, catalog: Catalog, window: Window, dq: DQSettings) -> None:
    if _missing(plan, catalog, "raw_hubspot", "owners"):
        return
    tc = TableChecks(plan, catalog, "raw_hubspot", "owners")
    _keys(tc, "id")
    if tc.has("email"):
        tc.add(
            gxe.ExpectColumnValuesToMatchRegex(column="email", regex=EMAIL_REGEX, description="owner e-mail"),
            "email",
        )
    _not_in_future(tc, window, dq, "created_at", "updated_at")
    tc.finish(volume_scope="whole")


def _property_history(plan: SuitePlan, catalog: Catalog, window: Window, dq: DQSettings) -> None:
    if _missing(plan, catalog, "raw_hubspot", "property_history"):
        return
    tc = TableChecks(plan, catalog, "raw_hubspot", "property_history", where=window.where("changed_at"))
    key = ["object_type", "object_id", "property", "changed_at"]
    for column in key:
        if tc.need(column, "part of the history's key"):
            tc.add(not_null(column, f"every history row has {column}"), column)
    if all(tc.has(c) for c in [*key, "value"]):
        tc.add(
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=[*key, "value"], description="one row per change (ingestion merges on these)"
            ),
            *key,
            "value",
        )
    if tc.has("object_type"):
        tc.add(
            in_set("object_type", ["contacts", "companies", "deals"], "history of a known object"),
            "object_type",
        )
    if tc.has("property"):
        tc.add(
            in_set("property", [*HISTORY_PROPERTIES, "hubspot_owner_id"], "a property whose history is kept"),
            "property",
        )
    _not_in_future(tc, window, dq, "changed_at")
    tc.finish(volume_scope="increment" if window.is_increment else "whole")
    if tc.has("property") and tc.has("value"):
        cases = ", ".join(
            f"case when {quote('property')} = '{name}' then nullif({quote('value')}, '') end as {name}_value"
            for name in HISTORY_PROPERTIES
        )
        check = RelationCheck(
            table="raw_hubspot.property_history (values)",
            sql=f"select {cases} from raw_hubspot.property_history where {tc.where}",
        )
        for name, values in HISTORY_PROPERTIES.items():
            check.expect(in_set(f"{name}_value", values, f"every past {name} is a known value"))
        plan.checks.append(check)


def _associations(plan: SuitePlan, catalog: Catalog) -> None:
    if _missing(plan, catalog, "raw_hubspot", "associations"):
        return
    tc = TableChecks(plan, catalog, "raw_hubspot", "associations")
    key = ["from_object_type", "from_object_id", "to_object_type", "to_object_id", "association_type"]
    for column in key:
        if tc.need(column, "part of the association's key"):
            tc.add(not_null(column, f"every association has {column}"), column)
    if all(tc.has(c) for c in key):
        tc.add(
            gxe.ExpectCompoundColumnsToBeUnique(column_list=key, description="one row per association"), *key
        )
    tc.finish(volume_scope="whole")


def _deal_contacts(plan: SuitePlan, catalog: Catalog) -> None:
    """Deal → contact: every live deal is associated (on either side) with a contact that exists."""
    needed = [("raw_hubspot", t) for t in ("deals", "contacts", "associations")]
    if not all(catalog.has_table(*t) for t in needed):
        return
    live = (
        "not coalesce(d.is_deleted, false)"
        if "is_deleted" in catalog.columns("raw_hubspot", "deals")
        else "true"
    )
    # Associations are stored in either direction: normalise them to (deal, contact) pairs first, so both
    # engines hash-join (an OR inside a correlated EXISTS is a nested loop: hours at 100k contacts).
    # (GX's SQL query assets must start with `select`: no CTE.)
    sql = f"""
        select d.id as deal_id,
               case when linked.deal_id is null then d.id end as deal_without_contact
        from raw_hubspot.deals d
        left join (
            select distinct pairs.deal_id
            from (
                select a.from_object_id as deal_id, a.to_object_id as contact_id
                from raw_hubspot.associations a
                where lower(a.from_object_type) in ('deals', 'deal')
                  and lower(a.to_object_type) in ('contacts', 'contact')
                union all
                select a.to_object_id, a.from_object_id
                from raw_hubspot.associations a
                where lower(a.to_object_type) in ('deals', 'deal')
                  and lower(a.from_object_type) in ('contacts', 'contact')
            ) as pairs
            join raw_hubspot.contacts c on c.id = pairs.contact_id
        ) as linked on linked.deal_id = d.id
        where {live}
    """
    plan.checks.append(
        RelationCheck(table="raw_hubspot.deals -> contacts", sql=sql).expect(
            to_be_null("deal_without_contact", "every deal is associated with a known contact")
        )
    )


def _web_events(plan: SuitePlan, catalog: Catalog, window: Window, dq: DQSettings) -> None:
    if _missing(plan, catalog, "raw_web", "events"):
        return
    columns = catalog.columns("raw_web", "events")
    interval = "received_at" if "received_at" in columns else "timestamp"
    tc = TableChecks(plan, catalog, "raw_web", "events", where=window.where(interval))
    _keys(tc, "message_id")
    if tc.need("type", "the Segment call type"):
        tc.add(not_null("type", "every Segment event has a type"), "type")
        tc.add(in_set("type", SEGMENT_TYPES, "Segment type is page, track or identify"), "type")
    if tc.has("event"):
        tc.add(in_set("event", TRACK_EVENTS, "track events are among the known events"), "event")
    if tc.need("timestamp", "when the event happened"):
        tc.add(not_null("timestamp", "every event has a timestamp"), "timestamp")
    _not_in_future(tc, window, dq, "timestamp", "received_at")
    if tc.has("traits__email"):
        tc.add(
            gxe.ExpectColumnValuesToMatchRegex(
                column="traits__email",
                regex=EMAIL_REGEX,
                description="identify traits carry an e-mail address",
            ),
            "traits__email",
        )
    _fresh(tc, window, dq, interval, "web events")
    tc.finish(volume_scope="increment" if window.is_increment else "whole")


def _email_events(plan: SuitePlan, catalog: Catalog, window: Window, dq: DQSettings) -> None:
    if _missing(plan, catalog, "raw_email", "events"):
        return
    tc = TableChecks(plan, catalog, "raw_email", "events", where=window.where("event_at"))
    _keys(tc, "sg_event_id")
    if tc.need("email", "the recipient"):
        tc.add(not_null("email", "every SendGrid event names its recipient"), "email")
        tc.add(
            gxe.ExpectColumnValuesToMatchRegex(
                column="email", regex=EMAIL_REGEX, description="recipient address"
            ),
            "email",
        )
    if tc.need("event", "the SendGrid event type"):
        tc.add(in_set("event", SENDGRID_EVENTS, "SendGrid event is a known type"), "event")
    if tc.need("event_at", "when the event happened"):
        tc.add(not_null("event_at", "every event has a time"), "event_at")
    _not_in_future(tc, window, dq, "event_at")
    _fresh(tc, window, dq, "event_at", "e-mail events")
    tc.finish(volume_scope="increment" if window.is_increment else "whole")
    if "email" in catalog.columns("raw_hubspot", "contacts") and tc.has("email"):
        sql = f"""
            select e.sg_event_id,
                   case when exists (select 1 from raw_hubspot.contacts c where lower(c.email) = lower(e.email))
                        then null else e.email end as email_without_contact
            from raw_email.events e
            where {window.where("event_at")}
        """
        plan.checks.append(
            RelationCheck(table="raw_email.events -> contacts", sql=sql).expect(
                to_be_null(
                    "email_without_contact",
                    f"e-mail events reach known contacts (at most {dq.unknown_email_share:.0%} unknown)",
                    mostly=1 - dq.unknown_email_share,
                )
            )
        )


def build_raw_plan(catalog: Catalog, window: Window, dq: DQSettings) -> SuitePlan:
    """Every relation and expectation of the raw gate for this run's interval."""
    plan = SuitePlan()
    for table in CRM_OBJECTS:
        _crm_object(plan, catalog, window, dq, table)
    _owners(plan, catalog, window, dq)
    _property_history(plan, catalog, window, dq)
    _associations(plan, catalog)
    _deal_contacts(plan, catalog)
    _web_events(plan, catalog, window, dq)
    _email_events(plan, catalog, window, dq)
    return plan

"""The marts gate: what dbt built must tell one consistent story before anything is sent to the CRM.

Only marts that exist are validated (others are built as the project grows); a missing mart fails only when
it is in `FUNNELHOUSE_DQ_REQUIRED_MARTS`. `fct_lead_score_daily` is event-scale and validated inside the
run's interval; the other marts are validated whole.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.config import DQSettings
from expectations.score_bounds import Bounds
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

SCHEMA = "marts"
STATUSES = ["Suspect", "Inquiry", "MQL", "SAL", "SQL", "Won", "Lost", "No decision", "Rejected", "Recycled"]
SCORE_COLUMNS = ("lead_score", "fit_score", "engagement_score")
SCORE_DATE_COLUMNS = ("score_date", "date_day", "as_of_date", "scored_on", "day", "date")
KNOWN_MARTS = [
    "fct_lead_status_history",
    "dim_leads",
    "fct_lead_score_daily",
    "fct_funnel_cohorts",
    "fct_mql_followups",
    "fct_mql_events",
]


def _exists(plan: SuitePlan, catalog: Catalog, table: str, dq: DQSettings) -> bool:
    if catalog.has_table(SCHEMA, table):
        return True
    if table in dq.required_mart_names:
        plan.findings.append(
            Finding(
                table=f"{SCHEMA}.{table}",
                expectation="table_exists",
                description="a required mart (FUNNELHOUSE_DQ_REQUIRED_MARTS)",
                observed="table is missing: run `funnelhouse build` before the gate",
            )
        )
    else:
        plan.skipped.append(f"{SCHEMA}.{table} (not built)")
    return False


def _status_history(plan: SuitePlan, catalog: Catalog) -> None:
    tc = TableChecks(plan, catalog, SCHEMA, "fct_lead_status_history")
    for column in ("person_id", "status", "valid_from", "is_current"):
        if tc.need(column, "the status history's contract"):
            tc.add(not_null(column, f"every status row has {column}"), column)
    if tc.has("status"):
        tc.add(in_set("status", STATUSES, "status is a step of the demand waterfall"), "status")
    tc.finish()
    if tc.has("person_id") and tc.has("is_current"):
        person = quote("person_id")
        sql = f"""
            select {person},
                   case when sum(case when {quote("is_current")} then 1 else 0 end) = 1 then null
                        else {person} end as person_without_one_current_status
            from {SCHEMA}.fct_lead_status_history
            group by {person}
        """
        plan.checks.append(
            RelationCheck(table=f"{SCHEMA}.fct_lead_status_history (current)", sql=sql).expect(
                to_be_null("person_without_one_current_status", "exactly one current status per person")
            )
        )


def _scores(tc: TableChecks, bounds: dict[str, Bounds], required: bool = True) -> None:
    present = [c for c in SCORE_COLUMNS if tc.has(c)]
    if not present and required:
        tc.need("lead_score", "scores are the mart's content")
    for column in present:
        bound = bounds[column]
        tc.add(
            gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=bound.low,
                max_value=bound.high,
                description=f"{column} within [{bound.low:g}, {bound.high:g}] ({bound.source})",
            ),
            column,
        )


def _dim_leads(plan: SuitePlan, catalog: Catalog, bounds: dict[str, Bounds]) -> None:
    tc = TableChecks(plan, catalog, SCHEMA, "dim_leads")
    if tc.need("person_id", "dim_leads' grain is one row per person"):
        tc.add(not_null("person_id", "every lead has a person_id"), "person_id")
        tc.add(unique("person_id", "one row per person"), "person_id")
    _scores(tc, bounds)
    tc.finish()


def _score_daily(plan: SuitePlan, catalog: Catalog, window: Window, bounds: dict[str, Bounds]) -> None:
    columns = catalog.columns(SCHEMA, "fct_lead_score_daily")
    day = next((c for c in SCORE_DATE_COLUMNS if c in columns), None)
    where = window.where(day) if day else "true"
    tc = TableChecks(plan, catalog, SCHEMA, "fct_lead_score_daily", where=where)
    _scores(tc, bounds)
    if day and tc.has("person_id"):
        tc.add(
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=["person_id", day], description="one row per person and day"
            ),
            "person_id",
            day,
        )
    tc.finish()


def _funnel_cohorts(plan: SuitePlan, catalog: Catalog) -> None:
    tc = TableChecks(plan, catalog, SCHEMA, "fct_funnel_cohorts")
    for column in tc.available:
        if column.endswith("_rate") or column.startswith("conversion_"):
            tc.add(
                gxe.ExpectColumnValuesToBeBetween(
                    column=column, min_value=0, max_value=1, description=f"{column} is a rate in [0, 1]"
                ),
                column,
            )
    if tc.used:
        tc.finish()
    else:
        plan.skipped.append(f"{SCHEMA}.fct_funnel_cohorts (no *_rate or conversion_* column)")


def _mql_followups(plan: SuitePlan, catalog: Catalog) -> None:
    tc = TableChecks(plan, catalog, SCHEMA, "fct_mql_followups")
    if tc.need("response_minutes", "the SLA's measure"):
        tc.add(
            gxe.ExpectColumnValuesToBeBetween(
                column="response_minutes", min_value=0, description="SLA response minutes are not negative"
            ),
            "response_minutes",
        )
    tc.finish()


def _mql_events(plan: SuitePlan, catalog: Catalog, bounds: dict[str, Bounds]) -> None:
    tc = TableChecks(plan, catalog, SCHEMA, "fct_mql_events")
    if tc.need("person_id", "whom the MQL is about"):
        tc.add(not_null("person_id", "every MQL names its person"), "person_id")
    _scores(tc, bounds, required=False)  # the scores that crossed the threshold, when the mart keeps them
    tc.finish()
    if not tc.need("reasons", "sales sees why a lead was sent"):
        return
    key = next((c for c in ("mql_event_id", "person_id") if tc.has(c)), None)
    label = f"cast({quote(key)} as varchar)" if key else "'(row)'"
    reasons = quote("reasons")
    sql = f"""
        select case when {reasons} is null or trim(cast({reasons} as varchar)) in ('', '[]', '{{}}')
                    then coalesce({label}, '(row)') end as mql_without_reason
        from {SCHEMA}.fct_mql_events
    """
    plan.checks.append(
        RelationCheck(table=f"{SCHEMA}.fct_mql_events (reasons)", sql=sql).expect(
            to_be_null("mql_without_reason", "no MQL without a reason")
        )
    )


def build_marts_plan(
    catalog: Catalog, window: Window, dq: DQSettings, bounds: dict[str, Bounds]
) -> SuitePlan:
    """Every relation and expectation of the marts gate."""
    plan = SuitePlan()
    if _exists(plan, catalog, "fct_lead_status_history", dq):
        _status_history(plan, catalog)
    if _exists(plan, catalog, "dim_leads", dq):
        _dim_leads(plan, catalog, bounds)
    if _exists(plan, catalog, "fct_lead_score_daily", dq):
        _score_daily(plan, catalog, window, bounds)
    if _exists(plan, catalog, "fct_funnel_cohorts", dq):
        _funnel_cohorts(plan, catalog)
    if _exists(plan, catalog, "fct_mql_followups", dq):
        _mql_followups(plan, catalog)
    if _exists(plan, catalog, "fct_mql_events", dq):
        _mql_events(plan, catalog, bounds)
    return plan

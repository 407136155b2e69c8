"""The marts gate on DuckDB: one consistent story per person, scores in the contract's bounds, sane rates."""

from __future__ import annotations

from expectations import run_check


def test_clean_marts_pass(duck, clock):
    duck.build_marts()

    report = run_check("marts", settings=duck.settings, **clock.args)

    assert report.ok, report.describe()
    tables = {o.table for o in report.outcomes}
    assert tables == {
        "marts.fct_lead_status_history",
        "marts.fct_lead_status_history (current)",
        "marts.dim_leads",
        "marts.fct_lead_score_daily",
        "marts.fct_funnel_cohorts",
        "marts.fct_mql_followups",
        "marts.fct_mql_events",
        "marts.fct_mql_events (reasons)",
    }
    # The score bounds come from the signed contract (models/qualification_contract.yml), not a default.
    scores = [
        o
        for o in report.outcomes
        if o.expectation.startswith("expect_column_values_to_be_between(column=fit_score")
    ]
    assert scores and all("contract 2026.4" in o.description for o in scores)


MART_DEFECTS = {
    # a second current status for p2
    "insert into marts.fct_lead_status_history values ('p2', 'MQL', current_timestamp, null, true)": (
        "marts.fct_lead_status_history (current)",
        "expect_column_values_to_be_null(column=person_without_one_current_status)",
        "'p2'",
    ),
    "update marts.fct_lead_status_history set status = 'Zombie' where person_id = 'p3'": (
        "marts.fct_lead_status_history",
        "expect_column_values_to_be_in_set(column=status",
        "'Zombie'",
    ),
    "update marts.dim_leads set lead_score = 9999 where person_id = 'p1'": (
        "marts.dim_leads",
        "expect_column_values_to_be_between(column=lead_score",
        "9999",
    ),
    "update marts.fct_funnel_cohorts set conversion_rate = 1.5 where stage = 'SAL'": (
        "marts.fct_funnel_cohorts",
        "expect_column_values_to_be_between(column=conversion_rate",
        "1.5",
    ),
    "update marts.fct_mql_followups set response_minutes = -5 where person_id = 'p2'": (
        "marts.fct_mql_followups",
        "expect_column_values_to_be_between(column=response_minutes",
        "-5",
    ),
    "insert into marts.fct_mql_events values ('e2', 'p2', current_timestamp, '')": (
        "marts.fct_mql_events (reasons)",
        "expect_column_values_to_be_null(column=mql_without_reason)",
        "'e2'",
    ),
}


def test_each_planted_mart_defect_is_reported(duck, clock):
    duck.build_marts()
    duck.run(*MART_DEFECTS)

    report = run_check("marts", settings=duck.settings, **clock.args)

    assert not report.ok
    assert len(report.failures) == len(MART_DEFECTS), report.describe()
    text = report.describe()
    for table, expectation, sample in MART_DEFECTS.values():
        matching = [
            o.line() for o in report.failures if o.table == table and o.expectation.startswith(expectation)
        ]
        assert len(matching) == 1, text
        assert sample in matching[0], text


def test_missing_required_mart_fails_but_optional_is_skipped(duck, clock):
    duck.build_marts()
    duck.run("drop table marts.fct_mql_events", "drop table marts.fct_funnel_cohorts")

    report = run_check("marts", settings=duck.settings, **clock.args)

    assert [(o.table, o.expectation) for o in report.failures] == [("marts.fct_mql_events", "table_exists")]
    assert "marts.fct_funnel_cohorts (not built)" in report.skipped

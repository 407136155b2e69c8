"""The scoring layer's data tests still fail on bad rows now that an incremental build checks only the
rows its run wrote (issue 4): bad rows planted as the latest run's fail them in their incremental form
and in their whole-table form (a full refresh's, here asked for with the var `check_whole_tables`).
`dbt test`, not `dbt build`: a build skips the tests downstream of a failed one.

Works on a copy of the DuckDB warehouse the session's `duckdb_build` left (a full refresh), where every
row is first moved to an earlier run; the planted rows carry the latest run's `_processed_at`.
"""

from __future__ import annotations

import pytest
from conftest import read_run_results

from funnelhouse.dbt_runner import run_dbt
from funnelhouse.settings import Settings
from funnelhouse.warehouse import open_warehouse

INCREMENTAL = [
    "marts.fct_lead_score_daily",
    "intermediate.int_scoring__engagement_changes",
    "intermediate.int_engagement__events_unioned",
]
SELECT_TESTS = [
    "test",
    "--quiet",
    "--select",
    "fct_lead_score_daily",
    "int_scoring__engagement_changes",
    "int_engagement__events_unioned",
    "fct_mql_events",
    "--exclude",
    "test_type:unit",
]
# Test (unique_id prefix) -> the planted row that must make it fail.
EXPECTED_FAILURES = {
    "test.funnelhouse.unique_grain_fct_lead_score_daily_": "a new daily row repeating an old one's key",
    "test.funnelhouse.unique_grain_int_scoring__engagement_changes_": "a new rule change repeating an old one's key",
    "test.funnelhouse.unique_grain_int_engagement__events_unioned_": "a new event repeating an old one's id",
    "test.funnelhouse.assert_lead_score_adds_up": "a new daily row whose lead score is off by one",
    "test.funnelhouse.assert_mql_events_are_threshold_crossings": "an MQL event on a day that is no MQL",
}


@pytest.fixture
def planted(warehouse_copy: Settings) -> Settings:
    settings = warehouse_copy
    with open_warehouse(settings) as wh:
        [(latest,)] = wh.fetchall("select max(_processed_at) from marts.fct_lead_score_daily")
        for table in INCREMENTAL:
            wh.execute(f"update {table} set _processed_at = _processed_at - interval 1 day")
        # A copy of an old row, written by the latest run: its key is now there twice.
        for table in INCREMENTAL:
            wh.execute(
                f"insert into {table} select * replace (cast(? as timestamp) as _processed_at)"
                f" from {table} where rowid = (select min(rowid) from {table})",
                [latest],
            )
        # The latest run rewrote a day whose lead score does not add up.
        wh.execute(
            "update marts.fct_lead_score_daily set lead_score = lead_score + 1, _processed_at = ?"
            " where rowid = (select max(rowid) from marts.fct_lead_score_daily)",
            [latest],
        )
        # An MQL event on a day the person is not an MQL.
        wh.execute(
            "insert into marts.fct_mql_events"
            " select events.* replace ('planted' as mql_event_id, daily.person_id as person_id,"
            "                          daily.score_date as mql_date)"
            " from (select * from marts.fct_mql_events limit 1) as events"
            " cross join (select person_id, score_date from marts.fct_lead_score_daily"
            "             where not is_mql order by person_id, score_date limit 1) as daily"
        )
        wh.commit()
    return settings


def _failed_tests(settings: Settings) -> set[str]:
    results = read_run_results(settings)["results"]
    assert len(results) >= 20, "the selection lost its tests"
    assert {r["status"] for r in results} <= {"pass", "fail"}
    return {r["unique_id"] for r in results if r["status"] == "fail"}


def _assert_expected_failures(failed: set[str]) -> None:
    for prefix, planted_row in EXPECTED_FAILURES.items():
        assert any(unique_id.startswith(prefix) for unique_id in failed), f"{prefix} missed {planted_row}"
    unexpected = {u for u in failed if not any(u.startswith(prefix) for prefix in EXPECTED_FAILURES)}
    assert unexpected == set()


def test_incremental_and_whole_table_checks_fail_on_planted_rows(planted: Settings) -> None:
    assert run_dbt(SELECT_TESTS, planted) == 1
    _assert_expected_failures(_failed_tests(planted))
    assert run_dbt([*SELECT_TESTS, "--vars", "{check_whole_tables: true}"], planted) == 1
    _assert_expected_failures(_failed_tests(planted))


def test_the_incremental_check_passes_on_the_built_warehouse(warehouse_copy: Settings) -> None:
    """The same tests pass, in their incremental form, on the warehouse as the build left it."""
    assert run_dbt(SELECT_TESTS, warehouse_copy) == 0

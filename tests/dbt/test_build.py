"""`dbt build` of a small world: data and unit tests pass, the journeys score as the contract says,
an incremental run equals a full refresh, and PostgreSQL gives the same marts as DuckDB."""

from __future__ import annotations

import json

import pytest
from marts import MARTS, first_difference

from funnelhouse.contract import load_contract
from funnelhouse.settings import PROJECT_ROOT


def test_the_build_passes_every_data_and_unit_test(duckdb_build) -> None:
    assert duckdb_build.exit_codes == {"first": 0, "incremental": 0, "full": 0}
    results = duckdb_build.run_results["results"]
    failed = [r["unique_id"] for r in results if r["status"] not in {"success", "pass"}]
    assert failed == []
    unit_tests = [r for r in results if r["unique_id"].startswith("unit_test.")]
    data_tests = [r for r in results if r["unique_id"].startswith("test.")]
    assert len(unit_tests) >= 8
    assert len(data_tests) >= 50


def _lead(build, email: str) -> dict:
    rows = build.query("select * from marts.dim_leads where email = ?", [email])
    assert len(rows) == 1, f"expected one lead for {email}, got {len(rows)}"
    return rows[0]


def _mqls(build, email: str) -> list[dict]:
    return build.query("select * from marts.fct_mql_events where email = ? order by mql_sequence", [email])


def test_newsletter_white_paper_and_webinar_make_an_mql(duckdb_build, mini_world) -> None:
    journeys = mini_world.journeys
    events = _mqls(duckdb_build, journeys["qualified"])
    assert len(events) == 1
    event = events[0]
    # 5 + 15 + 20 engagement, + 5 fit (a 600-employee company): crossing 25 at the white paper, 11:00.
    assert float(event["engagement_score"]) == 40
    assert float(event["lead_score"]) == 45
    assert event["mql_at"].isoformat() == "2026-11-10T11:00:00"
    assert event["reasons"] == (
        "webinar attended (+20); white paper downloaded (+15); newsletter subscribed (+5); "
        "fit: 500+ employees (+5)"
    )
    assert event["contract_version"] == load_contract(PROJECT_ROOT / "models").version
    assert event["crm_contact_id"] == "1900"


def test_a_small_company_is_never_an_mql(duckdb_build, mini_world) -> None:
    journeys = mini_world.journeys
    lead = _lead(duckdb_build, journeys["excluded"])
    assert float(lead["engagement_score"]) >= 25
    assert lead["is_mql"] is False
    assert lead["is_excluded"] is True
    assert lead["top_reasons"] == "excluded: company size"
    assert lead["fit_grade"] == "D"
    assert _mqls(duckdb_build, journeys["excluded"]) == []


def test_a_lead_that_cools_down_qualifies_again(duckdb_build, mini_world) -> None:
    journeys = mini_world.journeys
    events = _mqls(duckdb_build, journeys["requalified"])
    assert [e["mql_sequence"] for e in events] == [1, 2]
    assert [e["mql_date"].isoformat() for e in events] == ["2026-10-13", "2026-11-15"]
    lead = _lead(duckdb_build, journeys["requalified"])
    assert lead["mql_count"] == 2
    assert lead["first_mql_at"] == events[0]["mql_at"] and lead["last_mql_at"] == events[1]["mql_at"]


def test_anonymous_page_views_count_once_the_visitor_identifies(duckdb_build, mini_world) -> None:
    journeys = mini_world.journeys
    rows = duckdb_build.query(
        "select e.event_kind, e.occurred_at from intermediate.int_engagement__events_unioned e"
        " join marts.dim_leads l on l.person_id = e.person_id where l.email = ? order by e.occurred_at",
        [journeys["anonymous"]],
    )
    kinds = [r["event_kind"] for r in rows]
    assert kinds == ["pricing_page_view", "pricing_page_view", "page_view", "newsletter_subscribed"]
    lead = _lead(duckdb_build, journeys["anonymous"])
    assert "pricing page viewed (+20, late buying signal)" in lead["top_reasons"]


def test_never_identified_visitors_are_not_people(duckdb_build) -> None:
    people = duckdb_build.query(
        "select count(*) as n from intermediate.int_people__persons where web_user_id = ?", ["user-webonly"]
    )
    assert people[0]["n"] == 1  # a web user without a CRM contact is a person
    ghost = duckdb_build.query(
        "select count(*) as n from intermediate.int_web__sessions where anonymous_id = 'anon-ghost' and person_id is null"
    )
    assert ghost[0]["n"] == 1
    leads = duckdb_build.query("select count(*) as n, count(distinct person_id) as d from marts.dim_leads")
    assert leads[0]["n"] == leads[0]["d"]


def test_sessions_carry_over_between_incremental_runs(duckdb_build) -> None:
    """A session going on past the run's boundary is extended, a late event joins two old sessions,
    and later sessions are renumbered (the incremental run's table equals the full refresh: below)."""
    for marts in (duckdb_build.incremental_marts, duckdb_build.marts):
        columns, rows = marts["intermediate.int_web__sessions"]
        sessions = sorted(
            (
                row[columns.index("anonymous_id")],
                row[columns.index("session_number")],
                row[columns.index("events")],
            )
            for row in rows
            if row[columns.index("anonymous_id")] in ("anon-bridge", "anon-merge")
        )
        assert sessions == [("anon-bridge", 1, 2), ("anon-merge", 1, 3), ("anon-merge", 2, 1)]


def test_a_late_identify_call_rekeys_the_person(duckdb_build, mini_world) -> None:
    lead = _lead(duckdb_build, mini_world.journeys["late_identify"])
    assert lead["web_user_id"] == "user-late"
    assert lead["crm_contact_id"] is None
    # Both pricing page views, seen before the e-mail was known, belong to the re-keyed person.
    assert "pricing page viewed (+20, late buying signal)" in lead["top_reasons"]


def test_an_incremental_run_gives_the_full_refresh_marts(duckdb_build) -> None:
    for mart in MARTS:
        columns, full = duckdb_build.marts[mart]
        incremental_columns, incremental = duckdb_build.incremental_marts[mart]
        assert incremental_columns == columns
        assert full, f"{mart} is empty"
        assert incremental == full, f"{mart}: {first_difference(incremental, full, columns)}"


def _assert_passed_with_the_marts(build, marts: dict, expected: dict) -> None:
    """Every node of the build's last dbt run passed, and `marts` equal `expected` row for row."""
    failed = [r["unique_id"] for r in build.run_results["results"] if r["status"] not in {"success", "pass"}]
    assert failed == []
    for mart in MARTS:
        columns, want = expected[mart]
        got_columns, got = marts[mart]
        assert got_columns == columns, mart
        assert got == want, f"{mart}: {first_difference(got, want, columns)}"


@pytest.mark.postgres
def test_a_postgres_incremental_run_gives_the_full_refresh_marts(
    duckdb_build, postgres_incremental_build
) -> None:
    """The incremental SQL that differs by engine (e.g. int_web__sessions' semi-join on PostgreSQL) gives
    the rows of DuckDB's full refresh, and the incremental run's data tests pass."""
    assert postgres_incremental_build.exit_codes == {"first": 0, "incremental": 0}
    _assert_passed_with_the_marts(
        postgres_incremental_build, postgres_incremental_build.incremental_marts, duckdb_build.marts
    )


@pytest.mark.postgres
def test_postgres_builds_the_same_marts_as_duckdb(duckdb_build, postgres_build) -> None:
    assert postgres_build.exit_codes == {"full": 0}
    _assert_passed_with_the_marts(postgres_build, postgres_build.marts, duckdb_build.marts)
    # PostgreSQL's incremental tables index their run stamp (macros/run_stamp_index.sql), so the next
    # run finds the rows the latest one wrote without scanning them all.
    indexed = postgres_build.query(
        "select schemaname || '.' || tablename as name from pg_indexes"
        " where indexdef like '%(_processed_at)' order by 1"
    )
    assert [row["name"] for row in indexed] == [
        "intermediate.int_engagement__events_unioned",
        "intermediate.int_scoring__engagement_changes",
        "marts.fct_lead_score_daily",
        "staging.stg_email__events",
        "staging.stg_web__events",
    ]
    # Every table the build wrote was analyzed (macros/planner_statistics.sql): the planner knows its size.
    written = postgres_build.query(
        "select schemaname || '.' || relname as name, last_analyze from pg_stat_user_tables"
        " where schemaname in ('staging', 'intermediate', 'marts') order by 1"
    )
    manifest = json.loads((postgres_build.settings.home / "dbt" / "target" / "manifest.json").read_text())
    built = [
        manifest["nodes"][r["unique_id"]]
        for r in postgres_build.run_results["results"]
        if r["unique_id"].startswith("model.")
    ]
    built_tables = {
        f"{node['schema']}.{node['alias']}"
        for node in built
        if node["resource_type"] == "model" and node["config"]["materialized"] in {"table", "incremental"}
    }
    assert len(built_tables) > 10
    assert {row["name"] for row in written} == built_tables
    assert [row["name"] for row in written if row["last_analyze"] is None] == []

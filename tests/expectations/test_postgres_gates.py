"""The same gates on PostgreSQL, through GX's SQL datasource (metrics computed by the database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from expectations import run_check

pytestmark = pytest.mark.postgres


def test_clean_raw_layer_passes_on_postgres(pg, clock):
    pg.build_raw()

    report = run_check("raw", settings=pg.settings, run_id="pg-clean", **clock.args)

    assert report.ok, report.describe()
    assert report.engine == "postgres"
    observed = {(o.table, o.expectation): o.observed_value for o in report.outcomes}
    assert observed[("raw_web.events", "expect_column_values_to_not_be_null(column=message_id)")] == (
        "0 of 9 rows unexpected"
    )
    stored = pg.fetchall("select count(*), bool_and(success) from ops.dq_results where run_id = 'pg-clean'")
    assert stored == [(len(report.outcomes), True)]


RAW_DEFECTS = {
    "duplicate key": (
        "insert into raw_hubspot.contacts (id, email, lifecyclestage) values ('2', 'dup@contoso.example', 'lead')",
        "raw_hubspot.contacts",
        "expect_column_values_to_be_unique(column=id)",
    ),
    "null id": (
        "update raw_web.events set message_id = null where message_id = 'm3'",
        "raw_web.events",
        "expect_column_values_to_not_be_null(column=message_id)",
    ),
    "unknown status": (
        "update raw_hubspot.contacts set hs_lead_status = 'LOST_IT' where id = '3'",
        "raw_hubspot.contacts",
        "expect_column_values_to_be_in_set(column=hs_lead_status",
    ),
    "future timestamp": (
        "update raw_web.events set timestamp = now() + interval '30 days' where message_id = 'm5'",
        "raw_web.events",
        "expect_column_values_to_be_between(column=timestamp",
    ),
    "orphan deal": (
        "delete from raw_hubspot.associations where from_object_id = '502' or to_object_id = '502'",
        "raw_hubspot.deals -> contacts",
        "expect_column_values_to_be_null(column=deal_without_contact)",
    ),
}


def test_planted_raw_defects_fail_on_postgres_each_named(pg, clock):
    pg.build_raw()
    pg.run(*(sql for sql, _, _ in RAW_DEFECTS.values()))

    report = run_check("raw", settings=pg.settings, run_id="pg-bad", **clock.args)

    assert not report.ok
    assert len(report.failures) == len(RAW_DEFECTS), report.describe()
    for _, table, expectation in RAW_DEFECTS.values():
        assert [o for o in report.failures if o.table == table and o.expectation.startswith(expectation)], (
            report.describe()
        )
    stored = pg.fetchall(
        "select table_name, sample_bad_values from ops.dq_results where run_id = 'pg-bad' and not success"
    )
    assert ("raw_hubspot.deals -> contacts", "'502'") in stored


def test_volume_drop_fails_on_postgres(pg, clock):
    pg.build_raw()
    pg.insert("raw_web.events", [pg.web_event(f"y{i}", i, day_offset=-1) for i in range(1, 10)])
    previous = {"since": (clock.since - timedelta(days=1)).isoformat(), "until": clock.since.isoformat()}
    first = run_check("raw", settings=pg.settings, **previous)
    # That earlier day had no e-mail events at all: only e-mail freshness fails, the volume is recorded.
    assert {(o.table, o.expectation.split("(")[0]) for o in first.failures} == {
        ("raw_email.events", "expect_column_max_to_be_between")
    }, first.describe()
    pg.run("delete from raw_web.events where message_id in ('m1', 'm2', 'm4', 'm5', 'm6', 'm7', 'm8')")

    report = run_check("raw", settings=pg.settings, **clock.args)

    assert [(o.table, o.observed_value) for o in report.failures] == [("raw_web.events", "2")], (
        report.describe()
    )


def test_marts_gate_on_postgres(pg, clock):
    pg.build_marts()
    assert run_check("marts", settings=pg.settings, **clock.args).ok

    pg.run("insert into marts.fct_lead_status_history values ('p2', 'MQL', now(), null, true)")
    report = run_check("marts", settings=pg.settings, **clock.args)

    assert [(o.table, o.sample_bad_values) for o in report.failures] == [
        ("marts.fct_lead_status_history (current)", ["'p2'"])
    ]

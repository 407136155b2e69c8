"""The raw gate on DuckDB: passes on clean hand-made raw tables, fails on each planted defect, naming it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from expectations import run_check
from expectations.results import CheckReport


def failed(report: CheckReport, table: str, expectation: str) -> list[str]:
    """Lines of the report's failures on this table whose expectation starts with `expectation`."""
    return [o.line() for o in report.failures if o.table == table and o.expectation.startswith(expectation)]


def test_clean_raw_layer_passes_and_validates_real_rows(duck, clock):
    duck.build_raw()

    report = run_check("raw", settings=duck.settings, **clock.args)

    assert report.ok, report.describe()
    assert report.engine == "duckdb"
    # The DuckDB path really reached GX with the rows: the key check counted every contact and every
    # web event of the interval (a batch read as empty would report 0 rows).
    observed = {(o.table, o.expectation): o.observed_value for o in report.outcomes}
    assert observed[("raw_hubspot.contacts", "expect_column_values_to_not_be_null(column=id)")] == (
        "0 of 3 rows unexpected"
    )
    assert observed[("raw_web.events", "expect_column_values_to_not_be_null(column=message_id)")] == (
        "0 of 9 rows unexpected"
    )
    assert "raw_hubspot.deals -> contacts" in {o.table for o in report.outcomes}
    assert report.skipped == [
        "raw_hubspot.emails (not loaded: the source sent no such records)",
        "raw_hubspot.tasks (not loaded: the source sent no such records)",
        "raw_hubspot.meetings (not loaded: the source sent no such records)",
    ]


DEFECTS = {
    "duplicate key": (
        [
            "insert into raw_hubspot.contacts (id, email, lifecyclestage) values ('2', 'dup@contoso.example', 'lead')"
        ],
        "raw_hubspot.contacts",
        "expect_column_values_to_be_unique(column=id)",
        "'2'",
    ),
    "null id": (
        ["update raw_web.events set message_id = null where message_id = 'm3'"],
        "raw_web.events",
        "expect_column_values_to_not_be_null(column=message_id)",
        None,
    ),
    "unknown status": (
        ["update raw_hubspot.contacts set lifecyclestage = 'zombie' where id = '3'"],
        "raw_hubspot.contacts",
        "expect_column_values_to_be_in_set(column=lifecyclestage",
        "'zombie'",
    ),
    "orphan deal": (
        ["delete from raw_hubspot.associations where from_object_id = '502' or to_object_id = '502'"],
        "raw_hubspot.deals -> contacts",
        "expect_column_values_to_be_null(column=deal_without_contact)",
        "'502'",
    ),
}


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_planted_defect_fails_the_raw_gate_and_is_named(duck, clock, defect):
    statements, table, expectation, sample = DEFECTS[defect]
    duck.build_raw()
    duck.run(*statements)

    report = run_check("raw", settings=duck.settings, **clock.args)

    assert not report.ok
    lines = failed(report, table, expectation)
    assert len(lines) == 1, report.describe()
    assert len(report.failures) == 1, report.describe()
    text = report.describe()
    assert "raw gate FAILED" in text and table in text and expectation in text
    if sample:
        assert sample in lines[0]


MORE_DEFECTS = {
    "unknown deal stage in history": (
        ["update raw_hubspot.property_history set value = 'won_maybe' where property = 'dealstage'"],
        "raw_hubspot.property_history (values)",
        "expect_column_values_to_be_in_set(column=dealstage_value",
        "'won_maybe'",
    ),
    "bad e-mail": (
        ["insert into raw_hubspot.contacts (id, email) values ('4', 'not-an-address')"],
        "raw_hubspot.contacts",
        "expect_column_values_to_match_regex(column=email",
        "'not-an-address'",
    ),
    "unknown segment type": (
        ["update raw_web.events set type = 'screen' where message_id = 'm4'"],
        "raw_web.events",
        "expect_column_values_to_be_in_set(column=type",
        "'screen'",
    ),
}


def test_other_defects_are_each_reported(duck, clock):
    duck.build_raw()
    for statements, *_ in MORE_DEFECTS.values():
        duck.run(*statements)

    report = run_check("raw", settings=duck.settings, **clock.args)

    assert len(report.failures) == len(MORE_DEFECTS), report.describe()
    for _, table, expectation, sample in MORE_DEFECTS.values():
        lines = failed(report, table, expectation)
        assert len(lines) == 1 and sample in lines[0], report.describe()


def test_future_timestamp_fails(duck, clock):
    duck.build_raw()
    duck.insert("raw_web.events", [duck.web_event("m-future", 5, happened=clock.until + timedelta(days=10))])

    report = run_check("raw", settings=duck.settings, **clock.args)

    lines = failed(report, "raw_web.events", "expect_column_values_to_be_between(column=timestamp")
    assert len(lines) == 1, report.describe()
    assert str(clock.until.year) in lines[0] and "1 of 10 rows unexpected" in lines[0]


def test_stale_source_fails_freshness(duck, clock):
    duck.build_raw()

    # The same data judged from three days later: the e-mail and web sources went quiet.
    later = clock.until + timedelta(days=3)
    report = run_check(
        "raw", settings=duck.settings, since=(later - timedelta(days=1)).isoformat(), until=later.isoformat()
    )

    assert failed(report, "raw_web.events", "expect_column_max_to_be_between(column=received_at")
    assert failed(report, "raw_email.events", "expect_column_max_to_be_between(column=event_at")


def test_volume_drop_against_the_previous_run_fails(duck, clock):
    duck.build_raw()
    # The day before the run's day had 9 web events too: the first run has no history and passes.
    duck.insert("raw_web.events", [duck.web_event(f"y{i}", i, day_offset=-1) for i in range(1, 10)])
    previous = {"since": (clock.since - timedelta(days=1)).isoformat(), "until": clock.since.isoformat()}
    first = run_check("raw", settings=duck.settings, **previous)
    volume = [o for o in first.outcomes if o.table == "raw_web.events" and "row_count" in o.expectation]
    assert volume[0].success and "no history yet" in volume[0].description
    # Today only 2 of the usual 9 events arrived.
    duck.run("delete from raw_web.events where message_id in ('m1', 'm2', 'm4', 'm5', 'm6', 'm7', 'm8')")

    report = run_check("raw", settings=duck.settings, **clock.args)

    lines = failed(report, "raw_web.events", "expect_table_row_count_to_be_between(min_value=3")
    assert len(lines) == 1, report.describe()
    assert "observed: 2" in lines[0] and "trailing average 9.0" in lines[0]
    history = duck.fetchall(
        "select window_key, row_count from ops.dq_volume_history where table_name = 'raw_web.events' order by row_count"
    )
    assert [count for _, count in history] == [2, 9]

    # A retry of the same day replaces its own entry and is still compared with the day before only.
    retry = run_check("raw", settings=duck.settings, **clock.args)
    assert len(failed(retry, "raw_web.events", "expect_table_row_count_to_be_between(min_value=3")) == 1
    assert len(duck.fetchall("select 1 from ops.dq_volume_history where table_name = 'raw_web.events'")) == 2


def test_results_land_in_dq_results_and_data_docs_are_built(duck, clock, monkeypatch):
    monkeypatch.setenv("FUNNELHOUSE_DQ_DATA_DOCS", "true")
    duck.build_raw()
    duck.run("update raw_hubspot.contacts set lifecyclestage = 'zombie' where id = '3'")

    report = run_check("raw", settings=duck.settings, run_id="run-42", **clock.args)

    rows = duck.fetchall(
        "select table_name, expectation, success, sample_bad_values from ops.dq_results where run_id = 'run-42'"
    )
    assert len(rows) == len(report.outcomes)
    bad = [r for r in rows if not r[2]]
    assert bad == [
        (
            "raw_hubspot.contacts",
            "expect_column_values_to_be_in_set(column=lifecyclestage, value_set=[8 known values])",
            False,
            "'zombie'",
        )
    ]
    assert report.data_docs is not None and report.data_docs.is_file()
    assert report.data_docs.is_relative_to(duck.settings.home)
    assert "raw.raw_hubspot.contacts" in report.data_docs.read_text(encoding="utf-8")


def test_missing_required_table_fails(duck, clock):
    duck.build_raw()
    duck.run("drop table raw_email.events")

    report = run_check("raw", settings=duck.settings, **clock.args)

    assert [(o.table, o.expectation) for o in report.failures] == [("raw_email.events", "table_exists")]


def test_bad_arguments_are_refused(duck):
    with pytest.raises(ValueError, match="unknown suite 'mart'"):
        run_check("mart", settings=duck.settings)
    with pytest.raises(ValueError, match="--since 'yesterday' is not an ISO-8601"):
        run_check("raw", since="yesterday", settings=duck.settings)
    with pytest.raises(FileNotFoundError, match="no DuckDB warehouse"):
        run_check("raw", settings=duck.settings)


def test_unreadable_relation_is_a_named_failure_not_a_crash(duck, clock):
    duck.build_raw()
    # A contact e-mail column loaded as a number: the e-mail → contact join cannot even be read.
    duck.run(
        "alter table raw_hubspot.contacts drop column email",
        "alter table raw_hubspot.contacts add column email integer",
    )

    report = run_check("raw", settings=duck.settings, **clock.args)

    assert [(o.table, o.expectation) for o in report.failures] == [
        ("raw_email.events -> contacts", "relation_readable")
    ]
    assert "lower" in report.failures[0].observed_value

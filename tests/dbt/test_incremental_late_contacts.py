"""A contact created after CRM activities were logged against it (a late-created or merged contact): the
next incremental build gives its person those activities, as a full refresh does (issue 4: incremental
models equal a full refresh). The activities' own timestamps are old, so only the "person became known
in the window" rule brings them in.

Works on a copy of the DuckDB warehouse the session's `duckdb_build` left; the CRM change is made in its
raw layer, as the next extraction would load it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import NO_TESTS, SCORING_LAYER

from funnelhouse.dbt_runner import run_dbt
from funnelhouse.warehouse import open_warehouse

NEW_CONTACT_ID = "990001"
NEW_EMAIL = "late.contact@created-after.example"
STREAM = "intermediate.int_engagement__events_unioned"


def _stream(wh) -> list[tuple]:
    return wh.fetchall(
        f"select engagement_event_id, person_id, event_kind, occurred_at from {STREAM} order by 1"
    )


def test_an_old_activity_of_a_new_contact_enters_the_incremental_stream(duckdb_build, tmp_path: Path) -> None:
    settings = duckdb_build.settings.model_copy(update={"home": tmp_path / "home"})
    settings.ensure_home()
    shutil.copyfile(duckdb_build.settings.duckdb_path, settings.duckdb_path)
    with open_warehouse(settings) as wh:
        # the oldest scored CRM activity, and the association that links it to its contact
        [(activity_type, activity_id, occurred_at)] = wh.fetchall(
            f"select split_part(engagement_event_id, ':', 2), source_event_id, occurred_at from {STREAM}"
            " where source = 'crm' order by occurred_at, engagement_event_id limit 1"
        )
        [(now,)] = wh.fetchall("select max(received_at) from raw_web.events")
        assert (now.replace(tzinfo=None) - occurred_at).days > 5  # older than the lookback window
        [(contact_id,)] = wh.fetchall(
            "select min(to_object_id) from raw_hubspot.associations"
            " where from_object_type = ? and from_object_id = ? and to_object_type = 'contacts'",
            [activity_type + "s", activity_id],
        )
        # A new contact, created now, that the old activity is also associated with.
        # (HubSpot's `createdate` property, which staging prefers, says the same as the object's time)
        created = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        wh.execute(
            "insert into raw_hubspot.contacts select * replace ("
            " ? as id, ? as email, ?::timestamptz as created_at, ?::timestamptz as updated_at,"
            " ? as createdate, ? as lastmodifieddate)"
            " from raw_hubspot.contacts where id = ?",
            [NEW_CONTACT_ID, NEW_EMAIL, now, now, created, created, contact_id],
        )
        wh.execute(
            "insert into raw_hubspot.associations select * replace (? as to_object_id)"
            " from raw_hubspot.associations"
            " where from_object_type = ? and from_object_id = ? and to_object_type = 'contacts'"
            " and to_object_id = ?",
            [NEW_CONTACT_ID, activity_type + "s", activity_id, contact_id],
        )
        wh.commit()

    assert run_dbt(["build", "--quiet", *SCORING_LAYER, *NO_TESTS], settings) == 0
    with open_warehouse(settings, read_only=True) as wh:
        [(person_id,)] = wh.fetchall(
            "select person_id from intermediate.int_people__persons where email = ?", [NEW_EMAIL]
        )
        new_rows = wh.fetchall(
            f"select source_event_id, occurred_at from {STREAM} where person_id = ?", [person_id]
        )
        incremental = _stream(wh)
    assert new_rows == [(activity_id, occurred_at)]

    assert run_dbt(["build", "--quiet", "--full-refresh", *SCORING_LAYER, *NO_TESTS], settings) == 0
    with open_warehouse(settings, read_only=True) as wh:
        full = _stream(wh)
    assert incremental == full

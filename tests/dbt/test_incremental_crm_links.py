"""CRM activities whose links to people change after the fact, and the next incremental build gives
what a full refresh gives (issue 4: incremental models equal a full refresh):

- a link appears: a contact created after activities were logged against it (a late-created or merged
  contact), or an old activity newly associated with a contact known for long. The stream takes every
  activity-person pair it does not hold yet, although the activities' own timestamps are old;
- a link goes: an association removed, or an activity deleted in the CRM. The stream drops the pair
  (int_engagement__links_removed) and the person's daily engagement and lead scores are rebuilt
  over their whole history without it.

Works on a copy of the DuckDB warehouse the session's `duckdb_build` left; the CRM change is made in its
raw layer, as the next extraction would load it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from conftest import NO_TESTS, STREAM, build_and_read

from funnelhouse.dbt_runner import run_dbt
from funnelhouse.settings import Settings
from funnelhouse.warehouse import open_warehouse

NEW_CONTACT_ID = "990001"
NEW_EMAIL = "late.contact@created-after.example"


def _stream(wh) -> list[tuple]:
    return wh.fetchall(
        f"select engagement_event_id, person_id, event_kind, occurred_at from {STREAM} order by 1"
    )


@dataclass(frozen=True)
class OldActivity:
    """The oldest scored CRM activity, one contact it is associated with, and the world's "now"."""

    activity_type: str
    activity_id: str
    occurred_at: datetime
    person_id: str
    contact_id: str
    now: datetime


def _oldest_scored_activity(wh) -> OldActivity:
    [(activity_type, activity_id, occurred_at, person_id)] = wh.fetchall(
        f"select split_part(engagement_event_id, ':', 2), source_event_id, occurred_at, person_id"
        f" from {STREAM} where source = 'crm' order by occurred_at, engagement_event_id limit 1"
    )
    [(now,)] = wh.fetchall("select max(received_at) from raw_web.events")
    assert (now.replace(tzinfo=None) - occurred_at).days > 5  # older than the lookback window
    [(contact_id,)] = wh.fetchall(
        "select min(to_object_id) from raw_hubspot.associations"
        " where from_object_type = ? and from_object_id = ? and to_object_type = 'contacts'",
        [activity_type + "s", activity_id],
    )
    return OldActivity(activity_type, activity_id, occurred_at, person_id, contact_id, now)


def _associate(wh, activity: OldActivity, contact_id: str) -> None:
    """The activity is also associated with `contact_id`, as the next extraction would load it."""
    wh.execute(
        "insert into raw_hubspot.associations select * replace (? as to_object_id)"
        " from raw_hubspot.associations"
        " where from_object_type = ? and from_object_id = ? and to_object_type = 'contacts'"
        " and to_object_id = ?",
        [contact_id, activity.activity_type + "s", activity.activity_id, activity.contact_id],
    )


def test_an_old_activity_of_a_new_contact_enters_the_incremental_stream(warehouse_copy: Settings) -> None:
    settings = warehouse_copy
    with open_warehouse(settings) as wh:
        activity = _oldest_scored_activity(wh)
        # A new contact, created now, that the old activity is also associated with.
        # (HubSpot's `createdate` property, which staging prefers, says the same as the object's time)
        created = activity.now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        wh.execute(
            "insert into raw_hubspot.contacts select * replace ("
            " ? as id, ? as email, ?::timestamptz as created_at, ?::timestamptz as updated_at,"
            " ? as createdate, ? as lastmodifieddate)"
            " from raw_hubspot.contacts where id = ?",
            [NEW_CONTACT_ID, NEW_EMAIL, activity.now, activity.now, created, created, activity.contact_id],
        )
        _associate(wh, activity, NEW_CONTACT_ID)
        wh.commit()

    def new_contacts_rows(wh) -> list[tuple]:
        [(person_id,)] = wh.fetchall(
            "select person_id from intermediate.int_people__persons where email = ?", [NEW_EMAIL]
        )
        return wh.fetchall(
            f"select source_event_id, occurred_at from {STREAM} where person_id = ?", [person_id]
        )

    new_rows, incremental = build_and_read(settings, lambda wh: (new_contacts_rows(wh), _stream(wh)))
    assert new_rows == [(activity.activity_id, activity.occurred_at)]

    assert incremental == build_and_read(settings, _stream, "--full-refresh")


def _score_history(wh, person_id: str) -> list[tuple]:
    return wh.fetchall(
        "select score_date, rule_id, points from intermediate.int_scoring__engagement_daily"
        " where person_id = ? order by 1, 2",
        [person_id],
    )


def _lead_scores(wh, person_id: str) -> list[tuple]:
    return wh.fetchall(
        "select score_date, engagement_score, lead_score, is_mql from marts.fct_lead_score_daily"
        " where person_id = ? order by 1",
        [person_id],
    )


def test_an_old_activity_newly_linked_to_an_old_contact_enters_the_incremental_stream(
    warehouse_copy: Settings,
) -> None:
    """A rep associates an old call with another contact who has long been known: neither the call's
    nor the contact's own time is in the lookback window (HubSpot does not move an activity's
    last-modified time for a new association), yet the next build gives that contact's person the
    call and its points, as a full refresh does."""
    settings = warehouse_copy
    with open_warehouse(settings) as wh:
        activity = _oldest_scored_activity(wh)
        # another contact, created before the window, whose person does not have the activity
        [(other_contact, other_person)] = wh.fetchall(
            "select contacts.contact_id, links.person_id"
            " from staging.stg_hubspot__contacts as contacts"
            " inner join intermediate.int_people__contact_persons as links"
            "   on links.contact_id = contacts.contact_id"
            " where links.person_id <> ? and contacts.created_at < ?"
            " order by contacts.contact_id limit 1",
            [activity.person_id, activity.now.replace(tzinfo=None) - timedelta(days=10)],
        )
        history_before = _score_history(wh, other_person)
        _associate(wh, activity, other_contact)
        wh.commit()

    def outcome(wh) -> tuple[list[tuple], list[tuple]]:
        return _stream(wh), _score_history(wh, other_person)

    def calls_of_other_person(wh) -> list[tuple]:
        return wh.fetchall(
            f"select source_event_id, occurred_at from {STREAM} where person_id = ? and source = 'crm'"
            " and source_event_id = ?",
            [other_person, activity.activity_id],
        )

    new_rows, (incremental, incremental_history) = build_and_read(
        settings, lambda wh: (calls_of_other_person(wh), outcome(wh))
    )
    assert new_rows == [(activity.activity_id, activity.occurred_at)]
    assert incremental_history != history_before  # the call scores for its new person

    full, full_history = build_and_read(settings, outcome, "--full-refresh")
    assert incremental == full
    assert incremental_history == full_history


def _remove_association(wh, activity: OldActivity) -> None:
    """The rep removed the activity's association with the contact (from both objects' link lists)."""
    wh.execute(
        "delete from raw_hubspot.associations"
        " where (from_object_type = ? and from_object_id = ? and to_object_type = 'contacts' and to_object_id = ?)"
        " or (from_object_type = 'contacts' and from_object_id = ? and to_object_type = ? and to_object_id = ?)",
        [activity.activity_type + "s", activity.activity_id, activity.contact_id]
        + [activity.contact_id, activity.activity_type + "s", activity.activity_id],
    )


def _delete_activity(wh, activity: OldActivity) -> None:
    """The activity was deleted in the CRM: the next extraction loads it archived, changed now."""
    wh.execute(
        f"update raw_hubspot.{activity.activity_type}s set archived = true, is_deleted = true, updated_at = ?"
        " where id = ?",
        [activity.now, activity.activity_id],
    )


@pytest.mark.parametrize("change", [_remove_association, _delete_activity], ids=["association", "activity"])
def test_a_removed_activity_leaves_the_stream_and_the_scores_of_its_person(
    warehouse_copy: Settings, change: Callable
) -> None:
    """The oldest scored CRM activity (far before the lookback window) stops belonging to its person:
    the next incremental build drops it from the stream and re-scores the person's whole history, which
    then equals a full refresh's, stream, daily rule points and daily lead scores alike."""
    settings = warehouse_copy
    with open_warehouse(settings) as wh:
        activity = _oldest_scored_activity(wh)
        [(contacts_of_person,)] = wh.fetchall(
            "select count(*) from intermediate.int_people__contact_persons where person_id = ?",
            [activity.person_id],
        )
        assert contacts_of_person == 1  # the removed link is the person's only link to the activity
        history_before = _score_history(wh, activity.person_id)
        change(wh, activity)
        wh.commit()

    def outcome(wh) -> tuple[list[tuple], list[tuple], list[tuple]]:
        return _stream(wh), _score_history(wh, activity.person_id), _lead_scores(wh, activity.person_id)

    def rows_left(wh) -> list[tuple]:
        return wh.fetchall(
            f"select engagement_event_id from {STREAM} where person_id = ? and source_event_id = ?",
            [activity.person_id, activity.activity_id],
        )

    left, incremental = build_and_read(settings, lambda wh: (rows_left(wh), outcome(wh)))
    assert left == []
    assert incremental[1] != history_before  # the activity's points are gone from the person's days

    assert incremental == build_and_read(settings, outcome, "--full-refresh")


def test_a_removal_is_rescored_by_the_run_after_one_that_stopped_at_the_stream(
    warehouse_copy: Settings,
) -> None:
    """A run that dropped the removed pair from the stream and then stopped (a failed test, a killed
    worker) before the scores: the next run still re-scores the person, from the removal log."""
    settings = warehouse_copy
    with open_warehouse(settings) as wh:
        activity = _oldest_scored_activity(wh)
        history_before = _score_history(wh, activity.person_id)
        _remove_association(wh, activity)
        wh.commit()

    stream_only = ["--select", "+int_engagement__events_unioned"]  # the stream and what it reads
    assert run_dbt(["build", "--quiet", *stream_only, *NO_TESTS], settings) == 0
    with open_warehouse(settings, read_only=True) as wh:
        assert _score_history(wh, activity.person_id) == history_before  # the scores did not run
        [(logged,)] = wh.fetchall(
            "select count(*) from intermediate.int_engagement__links_removed where person_id = ?",
            [activity.person_id],
        )
    assert logged == 1

    def scores(wh) -> tuple[list[tuple], list[tuple]]:
        return _score_history(wh, activity.person_id), _lead_scores(wh, activity.person_id)

    incremental = build_and_read(settings, scores)
    assert incremental[0] != history_before

    assert incremental == build_and_read(settings, scores, "--full-refresh")

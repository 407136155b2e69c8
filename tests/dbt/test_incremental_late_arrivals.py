"""Events that reach the raw layer late, and the next incremental build (issue 4: incremental models give
what a full refresh gives):

- a copy of an old event delivered again after the lookback window (a Segment retry from a client that
  was offline, a SendGrid event posted twice days apart): staging keeps the first copy. Before, the
  window's copy was written over the stored one, moving the event's received time (web) or event time
  (e-mail) to the late copy's;
- events loaded days after they happened (a webhook batch or an event file held up upstream, an old day
  ingested again): the staging models read them by their load (`_dlt_load_id`), not by their times, and
  the models downstream by what staging wrote since their last run. Before, only the last `lookback_days`
  of event times were re-read, so these events stayed out of the warehouse until a `--full-refresh`:
  a web event, an e-mail event, the first identify call of a visitor who had only browsed (their
  earlier page views then belong to the person), and a copy of an old event that came before the
  stored copy (it replaces it, as the first copy);
- the lookback window, re-read each run: staging writes only what is new in it (the rows above), not its
  stored events again;
- a web user who identifies on another device with another e-mail: their person changes, and the
  sessions and events of the device they browsed on before, which sends nothing new, move with it. The
  CRM contact they were stitched to before stays, and is scored again without those events.

All of them land in one copy of the DuckDB warehouse that the session's `duckdb_build` left, as the next
ingestion would load them; one incremental build and one full refresh follow, and each test reads both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import STREAM, Build, build_and_read, copy_warehouse

from funnelhouse.warehouse import open_warehouse

DAYS_LATE = 10  # well past the 3-day lookback
LATE_WEB_EVENT = "late-load-web"
LATE_EMAIL_EVENT = "late-load-email"
LATE_IDENTIFY = "late-load-identify"
NEW_DEVICE_IDENTIFY = "new-device-identify"
NEW_DEVICE_EMAIL = "moved.to.new.device@example.com"


@dataclass(frozen=True)
class EventSource:
    raw_table: str
    raw_id: str
    raw_time: str  # the raw column the staging model's incremental window reads
    staging_table: str
    staging_time: str  # that column once typed, which decides the first copy
    stream_source: str  # `source` of its events in the engagement stream


WEB = EventSource(
    "raw_web.events", "message_id", "received_at", "staging.stg_web__events", "received_at", "web_track"
)
EMAIL = EventSource(
    "raw_email.events", "sg_event_id", "event_at", "staging.stg_email__events", "occurred_at", "email"
)


@dataclass(frozen=True)
class Copied:
    """An old event of the stream a late row copies: its id, occurred time and stored staging time."""

    event_id: str
    occurred_at: datetime
    stored_time: datetime


@dataclass
class Arrivals:
    late_copies: dict[str, Copied]  # by stream source: the event copied again, received now
    earlier_copy: Copied  # the web event copied as received an hour before its stored copy
    email_person: str  # the person of the e-mail event the late e-mail event copies
    visitor: str  # the anonymous visitor the late identify call identifies
    first_device: str  # a web user's earlier device, when the user identifies on a new one
    first_device_contact: str  # the CRM contact's person that device's events belonged to before
    contact_scores_before: list[tuple]  # that person's daily scores before the build
    incremental: dict[str, list[tuple]]
    full_refresh: dict[str, list[tuple]]
    staged_by_the_incremental_run: list[tuple]  # (event_id,) of staged web and e-mail rows it wrote


def _scored_event(wh, events: EventSource, rank: int) -> Copied:
    """The source's `rank`-th oldest scored event (0: the oldest)."""
    [(event_id, occurred_at)] = wh.fetchall(
        f"select source_event_id, occurred_at from {STREAM} where source = ?"
        " order by occurred_at, source_event_id limit 1 offset ?",
        [events.stream_source, rank],
    )
    [(stored_time,)] = wh.fetchall(
        f"select {events.staging_time} from {events.staging_table} where event_id = ?", [event_id]
    )
    return Copied(event_id, occurred_at, stored_time)


def _insert_copy(wh, events: EventSource, event_id: str, replace: dict[str, object]) -> None:
    """A raw row copied from event `event_id`'s, with the columns in `replace` set to the given values."""
    columns = ", ".join(f"? as {column}" for column in replace)
    wh.execute(
        f"insert into {events.raw_table} select * replace ({columns})"
        f" from {events.raw_table} where {events.raw_id} = ? limit 1",
        [*replace.values(), event_id],
    )


def _land_late_rows(wh) -> dict:
    """Everything the module's docstring lists, in the raw layer. Returns what the tests look at."""
    [(newest_load,)] = wh.fetchall(
        "select max(load_id) from (select _dlt_load_id as load_id from raw_web.events"
        " union all select _dlt_load_id from raw_email.events) as loads"
    )
    load_id = f"{float(newest_load) + 60:.6f}"  # a dlt load id (unix seconds) newer than all
    [(now,)] = wh.fetchall("select max(received_at) from raw_web.events")
    long_ago = now - timedelta(days=DAYS_LATE)
    landed: dict = {"late_copies": {}}
    # late copies, delivered at the source's "now" (its latest raw row's time)
    for events in (WEB, EMAIL):
        copied = _scored_event(wh, events, 0)
        [(source_now,)] = wh.fetchall(f"select max({events.raw_time}) from {events.raw_table}")
        assert (source_now.replace(tzinfo=None) - copied.stored_time).days > 5  # stored before the window
        _insert_copy(wh, events, copied.event_id, {events.raw_time: source_now})
        landed["late_copies"][events.stream_source] = copied
    # events loaded long after they happened, each a new event copied from a scored one
    web_model = landed["late_copies"][WEB.stream_source].event_id
    _insert_copy(
        wh,
        WEB,
        web_model,
        {"message_id": LATE_WEB_EVENT, "timestamp": long_ago, "received_at": long_ago}
        | {"_dlt_load_id": load_id, "_dlt_id": LATE_WEB_EVENT},
    )
    email_model = landed["late_copies"][EMAIL.stream_source].event_id
    [(landed["email_person"],)] = wh.fetchall(
        f"select person_id from {STREAM} where source_event_id = ?", [email_model]
    )
    _insert_copy(
        wh,
        EMAIL,
        email_model,
        {
            "sg_event_id": LATE_EMAIL_EVENT,
            "event_at": long_ago,
            "_dlt_load_id": load_id,
            "_dlt_id": LATE_EMAIL_EVENT,
        },
    )
    # the first identify call of a visitor who browsed before it and never identified, by a known user
    [(visitor,)] = wh.fetchall(
        "select anonymous_id from raw_web.events group by anonymous_id"
        " having count(user_id) = 0 and min(timestamp) < ? order by anonymous_id limit 1",
        [long_ago],
    )
    [(identify,)] = wh.fetchall(
        "select min(message_id) from raw_web.events where type = 'identify' and user_id is not null"
    )
    _insert_copy(
        wh,
        WEB,
        identify,
        {"message_id": LATE_IDENTIFY, "anonymous_id": visitor, "timestamp": long_ago, "received_at": long_ago}
        | {"_dlt_load_id": load_id, "_dlt_id": LATE_IDENTIFY},
    )
    landed["visitor"] = visitor
    # a copy of an old stored event that was received an hour before the stored copy, loaded only now
    earlier = _scored_event(wh, WEB, 1)
    _insert_copy(
        wh,
        WEB,
        earlier.event_id,
        {"received_at": earlier.stored_time.replace(tzinfo=UTC) - timedelta(hours=1)}
        | {"_dlt_load_id": load_id, "_dlt_id": "earlier-copy"},
    )
    landed["earlier_copy"] = earlier
    # a web user stitched to a CRM contact, whose device's events score points, identifies today on a new
    # device, with a new e-mail address
    [(first_device, user_id)] = wh.fetchall(
        "select stitched.anonymous_id, stitched.user_id from intermediate.int_people__identity_stitched as stitched"
        " where stitched.anonymous_id = ("
        f"   select min(stream.anonymous_id) from {STREAM} as stream"
        "   inner join contract.contract_engagement_rules as rules"
        "     on rules.event_kind = stream.event_kind and rules.pattern is null and rules.points > 0"
        "   inner join marts.dim_leads as leads on leads.person_id = stream.person_id"
        "   where leads.crm_contact_id is not null)"
    )
    [(identify,)] = wh.fetchall(
        "select min(message_id) from raw_web.events where type = 'identify' and user_id = ?", [user_id]
    )
    [(landed["first_device_contact"],)] = wh.fetchall(
        f"select distinct person_id from {STREAM} where anonymous_id = ?", [first_device]
    )
    landed["contact_scores_before"] = _scores(wh, landed["first_device_contact"])
    _insert_copy(
        wh,
        WEB,
        identify,
        {"message_id": NEW_DEVICE_IDENTIFY, "anonymous_id": "new-device", "traits__email": NEW_DEVICE_EMAIL}
        | {"timestamp": now, "received_at": now, "_dlt_load_id": load_id, "_dlt_id": NEW_DEVICE_IDENTIFY},
    )
    landed["first_device"] = first_device
    return landed


def _scores(wh, person_id: str) -> list[tuple]:
    return wh.fetchall(
        "select score_date, engagement_score, lead_score, points_today, events_today"
        " from marts.fct_lead_score_daily where person_id = ? order by 1",
        [person_id],
    )


def _outcome(wh, landed: dict) -> dict[str, list[tuple]]:
    copied = [*landed["late_copies"].values(), landed["earlier_copy"]]
    copied_ids = [c.event_id for c in copied]
    marks = ", ".join("?" for _ in copied_ids)
    visitor = landed["visitor"]
    return {
        "staged": wh.fetchall(
            f"select event_id, received_at from {WEB.staging_table} where event_id in (?, ?, {marks})"
            f" union all select event_id, occurred_at from {EMAIL.staging_table} where event_id in (?, {marks})"
            " order by 1",
            [LATE_WEB_EVENT, LATE_IDENTIFY, *copied_ids, LATE_EMAIL_EVENT, *copied_ids],
        ),
        "streamed": wh.fetchall(
            f"select source_event_id, person_id, occurred_at, loaded_at from {STREAM}"
            f" where source_event_id in (?, ?, {marks}) order by 1, 2",
            [LATE_WEB_EVENT, LATE_EMAIL_EVENT, *copied_ids],
        ),
        "visitor_person": wh.fetchall(
            "select person_id from intermediate.int_people__identity_stitched where anonymous_id = ?",
            [visitor],
        ),
        "visitor_stream": wh.fetchall(
            f"select engagement_event_id, person_id from {STREAM} where anonymous_id = ? order by 1",
            [visitor],
        ),
        "visitor_sessions": wh.fetchall(
            "select session_number, person_id, session_start_at, events from intermediate.int_web__sessions"
            " where anonymous_id = ? order by 1",
            [visitor],
        ),
        "first_device_persons": wh.fetchall(
            "select 'sessions', person_id, count(*) from intermediate.int_web__sessions where anonymous_id = ?"
            f" group by person_id union all select 'stream', person_id, count(*) from {STREAM}"
            " where anonymous_id = ? group by person_id union all select 'lead', person_id, count(*)"
            " from marts.dim_leads where email = ? group by person_id order by 1, 2",
            [landed["first_device"], landed["first_device"], NEW_DEVICE_EMAIL],
        ),
        "email_person_scores": _scores(wh, landed["email_person"]),
        "first_device_contact_scores": _scores(wh, landed["first_device_contact"]),
        "first_device_contact_changes": wh.fetchall(
            "select change_date, rule_id, points, events_to_date from intermediate.int_scoring__engagement_changes"
            " where person_id = ? order by 1, 2",
            [landed["first_device_contact"]],
        ),
    }


@pytest.fixture(scope="module")
def arrivals(duckdb_build: Build, tmp_path_factory: pytest.TempPathFactory) -> Arrivals:
    settings = copy_warehouse(duckdb_build, Path(tmp_path_factory.mktemp("late-arrivals")) / "home")
    with open_warehouse(settings) as wh:
        landed = _land_late_rows(wh)
    incremental, staged = build_and_read(
        settings, lambda wh: (_outcome(wh, landed), _staged_by_the_last_run(wh))
    )
    full_refresh = build_and_read(settings, lambda wh: _outcome(wh, landed), "--full-refresh")
    return Arrivals(
        incremental=incremental, full_refresh=full_refresh, staged_by_the_incremental_run=staged, **landed
    )


def _staged_by_the_last_run(wh) -> list[tuple]:
    return wh.fetchall(
        " union all ".join(
            f"select event_id from {table} where _processed_at = (select max(_processed_at) from {table})"
            for table in (WEB.staging_table, EMAIL.staging_table)
        )
        + " order by 1"
    )


def test_a_late_copy_of_an_old_event_keeps_the_first_copy(arrivals: Arrivals) -> None:
    staged = dict(arrivals.incremental["staged"])
    streamed = arrivals.incremental["streamed"]
    for copied in arrivals.late_copies.values():
        assert staged[copied.event_id] == copied.stored_time  # the first copy, not the late one
        rows = [row for row in streamed if row[0] == copied.event_id]
        assert rows and all(row[2] == copied.occurred_at for row in rows)


def test_events_loaded_days_late_enter_staging_and_the_stream(arrivals: Arrivals) -> None:
    staged = dict(arrivals.incremental["staged"])
    assert {LATE_WEB_EVENT, LATE_EMAIL_EVENT, LATE_IDENTIFY} <= staged.keys()
    streamed = {row[0]: row for row in arrivals.incremental["streamed"]}
    assert {LATE_WEB_EVENT, LATE_EMAIL_EVENT} <= streamed.keys()
    assert streamed[LATE_EMAIL_EVENT][1] == arrivals.email_person


def test_a_late_identify_call_stitches_the_visitors_earlier_events(arrivals: Arrivals) -> None:
    [(person,)] = arrivals.incremental["visitor_person"]
    assert person is not None
    visitor_stream = arrivals.incremental["visitor_stream"]
    assert visitor_stream and {row[1] for row in visitor_stream} == {person}
    sessions = arrivals.incremental["visitor_sessions"]
    assert sessions and {row[1] for row in sessions} == {person}


def test_a_new_device_with_a_new_email_moves_the_first_devices_history(arrivals: Arrivals) -> None:
    persons = arrivals.incremental["first_device_persons"]
    [(_, new_person, _)] = [row for row in persons if row[0] == "lead"]
    assert {(kind, person) for kind, person, _ in persons} == {
        ("lead", new_person),
        ("sessions", new_person),
        ("stream", new_person),
    }


def test_the_contact_a_device_moved_away_from_is_scored_without_its_events(arrivals: Arrivals) -> None:
    persons = {person for kind, person, _ in arrivals.incremental["first_device_persons"]}
    assert arrivals.first_device_contact not in persons
    scores = arrivals.incremental["first_device_contact_scores"]
    assert scores and scores != arrivals.contact_scores_before  # the moved events' points are gone
    assert scores == arrivals.full_refresh["first_device_contact_scores"]
    changes = arrivals.incremental["first_device_contact_changes"]
    assert changes == arrivals.full_refresh["first_device_contact_changes"]


def test_an_earlier_copy_loaded_late_replaces_the_stored_copy(arrivals: Arrivals) -> None:
    earlier = arrivals.earlier_copy
    assert dict(arrivals.incremental["staged"])[earlier.event_id] == earlier.stored_time - timedelta(hours=1)


def test_staging_writes_only_the_events_and_copies_that_changed(arrivals: Arrivals) -> None:
    # The lookback window is re-read, but its stored events and their later copies are not written again.
    written = {event_id for (event_id,) in arrivals.staged_by_the_incremental_run}
    assert written == {
        LATE_WEB_EVENT,
        LATE_EMAIL_EVENT,
        LATE_IDENTIFY,
        NEW_DEVICE_IDENTIFY,
        arrivals.earlier_copy.event_id,
    }


def test_the_incremental_build_gives_what_a_full_refresh_gives(arrivals: Arrivals) -> None:
    assert arrivals.incremental == arrivals.full_refresh

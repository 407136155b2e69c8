"""A copy of an old event delivered again after the lookback window (a Segment retry from a client that
was offline, a SendGrid event posted twice days apart): the staging tables keep the first copy, so the
next incremental build gives what a full refresh gives (issue 4: incremental models equal a full
refresh). Before, the window's copy was written over the stored one, moving the event's received time
(web) or event time (e-mail) to the late copy's.

Works on a copy of the DuckDB warehouse the session's `duckdb_build` left; the late copy is added to its
raw layer, as the next ingestion would load it.
"""

from __future__ import annotations

from dataclasses import dataclass

from conftest import STREAM, build_and_read

from funnelhouse.settings import Settings
from funnelhouse.warehouse import open_warehouse


@dataclass(frozen=True)
class EventSource:
    raw_table: str
    raw_id: str
    raw_time: str  # the raw column the staging model's incremental window reads
    staging_table: str
    staging_time: str  # that column once typed, which decides the first copy
    stream_source: str  # `source` of its events in the engagement stream


WEB = EventSource(
    "raw_web.events", "message_id", "received_at", "staging.stg_web__events", "received_at", "web_page"
)
EMAIL = EventSource(
    "raw_email.events", "sg_event_id", "event_at", "staging.stg_email__events", "occurred_at", "email"
)


def _add_late_copy_of_oldest_event(wh, events: EventSource) -> tuple[str, object, object]:
    """A copy of the source's oldest scored event, delivered at the time of the latest raw row (the run's
    "now"). Returns the event's id, its occurred time and the time its stored copy says."""
    [(event_id, first_time)] = wh.fetchall(
        f"select source_event_id, occurred_at from {STREAM} where source = ?"
        " order by occurred_at, source_event_id limit 1",
        [events.stream_source],
    )
    [(stored_time,)] = wh.fetchall(
        f"select {events.staging_time} from {events.staging_table} where event_id = ?", [event_id]
    )
    [(now,)] = wh.fetchall(f"select max({events.raw_time}) from {events.raw_table}")
    assert (now.replace(tzinfo=None) - stored_time).days > 5  # the stored copy is older than the window
    wh.execute(
        f"insert into {events.raw_table} select * replace (? as {events.raw_time})"
        f" from {events.raw_table} where {events.raw_id} = ? limit 1",
        [now, event_id],
    )
    return event_id, first_time, stored_time


def test_a_late_copy_of_an_old_event_keeps_the_first_copy(warehouse_copy: Settings) -> None:
    """One late copy per source (web and e-mail), one incremental build and one full refresh."""
    sources = (WEB, EMAIL)
    with open_warehouse(warehouse_copy) as wh:
        copies = [_add_late_copy_of_oldest_event(wh, events) for events in sources]

    def outcome(wh) -> list[tuple[list[tuple], list[tuple]]]:
        found = []
        for events, (event_id, _, _) in zip(sources, copies, strict=True):
            staged = wh.fetchall(
                f"select event_id, {events.staging_time} from {events.staging_table} where event_id = ?",
                [event_id],
            )
            streamed = wh.fetchall(
                f"select engagement_event_id, occurred_at, loaded_at from {STREAM} where source_event_id = ?",
                [event_id],
            )
            found.append((staged, streamed))
        return found

    incremental = build_and_read(warehouse_copy, outcome)
    for (event_id, first_time, stored_time), (staged, streamed) in zip(copies, incremental, strict=True):
        assert staged == [(event_id, stored_time)]  # the first copy, not the late one
        assert streamed and all(row[1] == first_time for row in streamed)
    assert incremental == build_and_read(warehouse_copy, outcome, "--full-refresh")

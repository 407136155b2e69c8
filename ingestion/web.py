"""Web analytics: Segment-spec JSONL files under FUNNELHOUSE_WEB_EVENTS, de-duplicated on `messageId`."""

from __future__ import annotations

from funnelhouse.settings import Settings, get_settings
from ingestion.event_files import ingest_event_files
from ingestion.jsonl_events import Derived, EventSpec
from ingestion.report import SourceReport

ISO_TIMESTAMP = "try_cast({raw} AS TIMESTAMPTZ)"


def _timestamp(column: str):
    def derive(raw: str) -> Derived:
        return [(column, ISO_TIMESTAMP.format(raw=raw), "timestamp")]

    return derive


WEB_SPEC = EventSpec(
    source="web",
    key_field="messageId",
    key_column="message_id",
    timestamp_field="timestamp",
    timestamp_sql=ISO_TIMESTAMP,
    text_fields={
        "timestamp": _timestamp("timestamp"),
        "sentAt": _timestamp("sent_at"),
        "receivedAt": _timestamp("received_at"),
        "originalTimestamp": _timestamp("original_timestamp"),
    },
)


def ingest_web(settings: Settings | None = None) -> SourceReport:
    """Load new Segment files into `raw_web.events` (and bad lines into `raw_web._rejected`)."""
    settings = settings or get_settings()
    return ingest_event_files(settings, "web", WEB_SPEC, settings.web_events_location)

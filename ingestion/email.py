"""E-mail events: SendGrid Event Webhook JSONL under FUNNELHOUSE_EMAIL_EVENTS, de-duplicated on `sg_event_id`.

SendGrid sends `timestamp` as unix seconds and `category` as a string or a list of strings; raw keeps the
seconds as sent and adds `event_at` (timestamptz), `category` (the first) and `categories` (all, joined).
"""

from __future__ import annotations

from funnelhouse.settings import Settings, get_settings
from ingestion.event_files import ingest_event_files
from ingestion.jsonl_events import Derived, EventSpec
from ingestion.report import SourceReport

# unix seconds up to the year 9999; anything else is unparseable rather than an engine error
UNIX_TIMESTAMP = (
    "CASE WHEN try_cast({raw} AS DOUBLE) BETWEEN 0 AND 253402300799 "
    "THEN to_timestamp(try_cast({raw} AS DOUBLE)) END"
)


def _timestamp(raw: str) -> Derived:
    return [
        ("timestamp", f"try_cast(floor(try_cast({raw} AS DOUBLE)) AS BIGINT)", "bigint"),
        ("event_at", UNIX_TIMESTAMP.format(raw=raw), "timestamp"),
    ]


def _category(j: str) -> Derived:
    is_list = f"json_type({j}) = 'ARRAY'"
    return [
        (
            "category",
            f"CASE WHEN {is_list} THEN json_extract_string({j}, '$[0]') ELSE {j} ->> '$' END",
            "text",
        ),
        (
            "categories",
            f"CASE WHEN {is_list} THEN array_to_string(json_extract_string({j}, '$[*]'), ',') ELSE {j} ->> '$' END",
            "text",
        ),
    ]


EMAIL_SPEC = EventSpec(
    source="email",
    key_field="sg_event_id",
    key_column="sg_event_id",
    timestamp_field="timestamp",
    timestamp_sql=UNIX_TIMESTAMP,
    json_fields={"category": _category},
    text_fields={"timestamp": _timestamp},
)


def ingest_email(settings: Settings | None = None) -> SourceReport:
    """Load new SendGrid files into `raw_email.events` (and bad lines into `raw_email._rejected`)."""
    settings = settings or get_settings()
    return ingest_event_files(settings, "email", EMAIL_SPEC, settings.email_events_location)

"""The event-file engine on its own: its fast path (a key check, then DuckDB's read_json) against the
line-by-line path, on the same files; drift found past the sample; a load job run twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from ingest_helpers import query

from funnelhouse.settings import get_settings
from ingestion import run_ingest
from ingestion.email import EMAIL_SPEC
from ingestion.jsonl_events import STRUCTURE_SAMPLE, EventFileEngine, EventSpec
from ingestion.web import WEB_SPEC

NOW = datetime.now(UTC)
PAST_THE_SAMPLE = STRUCTURE_SAMPLE + 120  # lines before the one that brings new fields


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def web_lines() -> list[dict[str, Any]]:
    """Varied Segment events: nesting, nulls, numbers, booleans, lists, escapes, bad records, duplicates."""
    events: list[dict[str, Any]] = []
    for n in range(PAST_THE_SAMPLE):
        events.append(
            {
                "messageId": f"m-{n}",
                "type": "track" if n % 3 == 0 else "page",
                "event": "Signed Up" if n % 3 == 0 else None,
                "anonymousId": f"a-{n % 11}",
                "timestamp": iso(NOW - timedelta(minutes=n)),
                "receivedAt": iso(NOW - timedelta(minutes=n, seconds=-1)),
                "context": {"page": {"url": f"https://x.example/p/{n % 7}", "title": 'Say "hi" — é'}},
                "properties": {"count": n, "ratio": 1.50, "paid": n % 2 == 0, "tags": ["a", n]},
                "traits": None,
            }
        )
    late = dict(events[5], messageId="m-late", timestamp=iso(NOW - timedelta(days=2)))
    late["context"] = {"page": {"url": "u"}, "campaign": {"source": "newsletter", "medium": "email"}}
    late["traits"] = {"email": "ada@x.example", "plan": {"tier": "pro"}}
    events.append(late)
    events.append(dict(events[7]))  # a re-delivery inside the file: the first one stays
    events.append({k: v for k, v in events[8].items() if k != "messageId"} | {"messageId": "   "})
    events.append({k: v for k, v in events[9].items() if k != "timestamp"} | {"messageId": "m-no-time"})
    events.append(dict(events[10], messageId="m-bad-time", timestamp="last tuesday"))
    events.append(dict(events[11], messageId="m-future", timestamp=iso(NOW + timedelta(days=3))))
    events.append(dict(events[12], messageId="m-long", properties={"title": "x" * 70_000}))
    return events


def email_lines() -> list[dict[str, Any]]:
    stamp = int((NOW - timedelta(days=1)).timestamp())
    events: list[dict[str, Any]] = []
    for n in range(300):
        event = {"email": f"p{n}@x.example", "timestamp": stamp - n, "event": "open", "sg_event_id": f"e{n}"}
        event["category"] = ["webinar", "fall"] if n % 4 == 0 else "newsletter"
        if n % 5 == 0:
            event["url"], event["campaign"] = "https://x.example", f"c-{n % 3}"
        events.append(event)
    events.append(dict(events[3], timestamp=str(stamp)))  # a duplicate id, time as text
    events.append(dict(events[4], sg_event_id="e-text-time", timestamp=str(stamp)))
    events.append(dict(events[5], sg_event_id="e-bad-time", timestamp="yesterday"))
    events.append({k: v for k, v in events[6].items() if k != "sg_event_id"})
    return events


def process(spec: EventSpec, path: Path, out: Path, read_json: bool) -> tuple[Any, list[tuple]]:
    """Run one engine over `path`; the result and the prepared rows, ordered by line."""
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    engine = EventFileEngine(spec, "parquet", NamingConvention().normalize_identifier, read_json)
    try:
        result = engine.process(str(path), "dt=2026-11-01/part-0000.jsonl", out, "1.0")
    finally:
        engine.close()
    rows = duckdb.sql(f"SELECT * FROM read_parquet('{out}') ORDER BY _source_line").fetchall()
    return result, rows


@pytest.mark.parametrize(("spec", "make"), [(WEB_SPEC, web_lines), (EMAIL_SPEC, email_lines)])
def test_the_read_json_path_gives_what_the_line_by_line_path_gives(
    tmp_path: Path, spec: EventSpec, make: Any
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(event) + "\n" for event in make()), encoding="utf-8")

    fast, fast_rows = process(spec, path, tmp_path / "fast.parquet", read_json=True)
    slow, slow_rows = process(spec, path, tmp_path / "slow.parquet", read_json=False)

    assert (fast.line_by_line, slow.line_by_line) == (False, True)
    assert fast.columns == slow.columns
    assert fast_rows == slow_rows
    assert (fast.lines, fast.rows, fast.duplicates) == (slow.lines, slow.rows, slow.duplicates)
    assert [r.row() | {"rejected_at": None} for r in fast.rejects] == [
        r.row() | {"rejected_at": None} for r in slow.rejects
    ]
    assert fast.rejects and fast.duplicates == 1
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all(r.raw_payload == lines[r.source_line - 1] for r in fast.rejects)


def test_fields_first_seen_past_the_sample_become_columns_without_reading_line_by_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(event) + "\n" for event in web_lines()), encoding="utf-8")

    result, _ = process(WEB_SPEC, path, tmp_path / "out.parquet", read_json=True)

    assert not result.line_by_line
    assert result.passes > 2  # the key check ran again with the wider structure
    for column in ("context__campaign__source", "traits__email", "traits__plan__tier"):
        assert column in result.columns
    late = duckdb.sql(
        f"SELECT context__campaign__source, traits__email, traits__plan__tier, _source_line "
        f"FROM read_parquet('{tmp_path / 'out.parquet'}') WHERE message_id = 'm-late'"
    ).fetchall()
    assert late == [("newsletter", "ada@x.example", "pro", PAST_THE_SAMPLE + 1)]


def test_a_load_job_run_again_after_its_rows_were_committed_adds_nothing(
    tmp_path: Path, funnelhouse_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash between the insert and dlt marking the job done makes dlt run the job again."""
    from dlt.common.destination.exceptions import DestinationTransientException

    from ingestion.destination import _typed_duckdb

    folder = tmp_path / "web"
    events = web_lines()[:50]
    for day in (1, 2):
        path = folder / f"dt=2026-11-0{day}" / "part-0000.jsonl"
        path.parent.mkdir(parents=True)
        path.write_text("".join(json.dumps(e) + "\n" for e in events[day * 20 - 20 : day * 20 + 5]))
    monkeypatch.setenv("FUNNELHOUSE_WEB_EVENTS", str(folder))
    get_settings.cache_clear()

    job_class = _typed_duckdb().copy_job
    run = job_class.run
    runs: list[str] = []

    def run_then_fail_once(self: Any) -> None:
        run(self)
        runs.append(self.load_table_name)
        if len(runs) == 1:
            raise DestinationTransientException("killed after the commit, before the job was marked done")

    monkeypatch.setattr(job_class, "run", run_then_fail_once)

    report = run_ingest(["web"])

    assert runs.count("events") == 3, runs  # two files, the first of them twice
    assert report.ok, report.describe()
    expected = {e["messageId"] for e in events[:45]}
    assert query("select count(*), count(distinct message_id) from raw_web.events") == [
        (len(expected), len(expected))
    ]
    assert report["web"].rows == {"events": len(expected)}


def test_a_field_that_changes_shape_sends_the_file_line_by_line_and_it_still_loads(tmp_path: Path) -> None:
    events = web_lines()[:PAST_THE_SAMPLE]
    # past the sample: the structure knows `context` as an object, and read_json refuses text there
    events[-20] = dict(events[-20], context="not an object")
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")

    fast, fast_rows = process(WEB_SPEC, path, tmp_path / "fast.parquet", read_json=True)
    slow, slow_rows = process(WEB_SPEC, path, tmp_path / "slow.parquet", read_json=False)

    assert fast.line_by_line
    assert (fast.rows, fast.rejects, fast_rows) == (PAST_THE_SAMPLE, [], slow_rows)


def test_a_line_longer_than_the_csv_reader_takes_is_rejected_and_the_rest_loads(tmp_path: Path) -> None:
    events = web_lines()[:3]
    events[1] = dict(events[1], properties={"title": "x" * 2_500_000})  # past read_csv's 2 MB line limit
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")

    result, rows = process(WEB_SPEC, path, tmp_path / "out.parquet", read_json=True)

    assert result.line_by_line
    assert [(r.source_line, r.record_id, r.reason) for r in result.rejects] == [
        (2, "m-1", "over-long field properties.title: more than 65536 characters")
    ]
    assert [row[0] for row in rows] == ["m-0", "m-2"]

"""Web and e-mail event files: bad lines quarantined with reasons, duplicates dropped, drift becomes columns."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ingest_helpers import query

from funnelhouse.settings import get_settings
from ingestion import run_ingest

NOW = datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def page_event(n: int, **extra: object) -> dict:
    event = {
        "messageId": f"m-{n}",
        "type": "page",
        "anonymousId": f"a-{n % 7}",
        "userId": None,
        "timestamp": iso(NOW - timedelta(hours=n)),
        "sentAt": iso(NOW - timedelta(hours=n)),
        "receivedAt": iso(NOW - timedelta(hours=n)),
        "name": "Pricing",
        "context": {"page": {"url": "https://x.example/pricing", "path": "/pricing"}, "userAgent": "UA"},
        "properties": {"url": "https://x.example/pricing", "path": "/pricing"},
    }
    event.update(extra)
    return event


def write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


@pytest.fixture
def web_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, funnelhouse_home: Path) -> Path:
    folder = tmp_path / "web"
    folder.mkdir()
    monkeypatch.setenv("FUNNELHOUSE_WEB_EVENTS", str(folder))
    get_settings.cache_clear()
    return folder


BAD_LINES = {
    "malformed JSON line": '{"messageId": "bad-1", "type": "page", ',
    "missing messageId": json.dumps({k: v for k, v in page_event(900).items() if k != "messageId"}),
    "missing timestamp": json.dumps({k: v for k, v in page_event(901).items() if k != "timestamp"}),
    "unparseable timestamp": json.dumps(page_event(902, timestamp="last tuesday")),
    "future timestamp": json.dumps(page_event(903, timestamp=iso(NOW + timedelta(days=3)))),
    "over-long field properties.title": json.dumps(page_event(904, properties={"title": "x" * 70_000})),
}


@pytest.mark.parametrize("use_warehouse", ["duckdb", "postgres"], indirect=True)
def test_each_kind_of_bad_line_is_quarantined_and_good_lines_around_it_load(
    web_dir: Path, use_warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FUNNELHOUSE_MAX_REJECT_SHARE", "0.5")
    get_settings.cache_clear()
    lines = []
    for n, bad in enumerate(BAD_LINES.values()):
        lines += [json.dumps(page_event(2 * n)), bad, json.dumps(page_event(2 * n + 1))]
    write_lines(web_dir / "dt=2026-11-01" / "part-0000.jsonl", lines)

    report = run_ingest(["web"])

    assert report.ok, report.describe()
    assert report["web"].rows["events"] == 2 * len(BAD_LINES)
    loaded = {row[0] for row in query("select message_id from raw_web.events")}
    assert loaded == {f"m-{n}" for n in range(2 * len(BAD_LINES))}
    rejected = query("select source, source_file, source_line, reason, raw_payload from raw_web._rejected")
    by_line = {row[2]: row for row in rejected}
    assert sorted(by_line) == [3 * n + 2 for n in range(len(BAD_LINES))]
    for n, (kind, bad) in enumerate(BAD_LINES.items()):
        source, source_file, _, reason, payload = by_line[3 * n + 2]
        assert (source, source_file) == ("web", "dt=2026-11-01/part-0000.jsonl")
        assert reason.startswith(kind.split(" properties")[0]), (kind, reason)
        assert payload == bad
    assert "over-long field properties.title" in by_line[3 * 5 + 2][3]
    assert report["web"].rejected == len(BAD_LINES)


def test_too_many_rejects_fail_the_run_keep_earlier_files_and_retry_the_batch(
    web_dir: Path, use_warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_lines(web_dir / "dt=2026-11-01" / "part-0000.jsonl", [json.dumps(page_event(n)) for n in range(20)])
    bad_file = [json.dumps(page_event(n)) for n in range(20, 38)] + ["not json", "{also not json"]
    write_lines(web_dir / "dt=2026-11-02" / "part-0000.jsonl", bad_file)

    report = run_ingest(["web"])

    assert not report.ok
    message = report["web"].error
    for expected in (
        "web",
        "2 of 20",
        "dt=2026-11-02/part-0000.jsonl",
        "FUNNELHOUSE_MAX_REJECT_SHARE",
        "10.0%",
    ):
        assert expected in message, message
    assert query("select count(*) from raw_web.events") == [(20,)]

    monkeypatch.setenv("FUNNELHOUSE_MAX_REJECT_SHARE", "0.2")
    get_settings.cache_clear()
    retry = run_ingest(["web"])

    assert retry.ok, retry.describe()
    assert retry["web"].rows == {"events": 18, "_rejected": 2}
    assert query("select count(*) from raw_web.events") == [(38,)]


def test_duplicates_and_reruns_load_each_message_once_and_new_fields_become_columns(
    web_dir: Path, use_warehouse: str
) -> None:
    first = [json.dumps(page_event(n)) for n in range(10)] + [json.dumps(page_event(3))]
    write_lines(web_dir / "dt=2026-11-01" / "part-0000.jsonl", first)
    assert run_ingest(["web"])["web"].rows == {"events": 10}

    assert run_ingest(["web"])["web"].rows == {}  # nothing new: nothing read, nothing loaded

    # a retried delivery (same messageIds) in a later partition plus one event with a new nested field
    later = [json.dumps(page_event(n)) for n in range(5)]
    later.append(
        json.dumps(page_event(50, context={"page": {"url": "u"}, "campaign": {"source": "newsletter"}}))
    )
    write_lines(web_dir / "dt=2026-11-02" / "part-0000.jsonl", later)
    report = run_ingest(["web"])

    assert report["web"].rows == {"events": 1}
    assert query("select count(*), count(distinct message_id) from raw_web.events") == [(11, 11)]
    assert query("select context__campaign__source from raw_web.events where message_id = 'm-50'") == [
        ("newsletter",)
    ]
    assert query("select _source_file, _source_line from raw_web.events where message_id = 'm-3'") == [
        ("dt=2026-11-01/part-0000.jsonl", 4)
    ]


def test_sendgrid_categories_and_unix_timestamps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_warehouse: str
) -> None:
    folder = tmp_path / "email"
    stamp = int((NOW - timedelta(days=1)).timestamp())
    events = [
        {
            "email": "a@x.example",
            "timestamp": stamp,
            "event": "open",
            "sg_event_id": "e1",
            "category": "newsletter",
        },
        {
            "email": "a@x.example",
            "timestamp": stamp,
            "event": "click",
            "sg_event_id": "e2",
            "category": ["webinar", "fall"],
            "url": "https://x.example",
            "campaign": "c-1",
        },
        {
            "email": "a@x.example",
            "timestamp": stamp,
            "event": "click",
            "sg_event_id": "e2",
            "category": "dup",
        },
        {"email": "b@x.example", "timestamp": "yesterday", "event": "open", "sg_event_id": "e3"},
    ]
    write_lines(folder / "dt=2026-11-01" / "part-0000.jsonl", [json.dumps(e) for e in events])
    monkeypatch.setenv("FUNNELHOUSE_EMAIL_EVENTS", str(folder))
    monkeypatch.setenv("FUNNELHOUSE_MAX_REJECT_SHARE", "0.5")
    get_settings.cache_clear()

    report = run_ingest(["email"])

    assert report.ok, report.describe()
    rows = query(
        "select sg_event_id, category, categories, timestamp, event_at, campaign from raw_email.events"
        " order by sg_event_id"
    )
    expected_at = datetime.fromtimestamp(stamp, tz=UTC)
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows] == [
        ("e1", "newsletter", "newsletter", stamp, None),
        ("e2", "webinar", "webinar,fall", stamp, "c-1"),
    ]
    assert all(r[4] == expected_at for r in rows)
    assert query("select record_id, reason from raw_email._rejected") == [
        ("e3", "unparseable timestamp: yesterday")
    ]

"""A real crash: `funnelhouse ingest --source web` killed (SIGKILL) between loads, then run again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ingest_helpers import expected_events, query

from funnelhouse.settings import get_settings
from ingestion import run_ingest

FILES = 6
EVENTS_PER_FILE = 500


def write_web_files(folder: Path) -> None:
    for day in range(FILES):
        lines = []
        for n in range(EVENTS_PER_FILE):
            number = day * EVENTS_PER_FILE + n
            lines.append(
                json.dumps(
                    {
                        "messageId": f"m-{number}",
                        "type": "track" if n % 5 == 0 else "page",
                        "anonymousId": f"a-{number // 3}",
                        "timestamp": f"2026-10-{day + 1:02d}T10:00:00.000Z",
                        "receivedAt": f"2026-10-{day + 1:02d}T10:00:01.000Z",
                        "context": {"page": {"path": f"/p/{n % 30}"}},
                    }
                )
            )
        lines.append(lines[0])  # a retried delivery inside the file
        if day:
            lines.append(
                lines[1].replace(f"m-{day * EVENTS_PER_FILE + 1}", f"m-{(day - 1) * EVENTS_PER_FILE}")
            )
        path = folder / f"dt=2026-10-{day + 1:02d}" / "part-0000.jsonl"
        path.parent.mkdir(parents=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_killed_ingest_resumes_without_loss_or_duplicates(
    tmp_path: Path, funnelhouse_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "web"
    write_web_files(folder)
    monkeypatch.setenv("FUNNELHOUSE_WEB_EVENTS", str(folder))
    get_settings.cache_clear()
    script = (
        "import ingestion.event_files as ef; ef.FILES_PER_LOAD = 1\n"
        "from ingestion import run_ingest\n"
        "run_ingest(['web'])\n"
    )
    loaded = funnelhouse_home / "dlt" / "funnelhouse_web" / "load" / "loaded"
    process = subprocess.Popen([sys.executable, "-c", script], env=dict(os.environ))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if loaded.exists() and len(list(loaded.iterdir())) >= 2:
            break
        time.sleep(0.05)
    process.kill()
    process.wait()
    loads_before_kill = len(list(loaded.iterdir())) if loaded.exists() else 0
    assert process.returncode == -9, "the ingest finished before it could be killed"
    assert 2 <= loads_before_kill < FILES

    report = run_ingest(["web"])

    assert report.ok, report.describe()
    total, by_type = expected_events(folder, "messageId", "type")
    assert query("select count(*), count(distinct message_id) from raw_web.events") == [(total, total)]
    assert dict(query("select type, count(*) from raw_web.events group by type")) == dict(by_type)
    assert run_ingest(["web"])["web"].rows == {}

"""The CRM source against the sandbox: exact full load, idempotent re-runs, changes picked up alone,
faults and crashes survived with exact counts, and the search-cap restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from ingest_helpers import OBJECT_TYPES, expected_crm, expected_events, point_at, query, table_counts

from ingestion import crm as crm_source
from ingestion import crm_api, run_ingest
from ingestion.crm import ingest_crm

CRM_TABLES = [("raw_hubspot", t) for t in (*OBJECT_TYPES, "owners", "property_history", "associations")]


def api(sandbox: Any, method: str, path: str, body: dict | None = None) -> None:
    response = requests.request(
        method,
        f"{sandbox.url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {sandbox.token}"},
        timeout=30,
    )
    assert response.status_code < 300, response.text


@pytest.mark.parametrize("use_warehouse", ["duckdb", "postgres"], indirect=True)
def test_full_load_matches_the_world_reruns_load_nothing_and_changes_come_alone(
    crm: Any, world_events: Path, use_warehouse: str
) -> None:
    world = world_events
    report = run_ingest(["crm", "web", "email"])
    assert report.ok, report.describe()

    assert table_counts(CRM_TABLES) == expected_crm(world)
    web_total, web_by_type = expected_events(world / "web", "messageId", "type")
    assert query("select count(*), count(distinct message_id) from raw_web.events") == [
        (web_total, web_total)
    ]
    assert dict(query("select type, count(*) from raw_web.events group by type")) == dict(web_by_type)
    email_total, email_by_event = expected_events(world / "email", "sg_event_id", "event")
    assert query("select count(*) from raw_email.events") == [(email_total,)]
    assert dict(query("select event, count(*) from raw_email.events group by event")) == dict(email_by_event)
    # property values stay text; CRM timestamps are typed
    assert query("select count(*) from raw_hubspot.contacts where createdate like '____-__-__T%Z'") == [
        (300,)
    ]

    again = run_ingest(["crm", "web", "email"])
    assert again.ok, again.describe()
    assert {source: r.rows for source, r in again.sources.items()} == {"crm": {}, "web": {}, "email": {}}

    changed = [row[0] for row in query("select id from raw_hubspot.contacts order by id limit 3")]
    for contact_id in changed:
        api(
            crm,
            "PATCH",
            f"/crm/v3/objects/contacts/{contact_id}",
            {"properties": {"jobtitle": "Chief Tester"}},
        )
    deleted = query("select id from raw_hubspot.deals order by id limit 1")[0][0]
    api(crm, "DELETE", f"/crm/v3/objects/deals/{deleted}")
    history_before = table_counts([("raw_hubspot", "property_history")])

    third = run_ingest(["crm"])

    assert third.ok, third.describe()
    assert {t: n for t, n in third["crm"].rows.items() if t in OBJECT_TYPES} == {"contacts": 3, "deals": 1}
    assert sorted(
        r[0] for r in query("select id from raw_hubspot.contacts where jobtitle = 'Chief Tester'")
    ) == sorted(changed)
    assert query(f"select is_deleted, archived from raw_hubspot.deals where id = '{deleted}'") == [
        (True, True)
    ]
    assert table_counts(CRM_TABLES)["contacts"] == 300
    assert table_counts([("raw_hubspot", "property_history")]) == history_before


def test_429_storm_5xx_and_dropped_connections_still_end_with_exact_counts(
    small_world: Path, funnelhouse_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from funnelhouse.sandbox.testing import running_sandbox

    objects = ("contacts", "companies", "deals")
    with running_sandbox(
        small_world, rate_limit=8, rate_window_ms=1000, fail_rate=0.15, drop_rate=0.05, fault_seed=11
    ) as sandbox:
        point_at(sandbox, monkeypatch, rate_limit=1000)  # the client overshoots on purpose: 429s follow
        monkeypatch.setattr(crm_source, "RETRY_BACKOFF_BASE_S", 0.05)
        report = ingest_crm(object_types=objects)
        stats = sandbox.stats()

    assert report.ok, report.describe()
    assert stats["rate_limited"] > 0 and stats["injected_errors"] > 0 and stats["dropped"] > 0, stats
    assert report.figures["rate_limited"] > 0 and report.figures["server_errors"] > 0
    assert report.figures["connection_errors"] > 0
    expected = expected_crm(small_world)
    counts = table_counts([("raw_hubspot", t) for t in objects])
    assert counts == {t: expected[t] for t in objects}


def test_a_crash_between_loads_loses_nothing_and_the_search_cap_restarts_the_window(
    crm: Any, funnelhouse_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(crm_api, "SEARCH_PAGE_SIZE", 40)
    monkeypatch.setattr(crm_api, "SEARCH_RESULT_CAP", 100)  # restart the search after two pages
    monkeypatch.setattr(crm_source, "MAX_RECORDS_PER_LOAD", 100)  # one dlt load per batch read
    real_batch_read = crm_api.batch_read
    calls = {"n": 0}

    def crashing_batch_read(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("process killed between batches")
        return real_batch_read(*args, **kwargs)

    monkeypatch.setattr(crm_api, "batch_read", crashing_batch_read)
    with pytest.raises(Exception, match="killed between batches"):
        ingest_crm(object_types=("contacts",))
    partial = table_counts([("raw_hubspot", "contacts")])["contacts"]
    assert partial == 200  # the two loads before the crash are committed, the third is not

    monkeypatch.setattr(crm_api, "batch_read", real_batch_read)
    resumed = ingest_crm(object_types=("contacts",))

    assert resumed.ok, resumed.describe()
    assert resumed.rows["contacts"] == 100
    assert resumed.figures["search_restarts"] >= 1
    assert query("select count(*), count(distinct id) from raw_hubspot.contacts") == [(300, 300)]


def test_a_bad_crm_record_is_quarantined_and_too_many_fail_the_run(
    crm: Any, funnelhouse_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from funnelhouse.settings import get_settings

    assert ingest_crm(object_types=("contacts",)).ok
    ids = [row[0] for row in query("select id from raw_hubspot.contacts order by id limit 3")]
    api(crm, "PATCH", f"/crm/v3/objects/contacts/{ids[0]}", {"properties": {"jobtitle": "x" * 70_000}})
    for contact_id in ids[1:]:
        api(crm, "PATCH", f"/crm/v3/objects/contacts/{contact_id}", {"properties": {"jobtitle": "Fine"}})

    refused = ingest_crm(object_types=("contacts",))  # 1 of 3 rejected: above the default 1%

    assert not refused.ok
    for expected in (
        "hubspot:contacts",
        "1 of 3",
        "FUNNELHOUSE_MAX_REJECT_SHARE",
        "over-long field jobtitle",
    ):
        assert expected in refused.error, refused.error
    assert query("select count(*) from raw_hubspot.contacts where jobtitle = 'Fine'") == [(0,)]

    monkeypatch.setenv("FUNNELHOUSE_MAX_REJECT_SHARE", "0.5")
    get_settings.cache_clear()
    accepted = ingest_crm(object_types=("contacts",))

    assert accepted.ok, accepted.describe()
    assert accepted.rows["contacts"] == 2
    assert sorted(
        r[0] for r in query("select id from raw_hubspot.contacts where jobtitle = 'Fine'")
    ) == sorted(ids[1:])
    rejected = query("select source, record_id, reason from raw_hubspot._rejected")
    assert rejected == [("hubspot:contacts", ids[0], "over-long field jobtitle: more than 65536 characters")]
    assert ingest_crm(object_types=("contacts",)).rows == {}  # quarantined once, not again

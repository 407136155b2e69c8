"""Airflow scenarios for tests and benchmarks: a nightly run on a world, copies of it, a qualifying event landing.

Shared by `tests/orchestration/` and `bench/bench_latency.py`, so the test and the measurement run the same
scenario:

    baseline = build_baseline(world, root)              # `funnelhouse_nightly` through Airflow, sandbox CRM
    with clone_pipeline(baseline, dest, own_web_events=True) as pipeline:
        contact = pick_unqualified_contact(pipeline.settings)
        land_track_event(pipeline.web_events, contact, "Demo Requested", at)
        result = run_dag("funnelhouse_mql_sync", next_sync_slot(at).isoformat(), pipeline.env)

A baseline is never written after it is built; each clone copies its home (warehouse, dlt state, GX,
Airflow metadata, published copy) and the sandbox CRM's database, so clones never see each other's changes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from funnelhouse.dbt_runner import patched_environ
from funnelhouse.orchestration.local_airflow import output_tail, run_succeeded  # noqa: F401 (shared)
from funnelhouse.settings import Settings, get_settings

TOKEN = "e2e-token"
CRM_RATE_LIMIT = 1000
MQL_STAGE = "marketingqualifiedlead"


@dataclass(frozen=True)
class Baseline:
    """A finished nightly run: its home and sandbox database (never written again) and Airflow's answer."""

    home: Path
    crm_db: Path
    world: Path
    logical_date: str
    result: subprocess.CompletedProcess


@dataclass
class Pipeline:
    """A working copy of a baseline with its sandbox CRM running, and the environment to call Airflow with."""

    home: Path
    settings: Settings
    crm: object  # funnelhouse.sandbox.testing.SandboxHandle
    env: dict[str, str]
    first: subprocess.CompletedProcess  # the baseline's nightly run
    web_events: Path


@dataclass(frozen=True)
class Contact:
    """A CRM contact the warehouse knows on the web (an identified visitor)."""

    person_id: str
    crm_contact_id: str
    email: str
    web_user_id: str
    anonymous_id: str | None


@contextmanager
def funnelhouse_env(home: Path, web_events: Path, email_events: Path) -> Iterator[Settings]:
    """FUNNELHOUSE_* pointing at `home` in this process (restored afterwards), and the settings they give."""
    overrides = {
        "FUNNELHOUSE_HOME": str(home),
        "FUNNELHOUSE_WAREHOUSE": "duckdb",
        "FUNNELHOUSE_WEB_EVENTS": str(web_events),
        "FUNNELHOUSE_EMAIL_EVENTS": str(email_events),
    }
    with patched_environ(overrides):
        get_settings.cache_clear()
        try:
            yield get_settings()
        finally:
            get_settings.cache_clear()


def _crm_env(crm) -> dict[str, str]:
    return {"FUNNELHOUSE_CRM_URL": crm.url, "FUNNELHOUSE_CRM_TOKEN": crm.token}


def build_baseline(world: Path, root: Path, logical_date: str, conf: str | None = None) -> Baseline:
    """Run `funnelhouse_nightly` for `logical_date` through Airflow on `world`, against a sandbox CRM."""
    from funnelhouse.dbt_runner import parse_manifest
    from funnelhouse.orchestration.local_airflow import init_airflow, run_dag
    from funnelhouse.sandbox.testing import running_sandbox

    home, crm_db = root / "home", root / "sandbox.sqlite"
    with funnelhouse_env(home, world / "web", world / "email") as settings:
        with running_sandbox(world, token=TOKEN, rate_limit=CRM_RATE_LIMIT, db=crm_db) as crm:
            env = init_airflow(settings, _crm_env(crm))
            parse_manifest(settings)
            result = run_dag("funnelhouse_nightly", logical_date, env, conf=conf)
    (home / "first-run.log").write_text(result.stdout + result.stderr)
    return Baseline(home=home, crm_db=crm_db, world=world, logical_date=logical_date, result=result)


def _copy_sqlite(source: Path, dest: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        part = source.with_name(source.name + suffix)
        if part.exists():
            shutil.copy2(part, dest.with_name(dest.name + suffix))


def _copy_home(source: Path, dest: Path) -> None:
    shutil.copytree(source, dest, symlinks=True)
    # `airflow db migrate` wrote absolute paths (logs, plugins) into airflow.cfg: point them at the copy
    cfg = dest / "airflow" / "airflow.cfg"
    if cfg.exists():
        cfg.write_text(cfg.read_text().replace(str(source.resolve()), str(dest.resolve())))


@contextmanager
def clone_pipeline(baseline: Baseline, dest: Path, own_web_events: bool = False) -> Iterator[Pipeline]:
    """A copy of the baseline's home and CRM under `dest`, with the sandbox CRM running on the copy.

    `own_web_events` copies the world's web events too, so new files may land there (dlt keys each file
    by its path under the folder, so the copied files count as loaded already).
    """
    from funnelhouse.orchestration.local_airflow import airflow_env
    from funnelhouse.sandbox.testing import running_sandbox

    home, crm_db = dest / "home", dest / "sandbox.sqlite"
    _copy_home(baseline.home, home)
    _copy_sqlite(baseline.crm_db, crm_db)
    web = baseline.world / "web"
    if own_web_events:
        web = dest / "web"
        shutil.copytree(baseline.world / "web", web)
    with funnelhouse_env(home, web, baseline.world / "email") as settings:
        with running_sandbox(baseline.world, token=TOKEN, rate_limit=CRM_RATE_LIMIT, db=crm_db) as crm:
            env = airflow_env(settings, _crm_env(crm))
            yield Pipeline(
                home=home, settings=settings, crm=crm, env=env, first=baseline.result, web_events=web
            )


def crm_contact_properties(crm, contact_id: str, names: list[str]) -> dict[str, str | None]:
    """`names` of one CRM contact, read through the official HubSpot client."""
    found = crm.hubspot_client().crm.contacts.basic_api.get_by_id(contact_id, properties=names)
    return {name: found.properties.get(name) for name in names}


def pick_unqualified_contact(settings: Settings) -> Contact:
    """An identified web visitor with a CRM contact that was never an MQL, is not excluded by fit and whose
    CRM stage is still before MQL (subscriber or lead): the best fit first, so one strong signal qualifies it.
    """
    import duckdb

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as wh:
        row = wh.execute(
            """
            select leads.person_id, leads.crm_contact_id, leads.email, leads.web_user_id,
                   (select min(events.anonymous_id) from raw_web.events as events
                    where events.user_id = leads.web_user_id) as anonymous_id
            from marts.dim_leads as leads
            where not leads.is_excluded and not leads.is_mql and coalesce(leads.mql_count, 0) = 0
              and leads.crm_contact_id is not null and leads.web_user_id is not null
              and leads.lifecycle_stage in ('subscriber', 'lead')
              and leads.person_id not in (select person_id from marts.fct_mql_events)
            order by leads.fit_score desc, leads.lead_score desc, leads.crm_contact_id
            limit 1
            """
        ).fetchone()
    if row is None:
        raise LookupError(f"no identified, never-qualified, non-excluded contact in {settings.duckdb_path}")
    return Contact(*row)


def land_track_event(web_events: Path, contact: Contact, event: str, at: datetime) -> Path:
    """Write one Segment `track` event of `contact` into a new file of the `dt=` partition of `at`."""
    at = at.astimezone(UTC)

    def iso(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    message = {
        "messageId": str(uuid.uuid4()),
        "type": "track",
        "anonymousId": contact.anonymous_id,
        "userId": contact.web_user_id,
        "event": event,
        "properties": {"form_id": "form-demo", "title": "Book a demo"},
        "context": {
            "page": {
                "url": "https://www.funnelhouse-demo.example/demo",
                "path": "/demo",
                "referrer": "",
                "title": "Book a demo",
            },
            "library": {"name": "analytics.js", "version": "next-1.70.0"},
        },
        "timestamp": iso(at),
        "sentAt": iso(at + timedelta(milliseconds=150)),
        "receivedAt": iso(at + timedelta(milliseconds=400)),
    }
    partition = web_events / f"dt={at:%Y-%m-%d}"
    partition.mkdir(parents=True, exist_ok=True)
    path = partition / f"part-{uuid.uuid4().hex[:8]}.jsonl"
    path.write_text(json.dumps(message) + "\n", encoding="utf-8")
    return path


def next_sync_slot(at: datetime, every: timedelta = timedelta(minutes=15)) -> datetime:
    """The first `funnelhouse_mql_sync` trigger time after `at` (slots start on the hour)."""
    at = at.astimezone(UTC)
    hour = at.replace(minute=0, second=0, microsecond=0)
    slots = (at - hour) // every + 1
    return hour + slots * every

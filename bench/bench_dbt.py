"""Benchmark the dbt build: full build and one-day incremental build, DuckDB and PostgreSQL side by side.

    python bench/bench_dbt.py --contacts 100000 --days 90            # the issue's scale (slow to generate)
    python bench/bench_dbt.py --contacts 2000 --days 30 --engines duckdb

Generates a world with `funnelhouse.generator`, loads its raw layer without dlt (bench/raw_bulk_load.py:
DuckDB's read_json for events, the dbt tests' loader for CRM records; docs/raw-schema.md) so only dbt is timed: first everything but the last day, a full build
(`--full-refresh`), then the last day and an incremental build. Prints one dict (JSON, last line): seconds per engine and
step, row counts, and the incremental/full ratio (aim: full ≤ 60 s on DuckDB, incremental ≤ 10 % of it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import funnelhouse  # noqa: E402,F401  (telemetry off)
from bench.raw_bulk_load import copy_raw_to_duckdb, copy_raw_to_postgres, load_world_duckdb  # noqa: E402
from funnelhouse.dbt_runner import patched_environ, run_dbt  # noqa: E402
from funnelhouse.generator import generate_world  # noqa: E402
from funnelhouse.settings import Settings  # noqa: E402
from funnelhouse.warehouse import open_warehouse  # noqa: E402


def _postgres_database(admin_dsn: str) -> tuple[str, str]:
    import psycopg2

    name = f"fh_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(admin_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return name, admin_dsn.rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres_database(admin_dsn: str, name: str) -> None:
    import psycopg2

    admin = psycopg2.connect(admin_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _timed_build(settings: Settings, args: list[str]) -> float:
    started = time.perf_counter()
    code = run_dbt(["build", "--quiet", *args, "--exclude", "test_type:unit"], settings)
    if code != 0:
        raise SystemExit(f"dbt build {' '.join(args)} failed on {settings.warehouse} (exit code {code})")
    return round(time.perf_counter() - started, 2)


def _last_build(settings: Settings) -> tuple[list[dict], dict[str, dict]]:
    """The last build's node results (run_results.json) and the manifest's nodes, by unique_id."""
    target = settings.home / "dbt" / "target"
    results = json.loads((target / "run_results.json").read_text())["results"]
    return results, json.loads((target / "manifest.json").read_text())["nodes"]


def _seconds_by_layer(settings: Settings) -> dict[str, float]:
    """Seconds dbt spent per layer (models and their data tests) in the last build, from run_results.json."""
    results, manifest = _last_build(settings)
    layers: dict[str, float] = {}
    for result in results:
        node = manifest.get(result["unique_id"], {})
        owner = node.get("attached_node") or result["unique_id"]
        path = manifest.get(owner, node).get("original_file_path", "")
        parts = path.split("/")
        if parts[0] == "tests":
            layer = "singular_tests"  # tests/*.sql: checks across models, attached to none
        elif parts[0] != "models":
            layer = "seeds"
        elif parts[1] == "marts":
            layer = "/".join(parts[1:3])
        else:
            layer = parts[1]
        layers[layer] = round(layers.get(layer, 0.0) + result["execution_time"], 2)
    return dict(sorted(layers.items()))


def _seconds_by_kind(settings: Settings) -> dict[str, float]:
    """Seconds dbt spent in the last build per kind of node: models by materialization (`table`: rebuilt
    whole every run; `incremental`: only new rows written), data tests, seeds. Says which part of a
    nightly build depends on the day's volume and which does not."""
    results, manifest = _last_build(settings)
    kinds: dict[str, float] = {}
    for result in results:
        node = manifest.get(result["unique_id"], {})
        resource_type = result["unique_id"].split(".", 1)[0]
        if resource_type == "model":
            kind = f"{node.get('config', {}).get('materialized', 'unknown')}_models"
        else:
            kind = f"{resource_type}s"
        kinds[kind] = round(kinds.get(kind, 0.0) + result["execution_time"], 2)
    return dict(sorted(kinds.items()))


def _load_raw(settings: Settings, raw: Path, last_day: date, part: str) -> float:
    """Give the engine its part of the raw file (see bench/raw_bulk_load.py); returns seconds."""
    started = time.perf_counter()
    if settings.warehouse == "duckdb":
        copy_raw_to_duckdb(raw, settings.duckdb_path, last_day, part, settings.duckdb_memory_limit)
    else:
        copy_raw_to_postgres(raw, settings.postgres_dsn, last_day, part)
    return round(time.perf_counter() - started, 2)


def bench_engine(settings: Settings, raw: Path, end: date, repeat: bool = False) -> dict:
    """Full build, then the last day and an incremental build; with `repeat`, the incremental build once
    more with nothing new loaded (`repeat_build_s`): what a nightly run costs whatever the day's volume."""
    settings.ensure_home()
    copy_s = _load_raw(settings, raw, end, "before")
    full = _timed_build(settings, ["--full-refresh"])
    full_layers = _seconds_by_layer(settings)
    full_kinds = _seconds_by_kind(settings)
    copy_s += _load_raw(settings, raw, end, "last_day")
    incremental = _timed_build(settings, [])
    incremental_layers = _seconds_by_layer(settings)
    incremental_kinds = _seconds_by_kind(settings)
    repeated = {}
    if repeat:
        repeated["repeat_build_s"] = _timed_build(settings, [])
        repeated["repeat_over_incremental"] = round(repeated["repeat_build_s"] / incremental, 3)
    with open_warehouse(settings, read_only=True) as wh:
        [(events, score_rows, mqls)] = wh.fetchall(
            "select (select count(*) from intermediate.int_engagement__events_unioned),"
            " (select count(*) from marts.fct_lead_score_daily), (select count(*) from marts.fct_mql_events)"
        )
    return {
        "raw_copy_s": round(copy_s, 2),
        "full_build_s": full,
        "incremental_build_s": incremental,
        "incremental_over_full": round(incremental / full, 3) if full else None,
        "engagement_events": events,
        "lead_score_daily_rows": score_rows,
        "mql_events": mqls,
        "full_seconds_by_layer": full_layers,
        "incremental_seconds_by_layer": incremental_layers,
        "full_seconds_by_kind": full_kinds,
        "incremental_seconds_by_kind": incremental_kinds,
        **repeated,
    }


def bench_floor(options: argparse.Namespace, workdir: Path, end: date) -> dict:
    """The same DuckDB builds on a world of `--floor-contacts` contacts over 5 days, where the data work is
    next to nothing: what building the project's models and data tests costs in itself (dbt's start,
    one node after another), the floor under the incremental build at any scale."""
    floor_options = argparse.Namespace(
        **{**vars(options), "contacts": options.floor_contacts, "days": 5, "raw": None, "reuse_raw": False}
    )
    floor_dir = workdir / "floor"
    shutil.rmtree(floor_dir, ignore_errors=True)
    raw, _ = prepare_raw(floor_options, floor_dir, end)
    settings = Settings(
        home=floor_dir / "home_duckdb", warehouse="duckdb", duckdb_memory_limit=options.duckdb_memory_limit
    )
    with patched_environ({"FUNNELHOUSE_DBT_THREADS": options.duckdb_threads}):
        figures = bench_engine(settings, raw, end)
    shutil.rmtree(floor_dir, ignore_errors=True)
    return {
        "contacts": options.floor_contacts,
        "full_build_s": figures["full_build_s"],
        "incremental_build_s": figures["incremental_build_s"],
    }


def prepare_raw(options: argparse.Namespace, workdir: Path, end: date) -> tuple[Path, dict]:
    """The raw layer the builds copy from: `--raw`, or `<workdir>/raw.duckdb` reused (`--reuse-raw`), or
    the world (generated in `<workdir>/world` if missing) loaded into it. Returns it and its figures."""
    raw = options.raw or workdir / "raw.duckdb"
    if options.raw is not None or (options.reuse_raw and raw.exists()):
        # The world is only needed to load the raw layer: a reused one lets L run without its 38 GB of JSON.
        return raw, {"raw_reused": True}
    world = workdir / "world"
    started = time.perf_counter()
    if not world.exists():
        generate_world(out=world, contacts=options.contacts, days=options.days, seed=options.seed, end=end)
    figures: dict = {"raw_reused": False, "generate_s": round(time.perf_counter() - started, 2)}
    started = time.perf_counter()
    # Loaded under another name and renamed once whole, so an existing raw.duckdb is always a whole one.
    loading = raw.with_name(raw.name + ".loading")
    for stale in (raw, loading, Path(f"{loading}.wal")):
        stale.unlink(missing_ok=True)
    load_world_duckdb(loading, world)
    if Path(f"{loading}.wal").exists():
        Path(f"{loading}.wal").rename(f"{raw}.wal")
    loading.rename(raw)
    figures["raw_load_s"] = round(time.perf_counter() - started, 2)
    return raw, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", default="2026-11-20")
    parser.add_argument(
        "--engines", default="duckdb,postgres", help="'' loads the raw layer and builds nothing"
    )
    parser.add_argument("--postgres-admin-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--workdir", type=Path, default=None, help="Keep the world and warehouses here")
    parser.add_argument(
        "--raw",
        type=Path,
        default=None,
        help="An existing DuckDB file holding the world's raw layer (default: load <workdir>/raw.duckdb)",
    )
    parser.add_argument(
        "--reuse-raw",
        action="store_true",
        help="Reuse <workdir>/raw.duckdb if an earlier run loaded it (the world need not be on disk then)",
    )
    parser.add_argument(
        "--duckdb-memory-limit",
        default="3GB",
        help="FUNNELHOUSE_DUCKDB_MEMORY_LIMIT for the builds: keeps the step under the 4 GiB budget",
    )
    parser.add_argument(
        "--duckdb-threads",
        default="2",
        help="FUNNELHOUSE_DBT_THREADS for the DuckDB builds (the project's default, as the PostgreSQL builds "
        "use): the data tests and small models run side by side; models built together share DuckDB's "
        "memory limit, so if two heavy ones run out of it at a larger scale, 1 builds one model at a time",
    )
    parser.add_argument(
        "--floor-contacts",
        type=int,
        default=0,
        help="also build a world this small on DuckDB (`duckdb_floor`): the project's fixed cost per build",
    )
    options = parser.parse_args()

    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="fh-bench-dbt-"))
    end = date.fromisoformat(options.end)
    result: dict = {
        "contacts": options.contacts,
        "days": options.days,
        "duckdb_memory_limit": options.duckdb_memory_limit,
        "duckdb_dbt_threads": options.duckdb_threads,
    }
    raw, raw_figures = prepare_raw(options, workdir, end)
    result.update(raw_figures)
    try:
        for engine in filter(None, options.engines.split(",")):  # none: only load the raw layer
            home = workdir / f"home_{engine}"
            shutil.rmtree(home, ignore_errors=True)
            if engine == "postgres":
                name, dsn = _postgres_database(options.postgres_admin_dsn)
                try:
                    result[engine] = bench_engine(
                        Settings(home=home, warehouse="postgres", postgres_dsn=dsn), raw, end
                    )
                finally:
                    _drop_postgres_database(options.postgres_admin_dsn, name)
            else:
                settings = Settings(
                    home=home, warehouse="duckdb", duckdb_memory_limit=options.duckdb_memory_limit
                )
                with patched_environ({"FUNNELHOUSE_DBT_THREADS": options.duckdb_threads}):
                    result[engine] = bench_engine(settings, raw, end, repeat=True)
        if options.floor_contacts and "duckdb" in result:
            result["duckdb_floor"] = bench_floor(options, workdir, end)
            result["duckdb_floor_incremental_over_full"] = round(
                result["duckdb_floor"]["incremental_build_s"] / result["duckdb"]["full_build_s"], 3
            )
        if "duckdb" in result and "postgres" in result:
            result["postgres_over_duckdb_full"] = round(
                result["postgres"]["full_build_s"] / result["duckdb"]["full_build_s"], 2
            )
            result["postgres_over_duckdb_incremental"] = round(
                result["postgres"]["incremental_build_s"] / result["duckdb"]["incremental_build_s"], 2
            )
    finally:
        if options.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    # One JSON object on the last line: bench/harness.py reads a step's figures from there.
    print(json.dumps(result))


if __name__ == "__main__":
    main()

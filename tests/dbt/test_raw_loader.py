"""The dlt-free raw loader (used by bench/bench_dbt.py) produces the raw layer ingestion produces."""

from __future__ import annotations

from pathlib import Path

from raw_loader import load_world

from funnelhouse.settings import Settings
from funnelhouse.warehouse import open_warehouse

# Object and event tables: the same rows. (property_history and associations may differ in what the
# CRM adds, e.g. owner history, or in which side of a link is stored; staging reads both sides.)
TABLES = {
    "raw_hubspot": ["contacts", "companies", "deals", "calls", "meetings", "owners"],
    "raw_web": ["events"],
    "raw_email": ["events"],
}


def _shape(settings: Settings) -> dict[str, tuple[set[str], int]]:
    shape = {}
    with open_warehouse(settings, read_only=True) as wh:
        for schema, tables in TABLES.items():
            for table in tables:
                columns = [c for c in wh.columns(schema, table) if not c.startswith("_dlt")]
                counts = wh.fetchall(
                    f"select count(*), {', '.join(f'count({c})' for c in columns)} from {schema}.{table}"
                )[0]
                # Columns holding at least one value (a loader may or may not create an all-null column).
                filled = {c for c, n in zip(columns, counts[1:], strict=True) if n}
                shape[f"{schema}.{table}"] = (filled, counts[0])
    return shape


def test_raw_loader_matches_ingestion(duckdb_build, mini_world, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    with open_warehouse(settings) as wh:
        load_world(wh, mini_world.path)

    ingested, loaded = _shape(duckdb_build.settings), _shape(settings)

    for table, (columns, rows) in ingested.items():
        loaded_columns, loaded_rows = loaded[table]
        assert loaded_rows == rows, table
        missing = columns - loaded_columns
        assert not missing, f"{table}: ingestion has columns the raw loader lacks: {sorted(missing)}"

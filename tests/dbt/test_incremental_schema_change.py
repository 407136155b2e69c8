"""Upgrading a warehouse: an incremental model of the intermediate or marts layer whose columns changed
since its table was built stops the build with dbt's out-of-sync error (`on_schema_change: fail` in
dbt_project.yml) instead of writing rows without the new columns.

Works on a copy of the DuckDB warehouse the session's `duckdb_build` left.
"""

from __future__ import annotations

from conftest import NO_TESTS, STREAM, read_run_results

from funnelhouse.dbt_runner import run_dbt
from funnelhouse.settings import Settings
from funnelhouse.warehouse import open_warehouse


def test_an_incremental_table_built_by_an_older_version_stops_the_build_until_a_full_refresh(
    warehouse_copy: Settings,
) -> None:
    """A warehouse whose engagement stream predates a column the model now writes (an upgrade): the
    incremental build stops on that model with dbt's out-of-sync error naming the fix, instead of
    appending rows without the new column; `--full-refresh` rebuilds it whole."""
    settings = warehouse_copy
    with open_warehouse(settings) as wh:
        wh.execute(f"alter table {STREAM} drop column url")
        wh.commit()

    select = ["--select", "int_engagement__events_unioned", *NO_TESTS]
    assert run_dbt(["build", "--quiet", *select], settings) == 1
    results = read_run_results(settings)["results"]
    [stream] = [r for r in results if r["unique_id"].endswith(".int_engagement__events_unioned")]
    assert stream["status"] == "error"
    assert "out of sync" in stream["message"] and "full_refresh" in stream["message"]

    assert run_dbt(["build", "--quiet", "--full-refresh", *select], settings) == 0
    with open_warehouse(settings, read_only=True) as wh:
        [(with_url,)] = wh.fetchall(f"select count(*) from {STREAM} where url is not null")
    assert with_url > 0

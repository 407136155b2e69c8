"""How a relation of the warehouse becomes a GX batch, on DuckDB and on PostgreSQL.

DuckDB: GX 1.24's SQL datasource over duckdb-engine returns no rows for its metric queries, so every
expectation would "pass" on nothing. Instead the relation is read through a **read-only** DuckDB
connection (never blocking the pipeline's writer for long) into a pandas DataFrame, and GX validates that
with its pandas datasource. Only the increment and only the columns the suite reads are loaded.

PostgreSQL: GX's own SQL datasource with a query asset per relation, so GX pushes the metrics down to the
database. The DSN reaches GX through an environment variable (`${...}` substitution) so it is never written
into `gx/great_expectations.yml`.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from expectations.spec import RelationCheck
from funnelhouse.settings import Settings
from funnelhouse.warehouse import Warehouse

DSN_VARIABLE = "FUNNELHOUSE_GX_POSTGRES_DSN"
DATASOURCE = "funnelhouse_warehouse"
DOCS_SITE = "local_site"


def asset_name(check: RelationCheck) -> str:
    """A stable GX name for a relation (`raw_hubspot.deals -> contacts` → `raw_hubspot.deals__contacts`)."""
    return re.sub(r"[^A-Za-z0-9_.]+", "_", check.table.replace(" -> ", "__")).strip("_")


def quiet_gx() -> None:
    """GX logs every store operation at INFO; the gate's own report is what an operator reads."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def data_docs_dir(settings: Settings) -> Path:
    """Where the gates' Data Docs HTML is written (the path a file-backed GX project would use)."""
    return (settings.home / "gx" / "uncommitted" / "data_docs" / "local_site").resolve()


def open_context(settings: Settings) -> Any:
    """One GX context per gate run: in memory, with a Data Docs site under `$FUNNELHOUSE_HOME/gx`.

    A file-backed project rewrites its whole YAML on every asset change and re-renders every stored result
    on each docs build, which made a run several times slower; the gate keeps its history in
    `ops.dq_results` instead, and the Data Docs site shows the latest run of each suite.
    """
    quiet_gx()
    settings.ensure_home()
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(data_docs_dir(settings)),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites={DOCS_SITE: site},
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    return context


@dataclass
class LoadedRelation:
    """A relation ready for GX: its row count and the batch parameters the batch definition needs."""

    check: RelationCheck
    row_count: int
    batch_parameters: dict[str, Any] | None


class DuckDBPandasEngine:
    """DuckDB relations read into pandas, validated by GX's pandas datasource."""

    name = "duckdb"

    def __init__(self, context: Any):
        self.context = context
        self.datasource = context.data_sources.add_or_update_pandas(DATASOURCE)
        self._batch_definition: BatchDefinition | None = None

    def load(self, warehouse: Warehouse, check: RelationCheck) -> LoadedRelation:
        try:
            with warnings.catch_warnings():
                # duckdb's DataFrame conversion still uses an `inplace=` call that pandas 3 deprecates.
                warnings.filterwarnings("ignore", message="The inplace keyword", category=DeprecationWarning)
                # Interval bounds and dates compare in UTC whatever the machine's zone is.
                warehouse.connection.execute("set TimeZone = 'UTC'")
                frame = warehouse.connection.execute(check.sql).df()
        except Exception as exc:
            raise RuntimeError(
                f"reading {check.table} for validation failed: {exc}\nSQL: {check.sql}"
            ) from exc
        for column in frame.columns:
            # A naive timestamp column (e.g. a dbt model's UTC timestamps) would not compare with the
            # timezone-aware bounds of "not in the future" or freshness: it is UTC by convention.
            if pd.api.types.is_datetime64_dtype(frame[column]) and frame[column].dt.tz is None:
                frame[column] = frame[column].dt.tz_localize("UTC")
        return LoadedRelation(check=check, row_count=len(frame), batch_parameters={"dataframe": frame})

    def batch_definition(self, check: RelationCheck) -> BatchDefinition:
        """One dataframe asset serves every relation (the frame comes with the batch parameters).

        Each added asset makes GX re-serialise its whole configuration; the relation's name is carried by
        the suite name (`raw.raw_hubspot.contacts`) in results and Data Docs instead.
        """
        if self._batch_definition is None:
            asset = self.datasource.add_dataframe_asset("relation")
            self._batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        return self._batch_definition


def utc_session(dsn: str) -> str:
    """The DSN with the session time zone set to UTC (dates compare with interval bounds in UTC)."""
    if "options=" in dsn:
        return dsn
    return dsn + ("&" if "?" in dsn else "?") + "options=-c%20timezone%3DUTC"


class PostgresSqlEngine:
    """PostgreSQL relations as GX query assets: metrics computed by the database."""

    name = "postgres"

    def __init__(self, context: Any, settings: Settings):
        self.context = context
        os.environ[DSN_VARIABLE] = utc_session(settings.postgres_dsn)
        self.datasource = context.data_sources.add_or_update_postgres(
            DATASOURCE, connection_string="${" + DSN_VARIABLE + "}"
        )

    def load(self, warehouse: Warehouse, check: RelationCheck) -> LoadedRelation:
        count = 0
        if check.volume_scope:
            try:
                count = int(warehouse.fetchall(f"select count(*) from ({check.sql}) as relation")[0][0])
            except Exception:
                warehouse.connection.rollback()  # keep the session usable for the other relations
                raise
        return LoadedRelation(check=check, row_count=count, batch_parameters=None)

    def batch_definition(self, check: RelationCheck) -> BatchDefinition:
        # One query asset per relation: GX computes the metrics in the database from that query.
        asset = self.datasource.add_query_asset(asset_name(check), query=check.sql)
        return asset.add_batch_definition_whole_table("whole")


def make_engine(settings: Settings, context: Any) -> DuckDBPandasEngine | PostgresSqlEngine:
    if settings.warehouse == "postgres":
        return PostgresSqlEngine(context, settings)
    return DuckDBPandasEngine(context)

"""Where dlt writes: one pipeline per source, the configured warehouse, state kept under FUNNELHOUSE_HOME.

Each source gets its own pipeline (and so its own cursor state) so that the CRM, web and e-mail loads can
run as separate Airflow tasks. The pipeline state travels with every load package, which is what makes
a crash safe: a cursor is only committed together with the rows it covers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import funnelhouse  # noqa: F401  (telemetry off before dlt is imported)
from funnelhouse.settings import Settings

# dlt probes Airflow Variables for its secrets on every pipeline when Airflow is installed: ~10 s of imports
# and a metadata-DB lookup each time. Funnelhouse passes credentials explicitly, so the probe is switched
# off (an explicit setting wins).
os.environ.setdefault("PROVIDERS__ENABLE_AIRFLOW_SECRETS", "false")

PIPELINE_NAMES = {"crm": "funnelhouse_crm", "web": "funnelhouse_web", "email": "funnelhouse_email"}
DATASETS = {"crm": "raw_hubspot", "web": "raw_web", "email": "raw_email"}


def pipelines_dir(settings: Settings) -> Path:
    """dlt's working folder: one per FUNNELHOUSE_HOME, so each home (each test) has its own state."""
    path = (settings.home / "dlt").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def scratch_dir(settings: Settings, source: str) -> Path:
    """Where prepared load files are written before dlt imports them (hard-linked into the package)."""
    path = pipelines_dir(settings) / "scratch" / source
    path.mkdir(parents=True, exist_ok=True)
    return path


def _typed_duckdb() -> Any:
    """dlt's DuckDB destination, plus bulk import of prepared CSV files read with the table's column types.

    dlt's DuckDB destination imports Parquet (which needs pyarrow, not installed here) or JSONL through a
    bare `read_json`, whose type sniffing turns a column that is null in its sample into JSON (strings then
    keep their quotes) and date-like text into timestamps. Prepared event files must land exactly as
    written, so this job reads CSV with the column types dlt already knows: the same files PostgreSQL
    loads with COPY, and the fastest format for DuckDB to read.
    """
    from dlt.destinations.impl.duckdb.duck import DuckDbClient, DuckDbCopyJob
    from dlt.destinations.impl.duckdb.factory import duckdb as duckdb_factory

    class TypedCsvCopyJob(DuckDbCopyJob):
        def run(self) -> None:
            client = self._job_client
            table = self._load_table
            with open(self._file_path, encoding="utf-8") as f:
                header = f.readline().rstrip("\n").split(",")
            known = table["columns"]
            types = {  # in the file's column order: read_csv's `columns` are positional
                name: client.type_mapper.to_destination_type(known[name], table)
                if known.get(name, {}).get("data_type")
                else "VARCHAR"
                for name in header
            }
            columns = ", ".join(
                f"'{name.replace(chr(39), chr(39) * 2)}': '{kind}'" for name, kind in types.items()
            )
            path = self._file_path.replace("'", "''")
            client.sql_client.execute_sql(
                f"INSERT INTO {client.sql_client.make_qualified_table_name(self.load_table_name)} BY NAME "
                f"SELECT * FROM read_csv('{path}', header = true, auto_detect = false, columns = {{{columns}}}, "
                "allow_quoted_nulls = false, escape = '\"', quote = '\"', delim = ',')"
            )

    class TypedDuckDbClient(DuckDbClient):
        def create_load_job(self, table: Any, file_path: str, load_id: str, restore: bool = False) -> Any:
            if file_path.endswith(".csv"):
                return TypedCsvCopyJob(file_path)
            return super().create_load_job(table, file_path, load_id, restore)

    class typed_duckdb(duckdb_factory):  # noqa: N801 - dlt names destination factories in lower case
        def _raw_capabilities(self) -> Any:
            caps = super()._raw_capabilities()
            caps.supported_loader_file_formats = [*caps.supported_loader_file_formats, "csv"]
            return caps

        @property
        def client_class(self) -> Any:
            return TypedDuckDbClient

        @property
        def destination_type(self) -> str:
            return "dlt.destinations.duckdb"

    return typed_duckdb


def make_destination(settings: Settings) -> Any:
    """The dlt destination for the configured warehouse (absolute DuckDB path, or the PostgreSQL DSN)."""
    import dlt

    if settings.warehouse == "duckdb":
        settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        return _typed_duckdb()(credentials=str(settings.duckdb_path), destination_name="duckdb")
    return dlt.destinations.postgres(credentials=_postgres_credentials(settings.postgres_dsn))


def _postgres_credentials(dsn: str) -> Any:
    """dlt credentials from the DSN; a DSN without a password (trust auth, .pgpass) is accepted as is.

    dlt treats a missing password as unresolved configuration and refuses to connect, although libpq
    itself is fine without one.
    """
    from dlt.destinations.impl.postgres.configuration import PostgresCredentials

    credentials = PostgresCredentials()
    credentials.parse_native_representation(dsn)
    if credentials.password is None:
        credentials.password = ""
    credentials.resolve()
    return credentials


def load_file_format(settings: Settings) -> str:
    """The file format prepared event files are written in: CSV, which both warehouses bulk-load fastest."""
    del settings
    return "csv"


def make_pipeline(settings: Settings, source: str) -> Any:
    """The dlt pipeline of one source (`crm`, `web` or `email`)."""
    import dlt

    settings.ensure_home()
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAMES[source],
        destination=make_destination(settings),
        dataset_name=DATASETS[source],
        pipelines_dir=str(pipelines_dir(settings)),
    )


def resource_state(pipeline: Any, resource: str) -> dict[str, Any]:
    """A resource's committed state (cursor, loaded files) as the pipeline last saved it; {} before any run."""
    if not pipeline.default_schema_name:
        return {}
    sources = pipeline.state.get("sources", {})
    return dict(sources.get(pipeline.default_schema_name, {}).get("resources", {}).get(resource, {}))


def finish_pending(pipeline: Any) -> bool:
    """Load packages a crashed run left extracted but not loaded; True if there were any.

    dlt's `run` would otherwise load them *instead of* extracting new data, silently skipping this run's
    extraction. Their state (cursors, files) was committed with them, so loading them is the recovery.
    """
    if not pipeline.has_pending_data:
        return False
    pipeline.run()
    return True

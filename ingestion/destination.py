"""Where dlt writes: one pipeline per source, the configured warehouse, state kept under FUNNELHOUSE_HOME.

Each source gets its own pipeline (and so its own cursor state) so that the CRM, web and e-mail loads can
run as separate Airflow tasks. The pipeline state travels with every load package, which is what makes
a crash safe: a cursor is only committed together with the rows it covers.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import funnelhouse  # noqa: F401  (telemetry off before dlt is imported)
from funnelhouse.settings import Settings

# dlt probes Airflow Variables for its secrets on every pipeline when Airflow is installed: ~10 s of imports
# and a metadata-DB lookup each time. Funnelhouse passes credentials explicitly, so the probe is switched
# off (an explicit setting wins).
os.environ.setdefault("PROVIDERS__ENABLE_AIRFLOW_SECRETS", "false")

PARQUET_MAGIC = b"PAR1"  # the first four bytes of every Parquet file
MAX_PARALLEL_LOAD_JOBS = 2  # load jobs running at once on DuckDB (see `_typed_duckdb`)
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


def insert_only_key(table: Any) -> list[str]:
    """The key of a table merged `insert-only` (an event table), else [] (the table loads dlt's way)."""
    from dlt.common.schema.utils import get_columns_names_with_prop

    if table.get("write_disposition") != "merge" or table.get("x-merge-strategy") != "insert-only":
        return []
    return get_columns_names_with_prop(table, "primary_key")


@functools.cache
def _typed_duckdb() -> Any:
    """dlt's DuckDB destination, plus bulk import of prepared files straight into insert-only tables.

    Prepared event files are Parquet written by DuckDB itself (typed; written and read several times
    faster than CSV) or CSV read with the column types dlt already knows (dlt's own JSONL import goes
    through a bare `read_json`, whose type sniffing turns a column that is null in its sample into JSON
    and date-like text into timestamps). Both are handed to dlt as `csv` imports: dlt would open an
    imported `.parquet` with pyarrow, which is not installed, while a `csv` import is only linked into the
    load package; the job tells Parquet from CSV by Parquet's magic bytes.

    An `insert-only` table (the event tables) is not copied to a staging table and merged afterwards, as
    dlt does for every merge: one statement inserts the rows whose key the table does not hold yet. That
    statement is idempotent, so a job run again after a crash (its rows committed, the job not yet marked
    done) adds nothing twice, which is the guarantee dlt's staging merge gives. The classes are made once
    (`copy_job` is the job class).
    """
    from dlt.common.storages.load_package import ParsedLoadJobFileName
    from dlt.destinations.impl.duckdb.duck import DuckDbClient, DuckDbCopyJob
    from dlt.destinations.impl.duckdb.factory import duckdb as duckdb_factory

    def quote(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    class TypedCopyJob(DuckDbCopyJob):
        def _source(self) -> str:
            client = self._job_client
            path = quote(self._file_path)
            with open(self._file_path, "rb") as f:
                if f.read(4) == PARQUET_MAGIC:
                    return f"read_parquet({path})"
            with open(self._file_path, encoding="utf-8") as f:
                header = f.readline().rstrip("\n").split(",")
            known = self._load_table["columns"]
            types = {  # in the file's column order: read_csv's `columns` are positional
                name: client.type_mapper.to_destination_type(known[name], self._load_table)
                if known.get(name, {}).get("data_type")
                else "VARCHAR"
                for name in header
            }
            columns = ", ".join(f"{quote(name)}: {quote(kind)}" for name, kind in types.items())
            return (
                f"read_csv({path}, header = true, auto_detect = false, columns = {{{columns}}}, "
                "allow_quoted_nulls = false, escape = '\"', quote = '\"', delim = ',')"
            )

        def run(self) -> None:
            sql = self._job_client.sql_client
            target = sql.make_qualified_table_name(self.load_table_name)
            statement = f"INSERT INTO {target} BY NAME SELECT * FROM {self._source()} AS s"
            key = insert_only_key(self._load_table)
            if key:
                match = " AND ".join(
                    f"d.{sql.escape_column_name(c)} = s.{sql.escape_column_name(c)}" for c in key
                )
                statement += f" WHERE NOT EXISTS (SELECT 1 FROM {target} AS d WHERE {match})"
            sql.execute_sql(statement)

    class TypedDuckDbClient(DuckDbClient):
        def create_load_job(self, table: Any, file_path: str, load_id: str, restore: bool = False) -> Any:
            file_format = ParsedLoadJobFileName.parse(file_path).file_format
            if file_format in ("csv", "parquet"):
                return TypedCopyJob(file_path)
            if insert_only_key(table):
                raise ValueError(
                    f"Table {table['name']} is loaded insert-only from prepared csv/parquet files, "
                    f"not from {file_format}: yield its rows with dlt.mark.with_file_import."
                )
            return super().create_load_job(table, file_path, load_id, restore)

        def should_load_data_to_staging_dataset(self, table_name: str) -> bool:
            if insert_only_key(self.prepare_load_table(table_name)):
                return False  # TypedCopyJob inserts the new keys into the table itself
            return super().should_load_data_to_staging_dataset(table_name)

        def _create_merge_followup_jobs(self, table_chain: Any) -> list[Any]:
            if insert_only_key(table_chain[0]):
                return []
            return super()._create_merge_followup_jobs(table_chain)

    class typed_duckdb(duckdb_factory):  # noqa: N801 - dlt names destination factories in lower case
        def _raw_capabilities(self) -> Any:
            caps = super()._raw_capabilities()
            caps.supported_loader_file_formats = [*caps.supported_loader_file_formats, "csv"]
            # each running insert holds its rows in memory until it commits: dlt's default of 20 jobs at
            # once took 7 GB on 40 files of 250k events, while 2 load as fast (each statement already uses
            # every core) in a fraction of the memory
            caps.max_parallel_load_jobs = MAX_PARALLEL_LOAD_JOBS
            return caps

        @property
        def client_class(self) -> Any:
            return TypedDuckDbClient

        @property
        def destination_type(self) -> str:
            return "dlt.destinations.duckdb"

    typed_duckdb.copy_job = TypedCopyJob
    return typed_duckdb


def make_destination(settings: Settings) -> Any:
    """The dlt destination for the configured warehouse (absolute DuckDB path, or the PostgreSQL DSN)."""
    import dlt

    if settings.warehouse == "duckdb":
        settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        return _typed_duckdb()(credentials=_duckdb_credentials(settings), destination_name="duckdb")
    return dlt.destinations.postgres(credentials=_postgres_credentials(settings.postgres_dsn))


def _duckdb_credentials(settings: Settings) -> Any:
    """The warehouse file, with FUNNELHOUSE_DUCKDB_MEMORY_LIMIT as its `memory_limit` when it is set.

    The load's peak memory is DuckDB's buffer pool, not the rows being inserted: closing the connection
    checkpoints every row group the load wrote, and the checkpoint holds them (uncompressed, several
    times the file's size) in the pool, which DuckDB's default limit (80% of memory) lets grow to the
    whole load (4.2 GB for 10M web events). Under a limit the checkpoint evicts and spills instead, at
    no cost in time. Without the setting the destination keeps DuckDB's default, as before.
    """
    if not settings.duckdb_memory_limit:
        return str(settings.duckdb_path)
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    return DuckDbCredentials(
        str(settings.duckdb_path), global_config={"memory_limit": settings.duckdb_memory_limit}
    )


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
    """The format prepared event files are written in: Parquet for DuckDB (typed, written and read
    fastest), CSV for PostgreSQL (what its COPY reads). Both are imported into dlt as `csv` (see
    `_typed_duckdb`)."""
    return "parquet" if settings.warehouse == "duckdb" else "csv"


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

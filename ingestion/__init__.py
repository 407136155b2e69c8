"""Extract and load the raw layer (dlt): CRM API, web events, e-mail events. See docs/raw-schema.md."""

from ingestion.report import IngestReport, SourceReport
from ingestion.runner import run_ingest


def ingest_crm(settings=None):  # noqa: ANN001, ANN201 - thin re-export, typed in ingestion.crm
    """Airflow task entry: the CRM source alone."""
    from ingestion.crm import ingest_crm as run

    return run(settings)


def ingest_web(settings=None):  # noqa: ANN001, ANN201
    """Airflow task entry: the web events source alone."""
    from ingestion.web import ingest_web as run

    return run(settings)


def ingest_email(settings=None):  # noqa: ANN001, ANN201
    """Airflow task entry: the e-mail events source alone."""
    from ingestion.email import ingest_email as run

    return run(settings)


__all__ = ["IngestReport", "SourceReport", "ingest_crm", "ingest_email", "ingest_web", "run_ingest"]

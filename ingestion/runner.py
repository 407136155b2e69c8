"""`run_ingest`: the one entry point the CLI (`funnelhouse ingest`) and the Airflow DAG share."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from funnelhouse.settings import Settings, get_settings
from ingestion.report import IngestReport, SourceReport

log = logging.getLogger(__name__)

SOURCES = ("crm", "web", "email")


def _ingester(source: str) -> Callable[[Settings], SourceReport]:
    if source == "crm":
        from ingestion.crm import ingest_crm

        return ingest_crm
    if source == "web":
        from ingestion.web import ingest_web

        return ingest_web
    if source == "email":
        from ingestion.email import ingest_email

        return ingest_email
    raise ValueError(
        f"Unknown source {source!r}: use one of {', '.join(SOURCES)} (or 'all' on the command line)."
    )


def run_ingest(sources: Sequence[str], settings: Settings | None = None) -> IngestReport:
    """Ingest each source in turn; a failing source is reported and the others still run."""
    settings = settings or get_settings()
    ingesters = [(source, _ingester(source)) for source in sources]  # unknown names fail before any work
    report = IngestReport()
    for source, ingest in ingesters:
        try:
            report.sources[source] = ingest(settings)
        except Exception as exc:  # noqa: BLE001 - one source's crash must not hide the others' results
            log.exception("ingestion of %s failed", source)
            failed = SourceReport(source=source)
            failed.fail(f"{type(exc).__name__}: {exc}")
            report.sources[source] = failed
    return report

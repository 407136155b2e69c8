"""CRM (HubSpot v3 API) into `raw_hubspot`: incremental by last-modified time, merged on id.

Per object type the cursor is (last-modified ms, ids already loaded at exactly that ms), kept in the dlt
resource state and so committed with the rows it covers. Records are read in ascending modification
order in loads of at most MAX_RECORDS_PER_LOAD, each its own dlt load: a crash loses at most the load
in flight, and the next run resumes at the last committed cursor (merge on id absorbs any overlap).
Archived records and owners are listed in full each run, but only the ones that changed are written.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from funnelhouse.crm_credentials import crm_credentials
from funnelhouse.settings import Settings, get_settings
from ingestion import crm_api
from ingestion.destination import finish_pending, make_pipeline, resource_state
from ingestion.http import CrmApiError, CrmSession
from ingestion.rejects import (
    FUTURE_TOLERANCE_HOURS,
    MAX_FIELD_CHARS,
    REJECTED_COLUMNS,
    REJECTED_TABLE,
    Reject,
    RejectShareExceeded,
    check_share,
)
from ingestion.report import SourceReport

log = logging.getLogger(__name__)

MAX_RECORDS_PER_LOAD = 2_000
RETRY_BACKOFF_BASE_S = 0.5  # first retry waits about this long, doubling each time (Retry-After wins)
RATE_LIMIT = 100  # requests per ten seconds (HubSpot private apps); the session keeps 10% headroom


def rate_limit() -> int:
    """The portal's limit per ten seconds: FUNNELHOUSE_CRM_RATE_LIMIT (higher HubSpot tiers), else 100."""
    value = os.environ.get("FUNNELHOUSE_CRM_RATE_LIMIT")
    if not value:
        return RATE_LIMIT
    try:
        return max(1, int(value))
    except ValueError:
        raise RuntimeError(
            f"FUNNELHOUSE_CRM_RATE_LIMIT must be a whole number of requests, got {value!r}."
        ) from None


HISTORY_TABLE = "property_history"
ASSOCIATIONS_TABLE = "associations"
OWNERS_TABLE = "owners"

_BASE_COLUMNS = {
    "id": {"data_type": "text", "nullable": False},
    "created_at": {"data_type": "timestamp", "timezone": True},
    "updated_at": {"data_type": "timestamp", "timezone": True},
    "archived": {"data_type": "bool"},
    "is_deleted": {"data_type": "bool"},
    "_extracted_at": {"data_type": "timestamp", "timezone": True},
}
_HISTORY_COLUMNS = {
    "object_type": {"data_type": "text", "nullable": False},
    "object_id": {"data_type": "text", "nullable": False},
    "property": {"data_type": "text", "nullable": False},
    "value": {"data_type": "text"},
    "changed_at": {"data_type": "timestamp", "timezone": True},
    "source_type": {"data_type": "text"},
    "source_id": {"data_type": "text"},
    "updated_by_user_id": {"data_type": "text"},
    "_extracted_at": {"data_type": "timestamp", "timezone": True},
}
_ASSOCIATION_COLUMNS = {
    "from_object_type": {"data_type": "text", "nullable": False},
    "from_object_id": {"data_type": "text", "nullable": False},
    "to_object_type": {"data_type": "text", "nullable": False},
    "to_object_id": {"data_type": "text", "nullable": False},
    "association_type": {"data_type": "text", "nullable": False},
    "_extracted_at": {"data_type": "timestamp", "timezone": True},
}
_OWNER_COLUMNS = {
    "id": {"data_type": "text", "nullable": False},
    "email": {"data_type": "text"},
    "first_name": {"data_type": "text"},
    "last_name": {"data_type": "text"},
    "user_id": {"data_type": "text"},
    "created_at": {"data_type": "timestamp", "timezone": True},
    "updated_at": {"data_type": "timestamp", "timezone": True},
    "archived": {"data_type": "bool"},
    "is_deleted": {"data_type": "bool"},
    "_extracted_at": {"data_type": "timestamp", "timezone": True},
}


def _timestamp(value: Any) -> datetime | None:
    ms = crm_api.to_ms(value)
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms is not None else None


def _problem(record: dict[str, Any], object_type: str, now: datetime) -> str | None:
    """Why a record cannot be loaded (naming the field), or None."""
    if not str(record.get("id") or "").strip():
        return "missing id: the record has no id"
    updated = record.get("updatedAt") or (record.get("properties") or {}).get(
        crm_api.last_modified_property(object_type)
    )
    if not updated:
        return "missing updatedAt: the record has no modification time"
    parsed = _timestamp(updated)
    if parsed is None:
        return f"unparseable updatedAt: {str(updated)[:100]}"
    if parsed > now + timedelta(hours=FUTURE_TOLERANCE_HOURS):
        return f"future updatedAt: {updated} is more than a day ahead of now"
    for name, value in (record.get("properties") or {}).items():
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            return f"over-long field {name}: more than {MAX_FIELD_CHARS} characters"
    return None


def _object_row(record: dict[str, Any], extracted_at: datetime, archived: bool) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in (record.get("properties") or {}).items():
        row[name] = value if value is None or isinstance(value, str) else json.dumps(value)
    row.update(
        id=str(record["id"]),
        created_at=_timestamp(record.get("createdAt")),
        updated_at=_timestamp(record.get("updatedAt")),
        archived=archived,
        is_deleted=archived,
        _extracted_at=extracted_at,
    )
    return row


def _history_rows(object_type: str, record: dict[str, Any], extracted_at: datetime) -> list[dict[str, Any]]:
    rows = []
    for prop, versions in (record.get("propertiesWithHistory") or {}).items():
        for version in versions or []:
            rows.append(
                {
                    "object_type": object_type,
                    "object_id": str(record["id"]),
                    "property": prop,
                    "value": version.get("value"),
                    "changed_at": _timestamp(version.get("timestamp")),
                    "source_type": version.get("sourceType"),
                    "source_id": None if version.get("sourceId") is None else str(version.get("sourceId")),
                    "updated_by_user_id": None
                    if version.get("updatedByUserId") is None
                    else str(version.get("updatedByUserId")),
                    "_extracted_at": extracted_at,
                }
            )
    return rows


def _table_hints(resource: Any, object_type: str, properties: list[str]) -> None:
    """One table variant per table an object resource writes: each has its own keys and columns.

    Every property the CRM defines is declared text, so a property that is empty everywhere (e.g. one
    reverse-ETL has not written yet) still has its column for dbt to read.
    """
    object_columns = {name: {"data_type": "text"} for name in properties}
    object_columns.update(_BASE_COLUMNS)
    variants = {
        object_type: dict(
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            primary_key="id",
            columns=object_columns,
        ),
        HISTORY_TABLE: dict(
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            merge_key=["object_type", "object_id"],
            columns=_HISTORY_COLUMNS,
        ),
        ASSOCIATIONS_TABLE: dict(
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            merge_key=["from_object_type", "from_object_id"],
            columns=_ASSOCIATION_COLUMNS,
        ),
        REJECTED_TABLE: dict(write_disposition="append", columns=REJECTED_COLUMNS),
    }
    for table, hints in variants.items():
        resource.apply_hints(table_name=table, create_table_variant=True, **hints)


class _CrmRun:
    """One run of the CRM source: a session, the property lists, the report being filled."""

    def __init__(self, settings: Settings, report: SourceReport):
        creds = crm_credentials(settings)
        self.settings = settings
        self.report = report
        self.session = CrmSession(
            creds.base_url, creds.token, rate_limit=rate_limit(), backoff_base_s=RETRY_BACKOFF_BASE_S
        )
        self.pipeline = make_pipeline(settings, "crm")
        self.pipeline.sync_destination()
        if finish_pending(self.pipeline):
            report.figures["recovered_packages"] = 1
        self.figures: dict[str, float] = {}

    def schema(self) -> Any:
        """The pipeline schema with ISO-timestamp detection off: CRM property values stay text in raw."""
        import dlt

        schema = (
            self.pipeline.default_schema
            if self.pipeline.default_schema_name
            else dlt.Schema(self.pipeline.pipeline_name)
        )
        schema.remove_type_detection("iso_timestamp")
        return schema

    def run_resource(self, resource: Any) -> None:
        self.pipeline.run(resource, schema=self.schema())

    # ---- objects ---------------------------------------------------------------------------------
    def load(self, object_types: tuple[str, ...]) -> None:
        """Owners, then every object type modified since its cursor, in rounds of bounded loads.

        Each round is one dlt load of every object type that still has records to read; a type that
        reached the end of its changes also refreshes its archived records in that load.
        """
        properties = {t: crm_api.property_names(self.session, t) for t in object_types}
        pending = list(object_types)
        resources: list[Any] = [self._owners_resource()]
        while pending and self.report.ok:
            progress = {t: {"more": False} for t in pending}
            resources += [self._object_resource(t, properties[t], progress[t]) for t in pending]
            self.run_resource(resources)
            resources = []
            pending = [t for t in pending if progress[t]["more"]]
        for object_type in object_types:
            state = resource_state(self.pipeline, object_type)
            if state.get("cursor_ms"):
                self.report.cursors[object_type] = datetime.fromtimestamp(
                    state["cursor_ms"] / 1000, tz=UTC
                ).isoformat()

    def _object_resource(self, object_type: str, properties: list[str], done: dict[str, Any]) -> Any:
        import dlt

        resource = dlt.resource(self._extract_objects(object_type, properties, done), name=object_type)
        _table_hints(resource, object_type, properties)
        return resource

    def _extract_objects(
        self, object_type: str, properties: list[str], done: dict[str, Any]
    ) -> Iterator[Any]:
        import dlt

        state = dlt.current.resource_state()
        cursor_ms = int(state.get("cursor_ms", 0))
        boundary = set(state.get("boundary_ids", []))
        quarantined: dict[str, str] = state.setdefault("rejected", {})
        extracted_at = datetime.now(UTC)
        pending: list[tuple[str, int]] = []
        prop = crm_api.last_modified_property(object_type)

        def flush(batch: list[tuple[str, int]]) -> Iterator[Any]:
            yield from self._read_batch(object_type, properties, batch, quarantined, extracted_at)
            # commit the cursor only past what this batch covered (ascending order)
            last_ms = batch[-1][1]
            ids_at_last = {i for i, ms in batch if ms == last_ms}
            if last_ms == state.get("cursor_ms"):
                ids_at_last |= set(state.get("boundary_ids", []))
            state["cursor_ms"] = last_ms
            state["boundary_ids"] = sorted(ids_at_last)

        taken = 0
        for record in crm_api.search_modified_since(self.session, object_type, cursor_ms, self.figures):
            record_id = str(record.get("id", ""))
            modified = crm_api.to_ms((record.get("properties") or {}).get(prop) or record.get("updatedAt"))
            if modified is None:
                modified = cursor_ms
            if modified == cursor_ms and record_id in boundary:
                continue
            pending.append((record_id, modified))
            if len(pending) == crm_api.BATCH_SIZE:
                try:
                    yield from flush(pending)
                except _StopBatch:
                    return
                taken += len(pending)
                pending = []
                if taken >= MAX_RECORDS_PER_LOAD:
                    done["more"] = True
                    return
        if pending:
            try:
                yield from flush(pending)
            except _StopBatch:
                return
        yield from self._archived_rows(object_type, properties, state)

    def _read_batch(
        self,
        object_type: str,
        properties: list[str],
        batch: list[tuple[str, int]],
        quarantined: dict[str, str],
        extracted_at: datetime,
    ) -> Iterator[Any]:
        import dlt

        ids = [i for i, _ in batch]
        records = crm_api.batch_read(self.session, object_type, ids, properties)
        now = datetime.now(UTC)
        good: list[dict[str, Any]] = []
        rejects: list[Reject] = []
        newly_quarantined: dict[str, str] = {}
        for record in records:
            problem = _problem(record, object_type, now)
            if problem is None:
                good.append(record)
                continue
            record_id = str(record.get("id") or "")
            version = str(record.get("updatedAt"))
            if quarantined.get(record_id) == version:
                continue  # already quarantined in an earlier run; unchanged since
            newly_quarantined[record_id] = version
            rejects.append(
                Reject(
                    f"hubspot:{object_type}",
                    problem,
                    json.dumps(record)[: 4 * MAX_FIELD_CHARS],
                    record_id=record_id,
                )
            )
        try:
            check_share(
                f"hubspot:{object_type}",
                f"batch read of ids {ids[0]}..{ids[-1]}",
                len(rejects),
                len(records),
                self.settings.max_reject_share,
            )
        except RejectShareExceeded as exc:
            self.report.add_rejects([r.reason for r in rejects])
            self.report.fail(
                f"{exc} First reasons: " + "; ".join(f"id {r.record_id}: {r.reason}" for r in rejects[:3])
            )
            raise _StopBatch() from None
        quarantined.update(newly_quarantined)  # only once the batch is accepted (state commits with it)
        rows = [_object_row(r, extracted_at, archived=False) for r in good]
        history = [h for r in good for h in _history_rows(object_type, r, extracted_at)]
        links = self._association_rows(object_type, [str(r["id"]) for r in good], extracted_at)
        if rows:
            yield dlt.mark.with_table_name(rows, object_type)
        if history:
            yield dlt.mark.with_table_name(history, HISTORY_TABLE)
        if links:
            yield dlt.mark.with_table_name(links, ASSOCIATIONS_TABLE)
        if rejects:
            yield dlt.mark.with_table_name([r.row() for r in rejects], REJECTED_TABLE)
        self.report.add_rows(object_type, len(rows))
        self.report.add_rows(HISTORY_TABLE, len(history))
        self.report.add_rows(ASSOCIATIONS_TABLE, len(links))
        if rejects:
            self.report.add_rows(REJECTED_TABLE, len(rejects))
            self.report.add_rejects([r.reason for r in rejects])

    def _association_rows(
        self, object_type: str, ids: list[str], extracted_at: datetime
    ) -> list[dict[str, Any]]:
        rows = []
        for to_type in crm_api.ASSOCIATED_TYPES[object_type]:
            if not ids:
                break
            links = crm_api.read_associations(self.session, object_type, to_type, ids)
            kind = f"{crm_api.SINGULAR[object_type]}_to_{crm_api.SINGULAR[to_type]}"
            for from_id in ids:
                for to_id in links.get(from_id, []):
                    rows.append(
                        {
                            "from_object_type": object_type,
                            "from_object_id": from_id,
                            "to_object_type": to_type,
                            "to_object_id": to_id,
                            "association_type": kind,
                            "_extracted_at": extracted_at,
                        }
                    )
        return rows

    # ---- archived records and owners: full listings, changed rows only -------------------------------
    def _archived_rows(self, object_type: str, properties: list[str], state: dict[str, Any]) -> Iterator[Any]:
        """Archived (deleted) records not yet marked, or changed since: kept with is_deleted = true."""
        import dlt

        known: dict[str, str] = state.setdefault("archived", {})
        extracted_at = datetime.now(UTC)
        rows = []
        for record in crm_api.list_pages(
            self.session,
            f"/crm/v3/objects/{object_type}",
            {"archived": "true", "limit": crm_api.LIST_PAGE_SIZE, "properties": ",".join(properties)},
        ):
            version = str(record.get("updatedAt") or record.get("archivedAt") or "")
            if not record.get("id") or known.get(str(record["id"])) == version:
                continue
            rows.append(_object_row(record, extracted_at, archived=True))
            known[str(record["id"])] = version
        if rows:
            self.report.add_rows(object_type, len(rows))
            self.report.figures[f"{object_type}_archived"] = len(rows)
            yield dlt.mark.with_table_name(rows, object_type)

    def _owners_resource(self) -> Any:
        import dlt

        def extract() -> Iterator[Any]:
            state = dlt.current.resource_state()
            known: dict[str, str] = state.setdefault("versions", {})
            extracted_at = datetime.now(UTC)
            rows = []
            for archived in (False, True):
                for owner in crm_api.list_pages(
                    self.session,
                    "/crm/v3/owners",
                    {"limit": crm_api.LIST_PAGE_SIZE, "archived": str(archived).lower()},
                ):
                    owner_id = str(owner.get("id") or "")
                    version = f"{owner.get('updatedAt')}|{archived}"
                    if not owner_id or known.get(owner_id) == version:
                        continue
                    known[owner_id] = version
                    rows.append(
                        {
                            "id": owner_id,
                            "email": owner.get("email"),
                            "first_name": owner.get("firstName"),
                            "last_name": owner.get("lastName"),
                            "user_id": None if owner.get("userId") is None else str(owner.get("userId")),
                            "created_at": _timestamp(owner.get("createdAt")),
                            "updated_at": _timestamp(owner.get("updatedAt")),
                            "archived": archived or bool(owner.get("archived")),
                            "is_deleted": archived or bool(owner.get("archived")),
                            "_extracted_at": extracted_at,
                        }
                    )
            if rows:
                self.report.add_rows(OWNERS_TABLE, len(rows))
                yield rows

        resource = dlt.resource(
            extract(),
            name=OWNERS_TABLE,
            table_name=OWNERS_TABLE,
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            primary_key="id",
            columns=_OWNER_COLUMNS,
        )
        return resource


class _StopBatch(Exception):
    """Raised inside extraction when a batch is refused; the rows before it still load."""


def ingest_crm(settings: Settings | None = None, object_types: tuple[str, ...] | None = None) -> SourceReport:
    """Load CRM owners and objects into `raw_hubspot` incrementally; see the module docstring."""
    settings = settings or get_settings()
    report = SourceReport(source="crm")
    started = time.monotonic()
    try:
        run = _CrmRun(settings, report)
    except RuntimeError as exc:  # no token configured
        report.fail(str(exc))
        return report
    try:
        run.load(tuple(object_types or crm_api.OBJECT_TYPES))
    except CrmApiError as exc:
        report.fail(str(exc))
    except Exception as exc:  # dlt wraps errors raised inside extraction
        cause = _root_cause(exc)
        if isinstance(cause, CrmApiError):
            report.fail(str(cause))
        else:
            raise
    finally:
        run.session.close()
    http = run.session.figures
    report.figures.update(run.figures)
    report.figures.update(
        requests=http.requests,
        retries=http.retries,
        rate_limited=http.rate_limited,
        server_errors=http.server_errors,
        connection_errors=http.connection_errors,
        throttle_wait_s=round(http.throttle_wait_s, 2),
        seconds=round(time.monotonic() - started, 3),
    )
    return report


def _root_cause(exc: BaseException) -> BaseException:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return exc

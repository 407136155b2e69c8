"""The run: plan the diff chunk by chunk, check the CRM is ready, send batch by batch, recording what the CRM confirmed.

Order of a run:
1. plan the first chunk of contacts: their rows of `marts.fct_mql_events` and `ops.sync_state` (see
   `plan.py`; chunks in `stream.py`; with `--limit` the whole mart is planned first, oldest first);
2. log the skips; at the first chunk with something to write, check the target properties exist on the
   CRM, then
3. the circuit breaker (`expectations.circuit_breaker.check_mql_volume`) judges the promotion count of
   the whole run, counted in SQL (`stream.count_pending_promotions`), before any write;
4. the lifecycle stage of the chunk's promoted contacts as of the last extraction (`raw_hubspot.contacts`,
   one query: no CRM read), which decides "promote the stage" or "score fields only" (`batch.py`);
5. round 1 (each contact's first pending write) goes out as soon as a batch of `batch_size` inputs is
   full, while the next chunks are planned; up to `concurrency` batches in flight, paced by the rate
   limiter alone: worker threads build and send batches while this thread plans and records the
   finished ones in order, each batch's confirmed state and log rows in one commit, only after the CRM
   answered. Round r+1 (a contact's next pending promotion) starts once round r is committed, holding
   back the contacts whose earlier promotion failed.
"""

from __future__ import annotations

import importlib
import logging
import os
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

from funnelhouse.crm_credentials import crm_credentials
from funnelhouse.settings import Settings, get_settings
from funnelhouse.warehouse import Warehouse, open_warehouse
from reverse_etl.batch import Exchange, exchange, prepare
from reverse_etl.client import CrmClient
from reverse_etl.config import SyncConfig
from reverse_etl.plan import KEEP_STAGE, SKIP, Plan, PlannedWrite, make_plan
from reverse_etl.report import FailureLine, SyncReport
from reverse_etl.source import KnownStages, read_known_stages, read_promotions
from reverse_etl.state import (
    Confirmed,
    LogRow,
    PermanentFailure,
    ensure_tables,
    load_states,
    record_batch,
    write_log,
)
from reverse_etl.stream import count_pending_promotions, plan_chunks

log = logging.getLogger(__name__)

# Test hook: exit the process hard after this many batches, to prove a killed run loses nothing.
CRASH_AFTER_BATCHES_ENV = "FUNNELHOUSE_SYNC_CRASH_AFTER_BATCHES"
# "before_commit" (default: the CRM has the write, the warehouse does not) or "after_commit".
CRASH_POINT_ENV = "FUNNELHOUSE_SYNC_CRASH_POINT"
CRASH_EXIT_CODE = 75
# Most finished batches one warehouse commit takes (they are committed together, in batch order).
COMMIT_GROUP_MAX = 20
# Most contact ids whose stages one query reads by id list (more: the whole mart's contacts, filtered here).
STAGE_IDS_PER_QUERY = 5000


class MissingCrmPropertiesError(RuntimeError):
    """The CRM lacks target properties: nothing was written."""

    def __init__(self, missing: Sequence[str], base_url: str):
        self.missing = list(missing)
        super().__init__(
            f"The CRM at {base_url} has no contact propert{'y' if len(missing) == 1 else 'ies'} "
            f"{', '.join(missing)}: create {'it' if len(missing) == 1 else 'them'} in the CRM (Settings > "
            "Properties, or POST /crm/v3/properties/contacts), or point FUNNELHOUSE_SYNC_PROPERTY_<FIELD> at "
            "existing ones. Nothing was written."
        )


def _now() -> datetime:
    return datetime.now(UTC)


def run_sync(
    dry_run: bool = False,
    limit: int | None = None,
    override_circuit_breaker: bool = False,
    settings: Settings | None = None,
    *,
    config: SyncConfig | None = None,
) -> SyncReport:
    """Write the MQL promotions the CRM has not confirmed yet; see the package docstring."""
    settings = settings or get_settings()
    config = config or SyncConfig()
    report = SyncReport(
        run_id=f"{_now():%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}", dry_run=dry_run, started_at=_now()
    )
    credentials = crm_credentials(settings)
    client = CrmClient(credentials.base_url, credentials.token, config)
    with open_warehouse(settings) as wh:
        ensure_tables(wh)
        try:
            if limit is None:  # streamed: the first batches leave while later contacts are planned
                _run(wh, client, plan_chunks(wh, config), lambda: count_pending_promotions(wh, config),
                     config, report, settings, override_circuit_breaker)  # fmt: skip
            else:  # the oldest pending promotions of the whole mart first: plan everything, then send
                plan = make_plan(read_promotions(wh), load_states(wh), config, limit=limit)
                _run(wh, client, iter([plan]), lambda: plan.promotions_count, config, report, settings,
                     override_circuit_breaker)  # fmt: skip
        finally:
            report.crm_calls = client.stats.as_dict()
            report.finished_at = _now()
    log.info("%s", report.describe())
    return report


class _Approval:
    """How many more promotions the circuit breaker's verdict covers (None: no limit)."""

    def __init__(self, approved: int | None):
        self.remaining = approved

    def admit(self, rounds: list[list[PlannedWrite]], report: SyncReport) -> list[list[PlannedWrite]]:
        """The chunk's writes minus the contacts the verdict no longer covers (deferred to the next run).

        Only reached if the SQL count and the plan disagree: never send more than the breaker judged.
        """
        if self.remaining is None:
            return rounds
        per_contact: dict[str, int] = {}
        for write in (w for r in rounds for w in r):
            per_contact[write.crm_contact_id] = per_contact.get(write.crm_contact_id, 0) + write.sets_stage
        dropped = set()
        for contact_id, count in per_contact.items():
            if count > self.remaining:
                dropped.add(contact_id)
            else:
                self.remaining -= count
        if not dropped:
            return rounds
        report.deferred_contacts += len(dropped)
        report.notes.append(
            f"{len(dropped)} contact(s) deferred: their promotions exceed the count the circuit breaker judged"
        )
        return [[w for w in r if w.crm_contact_id not in dropped] for r in rounds]


def _run(
    wh: Warehouse,
    client: CrmClient,
    plans: Iterator[Plan],
    count: Callable[[], int],
    config: SyncConfig,
    report: SyncReport,
    settings: Settings,
    override: bool,
) -> None:
    """Plan chunk by chunk and send as soon as a batch is full; record finished batches in order.

    Exchanges with the CRM run in worker threads (the rate limiter is their only brake: every full batch
    is submitted at once); their results are recorded on this thread, in batch order, between two chunks
    and after the last one, because the warehouse connection is not shared. Batches answered while the
    previous commit ran share the next one, so a slow warehouse never builds a backlog.

    Before the first write: the target properties are checked and the circuit breaker judges `count()`.

    Round r+1 starts only once round r is committed, not merely answered: a contact's newer promotion
    must never reach the CRM while its older one could still be re-sent after a crash (the CRM would
    then get the older values back, and its history would show the promotion twice). Rounds are rare
    (a contact with several promotions pending), so the pause costs the commit of the last batches.
    """
    known = KnownStages({}, available=False)
    stages_read = False
    approval: _Approval | None = None
    pending: list[PlannedWrite] = []  # round-1 writes not yet in a full batch
    later: list[list[PlannedWrite]] = []  # rounds 2+, sent once round 1 is committed
    held_back: set[str] = set()  # contacts whose earlier promotion failed: later ones wait for the next run
    to_record: deque[Future[Exchange]] = deque()
    pool = None if report.dry_run else ThreadPoolExecutor(config.concurrency, thread_name_prefix="crm-batch")

    def submit(chunk: list[PlannedWrite]) -> None:
        if pool is None:  # dry run: nothing is sent, the inputs are built and logged as planned
            _record(wh, [prepare(chunk, known, config)], config, report)
        else:
            to_record.append(pool.submit(exchange, client, chunk, known, config))

    try:
        for plan in plans:
            report.unchanged += plan.unchanged
            report.deferred_contacts += plan.deferred_contacts
            _log_skips(wh, plan, report)
            if not plan.rounds:
                continue
            if approval is None:
                _check_properties(client, config)
                approval = _Approval(_circuit_breaker(wh, count, report, settings, override))
            rounds = approval.admit(plan.rounds, report)
            report.planned += sum(len(r) for r in rounds)
            promoted = {w.crm_contact_id for r in rounds for w in r if w.sets_stage}
            if promoted:  # a re-score writes no stage: nothing to look up
                in_sql = len(promoted) <= STAGE_IDS_PER_QUERY  # a chunk's contacts, or a --limit run's few
                known.absorb(read_known_stages(wh, config.lifecycle_property, promoted, filter_in_sql=in_sql))
                stages_read = True
            pending.extend(rounds[0])
            for depth, round_writes in enumerate(rounds[1:]):
                if len(later) <= depth:
                    later.append([])
                later[depth].extend(round_writes)
            while len(pending) >= config.batch_size:
                submit(pending[: config.batch_size])
                del pending[: config.batch_size]
            _record_finished(wh, to_record, config, report, held_back, wait=False)
        if pending:
            submit(pending)
        _record_finished(wh, to_record, config, report, held_back, wait=True)
        for round_writes in later:
            writes = [w for w in round_writes if w.crm_contact_id not in held_back]
            for chunk in _chunks(writes, config.batch_size):
                submit(chunk)
            _record_finished(wh, to_record, config, report, held_back, wait=True)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if stages_read:
        report.notes.append(known.describe())


def _record_finished(
    wh: Warehouse,
    to_record: deque[Future[Exchange]],
    config: SyncConfig,
    report: SyncReport,
    held_back: set[str],
    *,
    wait: bool,
) -> None:
    """Record the finished exchanges at the head of the queue, in batch order (`wait`: all of them)."""
    while to_record and (wait or to_record[0].done()):
        group = [to_record.popleft().result()]  # a failed exchange raises here, in its turn
        while (
            to_record
            and len(group) < COMMIT_GROUP_MAX
            and to_record[0].done()
            and to_record[0].exception() is None
        ):
            group.append(to_record.popleft().result())  # answered meanwhile: same commit
        _record(wh, group, config, report)
        for done in group:
            held_back |= done.unconfirmed_ids()


def _log_skips(wh: Warehouse, plan: Plan, report: SyncReport) -> None:
    now = _now()
    rows = []
    for skip in plan.skips:
        report.add_skip(skip.reason)
        p = skip.promotion
        rows.append(_log_row(report, p.person_id, p.crm_contact_id, p.mql_event_id, SKIP, "skipped", skip.reason,
                             None, 0, now, now))  # fmt: skip
    write_log(wh, rows)


def _check_properties(client: CrmClient, config: SyncConfig) -> None:
    """Fail before any write when a target property is missing on the CRM, listing every missing one."""
    known = client.contact_property_names()
    missing = [name for name in [*config.target_properties(), config.lifecycle_property] if name not in known]
    if missing:
        raise MissingCrmPropertiesError(missing, client.base_url)


def _circuit_breaker(
    wh: Warehouse, count: Callable[[], int], report: SyncReport, settings: Settings, override: bool
) -> int | None:
    """Ask `expectations.circuit_breaker.check_mql_volume` (when it exists) whether this volume may go out.

    Returns the promotion count the breaker let go (None when it was not consulted).
    """
    now = _now()
    if report.dry_run:
        # The breaker records every call in its run history; a dry run must not count as a run.
        report.notes.append("dry run: the circuit breaker was not consulted")
        return None
    if override:
        note = f"circuit breaker overridden by the operator ({count()} promotion(s))"
        report.notes.append(note)
        write_log(
            wh, [_log_row(report, None, None, None, "circuit_breaker", "overridden", note, None, 0, now, now)]
        )
        return None
    try:
        breaker = importlib.import_module("expectations.circuit_breaker")
    except ModuleNotFoundError as exc:
        if exc.name not in ("expectations", "expectations.circuit_breaker"):
            raise  # the breaker is there but broken: never bypass it silently
        breaker = None
    check_mql_volume = getattr(breaker, "check_mql_volume", None)
    if check_mql_volume is None:
        report.notes.append("no circuit breaker installed (expectations.circuit_breaker.check_mql_volume)")
        return None
    promotions_count = count()
    try:
        check_mql_volume(promotions_count, settings)
    except Exception as exc:
        message = f"{exc} (the circuit breaker stopped the sync before any write)"
        write_log(
            wh, [_log_row(report, None, None, None, "circuit_breaker", "halted", None, message, 0, now, now)]
        )
        report.halted = message
        raise
    return promotions_count


def _chunks(writes: list[PlannedWrite], size: int) -> Iterator[list[PlannedWrite]]:
    for start in range(0, len(writes), size):
        yield writes[start : start + size]


def _record(wh: Warehouse, group: list[Exchange], config: SyncConfig, report: SyncReport) -> None:
    """Turn finished exchanges into state and log rows, committed together (dry run: log rows only)."""
    rows: list[LogRow] = []
    confirmed: list[Confirmed] = []
    permanent: list[PermanentFailure] = []
    for done in group:
        report.batches += 1
        _rows_of(done, config, report, rows, confirmed, permanent)
    if report.dry_run:
        write_log(wh, rows)
        return
    _crash_hook(report, "before_commit")  # the CRM has these batches, the warehouse does not
    record_batch(wh, confirmed=confirmed, permanent=permanent, log_rows=rows)
    _crash_hook(report, "after_commit")


def _rows_of(
    done: Exchange,
    config: SyncConfig,
    report: SyncReport,
    rows: list[LogRow],
    confirmed: list[Confirmed],
    permanent: list[PermanentFailure],
) -> None:
    """One exchange's log rows, confirmed states and permanent failures, appended to the lists given."""
    report.stale_stages += done.stale
    for write, reason in done.kept_stage:
        rows.append(_skip_row(report, write, reason, KEEP_STAGE, done.started))
    if report.dry_run:
        for write in done.sent:
            rows.append(
                _row(
                    report, write, write.action, "planned", write.reason, None, 0, done.started, done.started
                )
            )
        return

    finished = done.finished or done.started
    report.sent += len(done.sent)
    for write in done.sent:
        p, contact_id = write.promotion, write.crm_contact_id
        if done.error is not None:
            _record_failure(
                report,
                write,
                f"batch not confirmed: {done.error}",
                config,
                permanent,
                rows,
                finished,
                attempts=done.error.attempts,
                category="BATCH_NOT_CONFIRMED",
            )
        elif done.outcome is not None and contact_id in done.outcome.confirmed:
            report.confirmed += 1
            confirmed.append(
                Confirmed(
                    contact_id,
                    p.person_id,
                    p.mql_event_id,
                    p.mql_at,
                    p.mql_sequence,
                    write.values,
                    write.payload_hash,
                    finished,
                )
            )
            rows.append(
                _row(
                    report,
                    write,
                    write.action,
                    "confirmed",
                    write.reason,
                    None,
                    done.outcome.attempts,
                    done.started,
                    finished,
                )
            )
        else:
            errors = done.outcome.errors if done.outcome else {}
            category, message = errors.get(contact_id) or (
                "UNCONFIRMED",
                "the CRM answered without confirming nor rejecting this input",
            )
            _record_failure(
                report,
                write,
                f"{category}: {message}",
                config,
                permanent,
                rows,
                finished,
                attempts=done.outcome.attempts if done.outcome else 0,
                category=category,
            )


def _crash_hook(report: SyncReport, point: str) -> None:
    """Test hook: exit hard after batch k at the chosen point, as a killed worker would."""
    after = int(os.environ.get(CRASH_AFTER_BATCHES_ENV) or 0)
    if after and report.batches >= after and os.environ.get(CRASH_POINT_ENV, "before_commit") == point:
        os._exit(CRASH_EXIT_CODE)


def _record_failure(
    report: SyncReport,
    write: PlannedWrite,
    error: str,
    config: SyncConfig,
    permanent: list[PermanentFailure],
    log_rows: list[LogRow],
    when: datetime,
    *,
    attempts: int,
    category: str,
) -> None:
    """A write the CRM did not confirm: permanent (marked, not retried) or transient (retried next run)."""
    p = write.promotion
    is_permanent = category in config.permanent_error_categories
    status = "permanent_failure" if is_permanent else "failed"
    if is_permanent:
        permanent.append(
            PermanentFailure(
                write.crm_contact_id, p.person_id, p.mql_event_id, write.payload_hash, error, when
            )
        )
        report.permanent_failures += 1
    else:
        report.failed += 1
    report.failures.append(FailureLine(write.crm_contact_id, p.person_id, p.mql_event_id, status, error))
    log_rows.append(_row(report, write, write.action, status, write.reason, error, attempts, when, when))


def _row(
    report: SyncReport,
    write: PlannedWrite,
    action: str,
    status: str,
    reason: str | None,
    error: str | None,
    attempts: int,
    started_at: datetime,
    finished_at: datetime,
) -> LogRow:
    p = write.promotion
    return _log_row(
        report,
        p.person_id,
        p.crm_contact_id,
        p.mql_event_id,
        action,
        status,
        reason,
        error,
        attempts,
        started_at,
        finished_at,
    )


def _skip_row(report: SyncReport, write: PlannedWrite, reason: str, action: str, when: datetime) -> LogRow:
    report.add_skip(reason)
    return _row(report, write, action, "skipped", reason, None, 0, when, when)


def _log_row(
    report: SyncReport,
    person_id: str | None,
    crm_contact_id: str | None,
    mql_event_id: str | None,
    action: str,
    status: str,
    reason: str | None,
    error: str | None,
    attempts: int,
    started_at: datetime,
    finished_at: datetime,
) -> LogRow:
    return LogRow(
        run_id=report.run_id,
        person_id=person_id,
        crm_contact_id=crm_contact_id,
        mql_event_id=mql_event_id,
        action=action,
        status=status,
        reason=reason,
        error=error,
        attempts=attempts,
        started_at=started_at,
        finished_at=finished_at,
        dry_run=report.dry_run,
    )

"""Reverse ETL: MQL promotions from `marts.fct_mql_events` written back to the CRM, exactly once.

Entry point: `run_sync(dry_run=False, limit=None, override_circuit_breaker=False, settings=None)`, called
by `funnelhouse sync [--dry-run] [--limit N] [--override-circuit-breaker]` and by the Airflow DAG. It
returns a `SyncReport` (`.ok`, `.describe()`, counts); callers should fail when `.ok` is False.

What is written: for each promotion the CRM has not confirmed yet, `lifecyclestage =
marketingqualifiedlead` plus the lead score, fit grade, MQL time, reasons and contract version in contact
properties named by `SyncConfig` (`FUNNELHOUSE_SYNC_PROPERTY_<FIELD>`). A contact already past MQL
(SQL, opportunity, customer, evangelist) gets the score fields only; the kept stage is logged. The stage
a contact is at comes from the last extraction (`raw_hubspot.contacts.lifecyclestage`), not from a CRM
read; a contact that moved on in the CRM since is kept there by the CRM's forward-only rule (see
`batch.py`), and that is logged too.

How hard it pushes (`SyncConfig`, `FUNNELHOUSE_SYNC_*`): batches of `BATCH_SIZE` (<= 100) inputs, one
request each, `CONCURRENCY` (8) batches in flight, at most `MAX_REQUESTS` per rolling `WINDOW_SECONDS`
(98 / 10 s; a request holds its slot until a window after its answer, so the CRM's own count of 100 is
never passed), retries with full-jitter exponential backoff on 429/5xx/timeouts/dropped connections
honouring `Retry-After` (`MAX_ATTEMPTS`, `BACKOFF_BASE_SECONDS`, `BACKOFF_MAX_SECONDS`). Finished batches
are committed in order while later ones are in flight, several to a commit when the warehouse lags.

Exactly once: `ops.sync_state` holds what the CRM confirmed; it advances only after the CRM answered,
committed together with the batch's `ops.sync_log` rows. Values written are absolute (a promotion always
yields the same strings), so re-sending a batch whose answer was lost changes nothing on the CRM.

Circuit-breaker hook: before the first write, `run_sync` calls
`expectations.circuit_breaker.check_mql_volume(promotions_count: int, settings: Settings)` when that
module and function exist (an ImportError means "no breaker installed": the sync proceeds). The function
returns to let the run go on and raises an exception with a readable message to halt it; the halt is
logged in `ops.sync_log` (action `circuit_breaker`, status `halted`) and the exception propagates.
`override_circuit_breaker=True` skips the call and logs the override (status `overridden`). A dry run
does not consult the breaker (the breaker records every call as a run in `ops.mql_volume`).

Test hook: `FUNNELHOUSE_SYNC_CRASH_AFTER_BATCHES=k` exits the process hard (`os._exit`) at the commit
holding batch k, before it (`FUNNELHOUSE_SYNC_CRASH_POINT=after_commit`: after), to prove that a killed
run loses nothing and applies nothing twice.
"""

from reverse_etl.config import SyncConfig
from reverse_etl.report import SyncReport
from reverse_etl.sync import MissingCrmPropertiesError, run_sync

__all__ = ["MissingCrmPropertiesError", "SyncConfig", "SyncReport", "run_sync"]

"""One batch's exchange with the CRM, run in a worker thread: read the stages it needs, then write.

Kept apart from the recording (`sync.py`) because it touches only the CRM: several exchanges can be in
flight at once while the main thread commits finished ones to the warehouse in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from reverse_etl.client import BatchOutcome, CrmAuthError, CrmClient, CrmError
from reverse_etl.config import MQL_STAGE, SyncConfig
from reverse_etl.plan import PlannedWrite


@dataclass
class Exchange:
    """What happened to one batch: sent inputs, kept stages, unreadable contacts, the CRM's answer."""

    started: datetime
    finished: datetime | None = None
    sent: list[PlannedWrite] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    kept_stage: list[tuple[PlannedWrite, str]] = field(default_factory=list)
    unreadable: list[tuple[PlannedWrite, tuple[str, str]]] = field(default_factory=list)
    outcome: BatchOutcome | None = None
    error: CrmError | None = None
    not_sent: list[PlannedWrite] = field(default_factory=list)  # the stage read failed: nothing was sent


def exchange(client: CrmClient, chunk: list[PlannedWrite], config: SyncConfig, dry_run: bool) -> Exchange:
    """Read the lifecycle stage of the contacts being promoted, build the inputs, send them (unless dry run).

    A contact already past MQL keeps its stage (stages only move forward) and gets the score fields only.
    Errors other than a refused token are kept on the result, so the batch is logged as failed and the
    run goes on with the next one.
    """
    done = Exchange(started=datetime.now(UTC))
    try:
        promoting = sorted({w.crm_contact_id for w in chunk if w.sets_stage})
        stages, unreadable = (
            client.read_property(promoting, config.lifecycle_property) if promoting else ({}, {})
        )
    except CrmAuthError:
        raise
    except CrmError as exc:
        done.error = exc
        done.not_sent = list(chunk)
        done.finished = datetime.now(UTC)
        return done
    for write in chunk:
        contact_id = write.crm_contact_id
        if contact_id in unreadable:
            done.unreadable.append((write, unreadable[contact_id]))
            continue
        properties = dict(write.values)
        if write.sets_stage:
            stage = stages.get(contact_id)
            if stage in config.later_stages:
                done.kept_stage.append((write, stage))
            else:
                properties[config.lifecycle_property] = MQL_STAGE
        done.inputs.append({"id": contact_id, "properties": properties})
        done.sent.append(write)
    if done.inputs and not dry_run:
        try:
            done.outcome = client.batch_update(done.inputs)
        except CrmAuthError:
            raise
        except CrmError as exc:
            done.error = exc
    done.finished = datetime.now(UTC)
    return done

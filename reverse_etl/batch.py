"""One batch: its inputs, built from the warehouse alone, and its exchange with the CRM in a worker thread.

Where a promotion starts from: the contact's lifecycle stage at the last extraction (`raw_hubspot.contacts`,
read once per run, see `source.read_known_stages`). A contact already past MQL there gets its score fields
only. No stage is read from the CRM, so one request carries 100 records.

The extraction can be stale: a contact may have moved past MQL in the CRM since. The CRM itself is the
safety net, because it never moves a stage backwards through the API. HubSpot documents the stage as "not
designed to move backwards" (clear it first) and answers such a write as a success that leaves the stage;
the sandbox CRM answers it, by default, as a per-input error in a 207. Both are handled here:
- an input refused for its stage is sent again at once without the stage (score fields only);
- a confirmed input whose answer shows a stage other than MQL kept its later stage.
Either way the contact keeps its stage, the score fields land once, and the kept stage is logged.

Kept apart from the recording (`sync.py`) because it touches only the CRM: several exchanges can be in
flight at once while the main thread commits finished ones to the warehouse in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from reverse_etl.client import BatchOutcome, CrmAuthError, CrmClient, CrmError
from reverse_etl.config import MQL_STAGE, SyncConfig
from reverse_etl.plan import PlannedWrite
from reverse_etl.source import KnownStages


@dataclass
class Exchange:
    """What happened to one batch: sent inputs, kept stages (with the reason), the CRM's answer."""

    started: datetime
    finished: datetime | None = None
    sent: list[PlannedWrite] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    kept_stage: list[tuple[PlannedWrite, str]] = field(default_factory=list)
    outcome: BatchOutcome | None = None
    error: CrmError | None = None
    stale: int = 0  # contacts the extraction showed before MQL but the CRM had past it

    def unconfirmed_ids(self) -> set[str]:
        """Contacts of this batch the CRM did not confirm (their later promotions wait for the next run)."""
        confirmed = self.outcome.confirmed if self.outcome is not None and self.error is None else {}
        return {w.crm_contact_id for w in self.sent if w.crm_contact_id not in confirmed}


def prepare(chunk: list[PlannedWrite], known: KnownStages, config: SyncConfig) -> Exchange:
    """The batch's inputs: score fields always, `lifecyclestage` unless the extraction shows it past MQL."""
    done = Exchange(started=datetime.now(UTC))
    for write in chunk:
        properties = dict(write.values)
        if write.sets_stage:
            seen = known.get(write.crm_contact_id)
            if seen is not None and seen.stage in config.later_stages:
                done.kept_stage.append(
                    (
                        write,
                        f"lifecyclestage left at {seen.stage!r} ({seen.describe()}): the contact is already "
                        "past MQL and stages only move forward; score fields sent",
                    )
                )
            else:
                properties[config.lifecycle_property] = MQL_STAGE
        done.inputs.append({"id": write.crm_contact_id, "properties": properties})
        done.sent.append(write)
    return done


def exchange(
    client: CrmClient, chunk: list[PlannedWrite], known: KnownStages, config: SyncConfig
) -> Exchange:
    """Send one batch (and, for inputs refused only for their stage, the score fields alone).

    Errors other than a refused token are kept on the result, so the batch is logged as failed and the
    run goes on with the next one.
    """
    done = prepare(chunk, known, config)
    if done.inputs:
        try:
            done.outcome = client.batch_update(done.inputs)
            _keep_later_stages(client, done, known, config)
        except CrmAuthError:
            raise
        except CrmError as exc:
            done.error = exc
    done.finished = datetime.now(UTC)
    return done


def _keep_later_stages(client: CrmClient, done: Exchange, known: KnownStages, config: SyncConfig) -> None:
    """The CRM's forward-only rule caught a stale stage: log it, and resend refused inputs without the stage."""
    outcome = done.outcome
    assert outcome is not None
    with_stage = {i["id"] for i in done.inputs if i["properties"].get(config.lifecycle_property) == MQL_STAGE}
    by_id = {w.crm_contact_id: w for w in done.sent}

    def extracted(contact_id: str) -> str:
        seen = known.get(contact_id)
        return seen.describe() if seen is not None else "no extracted stage"

    for contact_id, properties in outcome.confirmed.items():
        kept = properties.get(config.lifecycle_property)
        if contact_id in with_stage and kept and kept != MQL_STAGE:
            done.stale += 1
            done.kept_stage.append(
                (
                    by_id[contact_id],
                    f"lifecyclestage left at {kept!r}: the CRM kept its later stage (the sync saw "
                    f"{extracted(contact_id)}); score fields sent",
                )
            )
    refused = sorted(
        c for c in outcome.stage_conflicts & with_stage if c not in outcome.confirmed and c in by_id
    )
    if not refused:
        return
    messages = {c: (outcome.errors.get(c) or ("", "stage refused"))[1] for c in refused}
    try:
        again = client.batch_update([{"id": c, "properties": dict(by_id[c].values)} for c in refused])
    except CrmAuthError:
        raise
    except CrmError as exc:
        for contact_id in refused:
            outcome.errors[contact_id] = (
                "UNCONFIRMED",
                f"the CRM refused the stage ({messages[contact_id]}); sending the score fields alone failed: {exc}",
            )
        outcome.stage_conflicts -= set(refused)
        return
    outcome.attempts += again.attempts
    outcome.stage_conflicts -= set(refused)
    for contact_id in refused:
        if contact_id in again.confirmed:
            outcome.confirmed[contact_id] = again.confirmed[contact_id]
            outcome.errors.pop(contact_id, None)
            done.stale += 1
            done.kept_stage.append(
                (
                    by_id[contact_id],
                    f"lifecyclestage not moved: the CRM refused it ({messages[contact_id]}; the sync saw "
                    f"{extracted(contact_id)}); score fields sent alone",
                )
            )
        else:
            outcome.errors[contact_id] = again.errors.get(contact_id) or (
                "UNCONFIRMED",
                "the CRM answered without confirming nor rejecting this input",
            )

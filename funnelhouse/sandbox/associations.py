"""`POST /crm/v4/associations/{from}/{to}/batch/read`: the associations of many records in one call, so an
incremental extract can refresh the links of the records that changed."""

from __future__ import annotations

from typing import Any

from funnelhouse.sandbox import catalog
from funnelhouse.sandbox.batching import batch_answer, batch_inputs, input_id
from funnelhouse.sandbox.errors import batch_error
from funnelhouse.sandbox.storage import Store
from funnelhouse.sandbox.timefmt import now_ms


def batch_read(store: Store, from_type: str, to_type: str, body: Any) -> tuple[int, dict[str, Any]]:
    """One result per input id that has associations; ids without any are reported as errors (207)."""
    started = now_ms()
    inputs = batch_inputs(body)
    type_id = catalog.association_type_id(from_type, to_type)
    results, missing = [], []
    with store.reading() as conn:
        for item in inputs:
            key = input_id(item)
            targets = (
                conn.execute(
                    "select distinct to_id from associations"
                    " where from_type = ? and from_id = ? and to_type = ?"
                    " order by to_id",
                    (from_type, int(key), to_type),
                ).fetchall()
                if key.isdigit()
                else []
            )
            if not targets:
                missing.append(key)
                continue
            results.append(
                {
                    "from": {"id": key},
                    "to": [
                        {
                            "toObjectId": str(to_id),
                            "associationTypes": [
                                {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}
                            ],
                        }
                        for (to_id,) in targets
                    ],
                }
            )
    errors = [
        batch_error(
            "OBJECT_NOT_FOUND",
            f"No {catalog.SINGULAR[to_type]} is associated with {catalog.SINGULAR[from_type]} {key}.",
            {"fromObjectId": [key]},
            subCategory="crm.associations.NO_ASSOCIATIONS_FOUND",
        )
        for key in missing
    ]
    return batch_answer(results, errors, started, 200)

"""What every batch and paged endpoint shares: HubSpot's input limits, paging parameters, the per-input
error type and the 200/201/207 batch answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from funnelhouse.sandbox.errors import ApiError, bad_request, batch_error
from funnelhouse.sandbox.timefmt import iso_from_ms, now_ms

MAX_BATCH = 100


@dataclass
class InputError(Exception):
    """One input that failed; a single-object endpoint answers it, a batch lists it in `errors`."""

    status: int
    category: str
    message: str
    context: dict[str, list[str]] = field(default_factory=dict)
    details: list[dict[str, Any]] = field(default_factory=list)

    def to_api_error(self) -> ApiError:
        extra: dict[str, Any] = {"context": self.context} if self.context else {}
        if self.details:
            extra["errors"] = self.details
        return ApiError(self.status, self.category, self.message, **extra)

    def to_batch_error(self) -> dict[str, Any]:
        extra = {"errors": self.details} if self.details else {}
        return batch_error(self.category, self.message, self.context, **extra)


def parse_limit(raw: Any, default: int, maximum: int) -> int:
    """A `limit` parameter: default when absent, HubSpot's 400 when not an integer in 1..maximum."""
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise bad_request(f"limit must be an integer, got {raw!r}.") from None
    if value < 1 or value > maximum:
        raise bad_request(f"limit must be between 1 and {maximum}, got {value}.")
    return value


def parse_after(raw: Any) -> int:
    """An `after` cursor (a number on every endpoint the sandbox serves); 0 when absent."""
    if raw in (None, ""):
        return 0
    if not str(raw).isdigit():
        raise bad_request(
            f"after must be the paging cursor of a previous page (paging.next.after), got {raw!r}."
        )
    return int(raw)


def batch_inputs(body: Any) -> list[Any]:
    """`inputs` of a batch request, refused as HubSpot does when missing, not a list, or over 100."""
    if not isinstance(body, dict) or "inputs" not in body:
        raise bad_request("Invalid input JSON: the request body must be an object with an `inputs` list.")
    inputs = body["inputs"]
    if not isinstance(inputs, list):
        raise bad_request("Invalid input JSON: `inputs` must be a list.")
    if len(inputs) > MAX_BATCH:
        raise bad_request(
            f"Batch input must contain at most {MAX_BATCH} inputs, got {len(inputs)}; "
            "split it into several calls.",
            context={"limit": [str(MAX_BATCH)], "size": [str(len(inputs))]},
        )
    return inputs


def input_id(item: Any) -> str:
    """The `id` of one batch input as text ('' when the input is not an object or has none)."""
    if not isinstance(item, dict) or item.get("id") is None:
        return ""
    return str(item["id"])


def batch_answer(
    results: list[dict[str, Any]], errors: list[dict[str, Any]], started: int, ok_status: int
) -> tuple[int, dict[str, Any]]:
    """HubSpot's batch response: 207 with `errors`/`numErrors` when any input failed, else `ok_status`."""
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": iso_from_ms(started),
        "completedAt": iso_from_ms(now_ms()),
    }
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
        return 207, body
    return ok_status, body

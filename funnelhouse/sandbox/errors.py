"""HubSpot-shaped error answers.

Every failure the sandbox reports, from a bad query parameter to an injected outage, leaves as an
`ApiError` so the body always has HubSpot's keys (`status`, `message`, `correlationId`, `category`) and a
client written against HubSpot parses it the same way here.
"""

from __future__ import annotations

import uuid
from typing import Any


def correlation_id() -> str:
    """A fresh id, like the one HubSpot puts in every error so support can find the request."""
    return str(uuid.uuid4())


class ApiError(Exception):
    """An error answer: HTTP status, HubSpot category, message and any extra body fields."""

    def __init__(
        self,
        status: int,
        category: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.category = category
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": correlation_id(),
            "category": self.category,
        }
        body.update(self.extra)
        return body


def bad_request(message: str, **extra: Any) -> ApiError:
    """400 VALIDATION_ERROR: the request itself is wrong (shape, limits, unknown names)."""
    return ApiError(400, "VALIDATION_ERROR", message, **extra)


def not_found(message: str = "resource not found", **extra: Any) -> ApiError:
    return ApiError(404, "OBJECT_NOT_FOUND", message, **extra)


def invalid_properties(details: list[dict[str, Any]]) -> ApiError:
    """HubSpot's answer to a write naming unknown properties or carrying invalid values."""
    return bad_request(property_error_message(details), errors=details)


def property_error_message(details: list[dict[str, Any]]) -> str:
    listed = "; ".join(d["message"] for d in details)
    return f"Property values were not valid: {listed}"


def property_detail(name: str, code: str, message: str) -> dict[str, Any]:
    """One entry of `errors`: HubSpot's ErrorDetail (message, code, context naming the property)."""
    return {"message": message, "code": code, "context": {"propertyName": [name]}, "name": name}


def batch_error(category: str, message: str, context: dict[str, list[str]], **extra: Any) -> dict[str, Any]:
    """One entry of a 207 answer's `errors` list (HubSpot's StandardError: every key the client requires)."""
    error: dict[str, Any] = {
        "status": "error",
        "category": category,
        "message": message,
        "context": context,
        "errors": [],
        "links": {},
    }
    error.update(extra)
    return error

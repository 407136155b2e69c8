"""URL routing: which function answers which HubSpot path, and the admin endpoints under `/_sandbox/`.

Handlers receive a `Request` and return `(status, body)`; anything they raise is turned into a
HubSpot-shaped error by the HTTP layer, so routing stays free of error plumbing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from funnelhouse.sandbox import associations, catalog, owners
from funnelhouse.sandbox.batching import parse_limit
from funnelhouse.sandbox.errors import ApiError, bad_request
from funnelhouse.sandbox.faults import FaultInjector
from funnelhouse.sandbox.properties import PropertyCatalog
from funnelhouse.sandbox.ratelimit import RollingWindowLimiter
from funnelhouse.sandbox.reads import MAX_LIST_LIMIT, ObjectReader
from funnelhouse.sandbox.search import search
from funnelhouse.sandbox.stats import Stats
from funnelhouse.sandbox.storage import Store
from funnelhouse.sandbox.writes import ObjectWriter

ADMIN_PREFIX = "/_sandbox/"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    raw_body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The JSON body, or HubSpot's 400 for an empty or malformed one."""
        text = self.raw_body.decode("utf-8", errors="replace").strip()
        if not text:
            raise bad_request("Invalid input JSON: the request body is empty; send a JSON object.")
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise bad_request(
                f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None

    def first(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def names(self, name: str) -> list[str] | None:
        """A list parameter sent either repeated (`a=x&a=y`) or comma-separated (`a=x,y`)."""
        values = [part.strip() for raw in self.query.get(name, []) for part in raw.split(",")]
        values = [v for v in values if v]
        return values or None

    def flag(self, name: str) -> bool:
        return (self.first(name) or "").lower() == "true"


Answer = tuple[int, Any]
Handler = Callable[[Request], Answer]


@dataclass
class SandboxApp:
    """Everything a request needs: storage, property catalog, counters, rate limiter and faults."""

    store: Store
    properties: PropertyCatalog
    stats: Stats
    limiter: RollingWindowLimiter
    faults: FaultInjector
    token: str
    backward_stage: str = "reject"  # what a backward lifecyclestage write does: "reject" or "ignore"

    def __post_init__(self) -> None:
        self.reader = ObjectReader(self.store, self.properties)
        self.writer = ObjectWriter(self.store, self.properties, self.stats, self.backward_stage)
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        add = self._add
        add("GET", r"/_sandbox/health", lambda r: (200, {"status": "ok"}))
        add("GET", r"/_sandbox/stats", lambda r: (200, self.stats.snapshot()))
        add("DELETE", r"/_sandbox/stats", self._reset_stats)
        add("GET", r"/_sandbox/faults", lambda r: (200, self.faults.settings.__dict__))
        add("POST", r"/_sandbox/faults", self._set_faults)
        add("GET", r"/crm/v3/objects/(?P<type>[^/]+)", self._list)
        add("POST", r"/crm/v3/objects/(?P<type>[^/]+)", self._create)
        add("POST", r"/crm/v3/objects/(?P<type>[^/]+)/search", self._search)
        add(
            "POST",
            r"/crm/v3/objects/(?P<type>[^/]+)/batch/(?P<op>read|create|update|upsert|archive)",
            self._batch,
        )
        add("GET", r"/crm/v3/objects/(?P<type>[^/]+)/(?P<id>[^/]+)", self._get)
        add("PATCH", r"/crm/v3/objects/(?P<type>[^/]+)/(?P<id>[^/]+)", self._update)
        add("DELETE", r"/crm/v3/objects/(?P<type>[^/]+)/(?P<id>[^/]+)", self._archive)
        add("GET", r"/crm/v3/owners", self._owners)
        add("GET", r"/crm/v3/owners/(?P<id>[^/]+)", self._owner)
        add("GET", r"/crm/v3/properties/(?P<type>[^/]+)", self._properties)
        add("POST", r"/crm/v3/properties/(?P<type>[^/]+)", self._create_property)
        add("GET", r"/crm/v3/properties/(?P<type>[^/]+)/(?P<name>[^/]+)", self._property)
        add("POST", r"/crm/v4/associations/(?P<from>[^/]+)/(?P<to>[^/]+)/batch/read", self._associations)

    def _add(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern + "$"), handler))

    def route(self, request: Request) -> Handler:
        """The handler for a request; 404 for an unknown path, 405 for a known path and wrong method."""
        path = request.path.rstrip("/") or "/"
        methods = []
        for method, pattern, handler in self.routes:
            match = pattern.match(path)
            if match:
                if method == request.method:
                    request.params = {key: unquote(value) for key, value in match.groupdict().items()}
                    return handler
                methods.append(method)
        if methods:
            raise ApiError(
                405,
                "METHOD_NOT_ALLOWED",
                f"{request.method} is not supported on {path}; use {', '.join(methods)}.",
            )
        raise ApiError(404, "OBJECT_NOT_FOUND", f"No endpoint at {request.method} {path}.")

    # ---- admin -------------------------------------------------------------------------------------
    def _reset_stats(self, request: Request) -> Answer:
        self.stats.reset()
        return 200, self.stats.snapshot()

    def _set_faults(self, request: Request) -> Answer:
        body = request.json()
        if not isinstance(body, dict):
            raise bad_request('Send a JSON object such as {"fail_rate": 0.1}.')
        settings = self.faults.update(body)
        self.limiter.limit = settings.rate_limit
        return 200, settings.__dict__

    # ---- objects -----------------------------------------------------------------------------------
    def _type(self, request: Request, key: str = "type") -> str:
        return catalog.object_type(request.params[key])

    def _associations_param(self, request: Request) -> list[str]:
        return [catalog.object_type(name) for name in request.names("associations") or []]

    def _list(self, request: Request) -> Answer:
        object_type = self._type(request)
        return 200, self.reader.list_page(
            object_type,
            limit=parse_limit(request.first("limit"), 10, MAX_LIST_LIMIT),
            after=request.first("after"),
            requested=request.names("properties"),
            with_history=request.names("propertiesWithHistory"),
            association_types=self._associations_param(request),
            archived=request.flag("archived"),
        )

    def _get(self, request: Request) -> Answer:
        object_type = self._type(request)
        return 200, self.reader.get(
            object_type,
            request.params["id"],
            id_property=request.first("idProperty"),
            requested=request.names("properties"),
            with_history=request.names("propertiesWithHistory"),
            association_types=self._associations_param(request),
            archived=request.flag("archived"),
        )

    def _create(self, request: Request) -> Answer:
        object_type = self._type(request)
        return 201, self.writer.create(object_type, request.json())

    def _update(self, request: Request) -> Answer:
        object_type = self._type(request)
        return 200, self.writer.update(
            object_type, request.params["id"], request.json(), request.first("idProperty")
        )

    def _archive(self, request: Request) -> Answer:
        self.writer.archive(self._type(request), request.params["id"])
        return 204, None

    def _search(self, request: Request) -> Answer:
        return 200, search(self.store, self.properties, self._type(request), request.json())

    def _batch(self, request: Request) -> Answer:
        object_type, op, body = self._type(request), request.params["op"], request.json()
        if op == "read":
            return self.reader.batch_read(object_type, body, request.flag("archived"))
        if op == "create":
            return self.writer.batch_create(object_type, body)
        if op == "update":
            return self.writer.batch_update(object_type, body)
        if op == "upsert":
            return self.writer.batch_upsert(object_type, body)
        return self.writer.batch_archive(object_type, body)

    # ---- owners, properties, associations ----------------------------------------------------------
    def _owners(self, request: Request) -> Answer:
        return 200, owners.list_owners(
            self.store,
            limit=request.first("limit"),
            after=request.first("after"),
            email=request.first("email"),
            archived=request.flag("archived"),
        )

    def _owner(self, request: Request) -> Answer:
        return 200, owners.get_owner(
            self.store,
            request.params["id"],
            id_property=request.first("idProperty"),
            archived=request.flag("archived"),
        )

    def _properties(self, request: Request) -> Answer:
        return 200, {"results": self.properties.all(self._type(request))}

    def _property(self, request: Request) -> Answer:
        return 200, self.properties.require(self._type(request), request.params["name"])

    def _create_property(self, request: Request) -> Answer:
        return 201, self.properties.create(self._type(request), request.json())

    def _associations(self, request: Request) -> Answer:
        return associations.batch_read(
            self.store, self._type(request, "from"), self._type(request, "to"), request.json()
        )

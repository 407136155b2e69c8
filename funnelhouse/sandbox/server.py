"""The HTTP layer: a threading stdlib server that authenticates, rate-limits, injects faults and turns
every outcome, including an unexpected exception, into a HubSpot-shaped JSON answer.

The stdlib server is used (not an ASGI framework) because it gives direct control of the socket, which
dropping a connection without an answer needs.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from funnelhouse.sandbox.errors import ApiError
from funnelhouse.sandbox.faults import FaultInjector, FaultSettings
from funnelhouse.sandbox.loader import WorldFormatError, is_loaded, load_world
from funnelhouse.sandbox.properties import PropertyCatalog
from funnelhouse.sandbox.ratelimit import RollingWindowLimiter
from funnelhouse.sandbox.routes import ADMIN_PREFIX, Request, SandboxApp
from funnelhouse.sandbox.stats import Stats
from funnelhouse.sandbox.storage import Store

log = logging.getLogger("funnelhouse.sandbox")

RATE_LIMIT_MESSAGE = "You have reached your ten_secondly_rolling limit."


def _rate_limited(headers: dict[str, str]) -> ApiError:
    error = ApiError(429, "RATE_LIMITS", RATE_LIMIT_MESSAGE, headers=headers)
    error.extra = {"errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}
    return error


class SandboxHandler(BaseHTTPRequestHandler):
    """One request: admin endpoints go straight to routing; API requests pass latency, faults, auth and
    the rate limit first, in that order (a gateway fails before it authenticates)."""

    protocol_version = "HTTP/1.1"
    server_version = "FunnelhouseSandboxCRM/0.1"
    app: SandboxApp  # set on the subclass built by make_server

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes; without this, Nagle + delayed ACK add ~40 ms per answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self, method: str) -> None:
        app = self.app
        try:
            raw_body = self._read_body()
        except (ValueError, OSError):
            self._send(400, ApiError(400, "VALIDATION_ERROR", "Could not read the request body.").body(), {})
            self.close_connection = True
            return
        parts = urlsplit(self.path)
        request = Request(method, parts.path, parse_qs(parts.query, keep_blank_values=True), raw_body)
        if parts.path.startswith(ADMIN_PREFIX):
            self._is_admin = True
            self._answer(request, {})
            return
        self._is_admin = False
        app.stats.add("requests")
        settings = app.faults.settings
        if settings.latency_ms:
            time.sleep(settings.latency_ms / 1000)
        fault = app.faults.draw()
        if fault == "drop":
            app.stats.add("dropped")
            self._drop()
            return
        token = self._token()
        if isinstance(fault, ApiError):
            app.stats.add("injected_errors")
            self._send(fault.status, fault.body(), app.limiter.peek(token or "").headers())
            return
        if token != app.token:
            message = (
                "Authentication credentials not found. This API supports OAuth 2.0 authentication; "
                "send `Authorization: Bearer <private app token>`."
                if token is None
                else "The access token provided is not valid for this account: check the private app token."
            )
            error = ApiError(401, "INVALID_AUTHENTICATION", message)
            self._send(401, error.body(), app.limiter.peek("").headers())
            return
        decision = app.limiter.check(token)
        headers = decision.headers()
        if not decision.allowed:
            app.stats.add("rate_limited")
            error = _rate_limited(headers)
            self._send(error.status, error.body(), headers)
            return
        self._answer(request, headers)

    def _token(self) -> str | None:
        value = self.headers.get("Authorization") or ""
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def _answer(self, request: Request, headers: dict[str, str]) -> None:
        try:
            status, body = self.app.route(request)(request)
        except ApiError as error:
            status, body = error.status, error.body()
            headers = {**headers, **error.headers}
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            # A request shape no explicit check caught: still the client's fault, so a 400, never a 500.
            log.warning(
                "%s %s: unexpected request shape: %r", request.method, request.path, exc, exc_info=True
            )
            status, body = 400, ApiError(400, "VALIDATION_ERROR", f"Invalid input: {exc!r}").body()
        except Exception as exc:  # noqa: BLE001 - a server bug must still be an answer the client can parse
            log.exception("%s %s failed", request.method, request.path)
            status, body = (
                500,
                ApiError(500, "INTERNAL_ERROR", f"Internal error in the sandbox: {exc!r}").body(),
            )
        self._send(status, body, headers)

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        payload = b"" if status == 204 or body is None else json.dumps(body).encode("utf-8")
        if not getattr(self, "_is_admin", False):
            self.app.stats.answered(status)
        self.send_response(status)
        if payload:
            self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _drop(self) -> None:
        """Close the connection without a byte of answer, as a failing load balancer does."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def build_app(
    world: Path,
    token: str,
    *,
    settings: FaultSettings,
    db: Path | None = None,
    rate_window_ms: int = 10_000,
    backward_stage: str = "reject",
) -> SandboxApp:
    """Open (and on first start load) the database and assemble the application."""
    settings.validate()
    store = Store(db or world / "sandbox.sqlite")
    properties = PropertyCatalog(store)
    if not is_loaded(store):
        counts = load_world(store, properties, world)
        log.info("loaded world %s into %s: %s", world, store.path, counts)
    else:
        log.info("reusing sandbox database %s (world already loaded; API writes kept)", store.path)
    return SandboxApp(
        store=store,
        properties=properties,
        stats=Stats(),
        limiter=RollingWindowLimiter(settings.rate_limit, rate_window_ms),
        faults=FaultInjector(settings),
        token=token,
        backward_stage=backward_stage,
    )


def make_server(app: SandboxApp, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("BoundSandboxHandler", (SandboxHandler,), {"app": app})
    server_class = type("SandboxHTTPServer", (ThreadingHTTPServer,), {"request_queue_size": 128})
    server = server_class((host, port), handler)
    server.daemon_threads = True
    return server


def serve(
    world: Path,
    host: str,
    port: int,
    token: str,
    rate_limit: int = 100,
    fail_rate: float = 0.0,
    latency_ms: int = 0,
    drop_rate: float = 0.0,
    fault_seed: int = 0,
    db: Path | None = None,
    *,
    rate_window_ms: int = 10_000,
    ready_file: Path | None = None,
    backward_stage: str = "reject",
) -> None:
    """Serve the world's CRM until SIGINT/SIGTERM.

    `port=0` binds a free port; `ready_file`, when given, receives the bound port once the server
    answers (how `testing.running_sandbox` learns it). `rate_window_ms` shortens the ten-second window
    for tests only; HubSpot's is 10,000. `backward_stage` is what a write moving `lifecyclestage` backwards
    does: "reject" fails that input (default), "ignore" keeps the stage and writes the rest, as HubSpot.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = build_app(
            Path(world),
            token,
            settings=FaultSettings(rate_limit, fail_rate, latency_ms, drop_rate, fault_seed),
            db=Path(db) if db else None,
            rate_window_ms=rate_window_ms,
            backward_stage=backward_stage,
        )
    except (WorldFormatError, ApiError) as exc:
        raise SystemExit(f"sandbox CRM cannot start: {exc}") from None
    server = make_server(app, host, port)
    bound = server.server_address[1]

    def _stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
    if ready_file:
        partial = Path(f"{ready_file}.partial")
        partial.write_text(str(bound), encoding="utf-8")
        os.replace(partial, ready_file)
    log.info("sandbox CRM listening on http://%s:%d (database %s)", host, bound, app.store.path)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        log.info("sandbox CRM stopping")
    finally:
        server.server_close()
        app.store.close()

"""Run the sandbox CRM in tests: a real server in its own process, on a free port, stopped afterwards.

Example (a fixture in your own test module or conftest)::

    import pytest
    from funnelhouse.sandbox.testing import running_sandbox

    @pytest.fixture
    def crm(small_world, tmp_path):
        with running_sandbox(small_world, rate_limit=50, fail_rate=0.05, fault_seed=3) as sandbox:
            yield sandbox

    def test_ingest_survives_faults(crm, monkeypatch):
        monkeypatch.setenv("FUNNELHOUSE_CRM_URL", crm.url)
        monkeypatch.setenv("FUNNELHOUSE_CRM_TOKEN", crm.token)
        ...                                   # run your code against the sandbox
        assert crm.stats()["injected_errors"] > 0
        crm.set_faults(fail_rate=0.0)          # change faults while it runs

The official client: `crm.hubspot_client()` returns `hubspot.Client.create(access_token=..., host=crm.url)`.

Behaviour worth knowing:
- Each `running_sandbox` gets a **fresh database** in a temporary folder unless you pass `db=`, so tests
  never see each other's writes and a shared (read-only) world folder is never written to. Pass the same
  `db` to two `running_sandbox` calls to check that state survives a restart.
- `stats()` counters: requests, rate_limited (429s), injected_errors (5xx), dropped, writes (records
  created/updated/upserted/archived via the API, one per batch input), records_changed, and
  `responses` (answers by HTTP status). `reset_stats()` zeroes them.
- `set_faults(rate_limit=, fail_rate=, latency_ms=, drop_rate=, fault_seed=)` applies at once;
  a new fault_seed restarts the fault sequence.
- `rate_window_ms` (default HubSpot's 10,000) shortens the rolling window so a 429 test need not wait 10 s.
- `backward_stage="ignore"` answers a write that moves `lifecyclestage` backwards as HubSpot does (success,
  stage kept, the input's other values written); the default "reject" fails that input in the 207.
- The server log is `handle.log_path` while it runs; a start failure raises with the log's tail, and a
  server that dies on its own writes the tail to stderr. The temporary folder is removed on exit.
- Admin endpoints (`/_sandbox/health`, `/_sandbox/stats`, `/_sandbox/faults`) are never rate-limited
  or faulted, so `stats()` itself does not change the counters.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class SandboxHandle:
    """A running sandbox: where it listens, the token it accepts, and its admin controls."""

    url: str
    token: str
    db: Path
    log_path: Path
    process: subprocess.Popen

    def _admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/_sandbox/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise ValueError(f"sandbox refused {method} /_sandbox/{path}: {exc.read().decode()}") from None

    def stats(self) -> dict[str, Any]:
        """Counters since start (or the last `reset_stats`)."""
        return self._admin("GET", "stats")

    def reset_stats(self) -> dict[str, Any]:
        return self._admin("DELETE", "stats")

    def faults(self) -> dict[str, Any]:
        return self._admin("GET", "faults")

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change rate_limit, fail_rate, latency_ms, drop_rate or fault_seed at once; returns the settings."""
        return self._admin("POST", "faults", changes)

    def hubspot_client(self, **config: Any):
        """The official `hubspot.Client` pointed at this sandbox (extra config such as `retry=` passed on)."""
        import hubspot

        return hubspot.Client.create(access_token=self.token, host=self.url, **config)


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def running_sandbox(
    world: Path,
    *,
    token: str = "test-token",
    rate_limit: int = 100,
    fail_rate: float = 0.0,
    latency_ms: int = 0,
    drop_rate: float = 0.0,
    fault_seed: int = 0,
    db: Path | None = None,
    rate_window_ms: int = 10_000,
    start_timeout: float = 120.0,
    backward_stage: str = "reject",
) -> Iterator[SandboxHandle]:
    """Start `python -m funnelhouse.sandbox` on a free port, wait until it answers, yield a handle, stop it.

    Loading a large world takes a few seconds per 10k contacts; `start_timeout` bounds the wait.
    """
    workdir = Path(tempfile.mkdtemp(prefix="fh-sandbox-"))
    ready = workdir / "port"
    log_path = workdir / "sandbox.log"
    db = Path(db) if db else workdir / "sandbox.sqlite"
    command = [
        sys.executable, "-m", "funnelhouse.sandbox",
        "--world", str(world), "--host", "127.0.0.1", "--port", "0", "--token", token,
        "--rate-limit", str(rate_limit), "--rate-window-ms", str(rate_window_ms),
        "--fail-rate", str(fail_rate), "--latency-ms", str(latency_ms), "--drop-rate", str(drop_rate),
        "--fault-seed", str(fault_seed), "--db", str(db), "--ready-file", str(ready),
        "--backward-stage", backward_stage,
    ]  # fmt: skip
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), env.get("PYTHONPATH")]))
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        command, stdout=log_file, stderr=subprocess.STDOUT, env=env, cwd=str(_PROJECT_ROOT)
    )
    handle = None
    try:
        handle = _wait_until_ready(process, ready, log_path, token, db, start_timeout)
        yield handle
    finally:
        _stop(process)
        log_file.close()
        if handle is not None and process.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL):
            # The server died on its own: its output goes to stderr (pytest shows it) before cleanup.
            sys.stderr.write(f"sandbox CRM exited with code {process.returncode}:\n{_log_tail(log_path)}\n")
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_ready(
    process: subprocess.Popen, ready: Path, log_path: Path, token: str, db: Path, timeout: float
) -> SandboxHandle:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"The sandbox CRM exited with code {process.returncode} before answering. Its output:\n"
                + _log_tail(log_path)
            )
        if ready.exists():
            url = f"http://127.0.0.1:{ready.read_text().strip()}"
            try:
                with urllib.request.urlopen(f"{url}/_sandbox/health", timeout=5) as response:
                    if response.status == 200:
                        return SandboxHandle(url=url, token=token, db=db, log_path=log_path, process=process)
            except OSError:
                pass
        time.sleep(0.05)
    _stop(process)
    raise TimeoutError(
        f"The sandbox CRM did not answer within {timeout:.0f}s. Its output:\n" + _log_tail(log_path)
    )

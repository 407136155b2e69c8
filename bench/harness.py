"""Measure one step in its own process: wall time and peak RSS (of the step and its children).

A step is a command line that prints a JSON object of its own figures on its last stdout line.
Running each step in a fresh process makes its peak memory its own (`os.wait4` returns that child's
rusage), and keeps one step's caches from flattering the next.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepResult:
    name: str
    ok: bool
    wall_s: float
    peak_rss_mb: float
    figures: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "wall_s": round(self.wall_s, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "figures": self.figures,
            "error": self.error,
        }


def run_step(
    name: str,
    argv: list[str],
    env: dict[str, str] | None = None,
    timeout_s: float = 7200,
    cwd: str | os.PathLike[str] | None = None,
) -> StepResult:
    """Run `argv` in its own process group and return its measured result.

    The child is reaped with `os.wait4`, whose rusage is that child's own (and the descendants it waited
    for), so a step's peak RSS is measured even when the step never reports it (or crashes first).
    Output goes to temporary files rather than pipes, so a chatty step cannot block on a full pipe.
    """
    timed_out = threading.Event()
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=err,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,  # a timeout kills the step's whole group (servers it started too)
        )

        def _kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout_s, _kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    measured_peak = usage.ru_maxrss / 1024.0  # Linux reports KiB
    figures = _last_line_figures(stdout)
    reported_peak = float(figures.pop("peak_rss_mb", 0.0) or 0.0)
    peak = max(measured_peak, reported_peak)
    if timed_out.is_set():
        return StepResult(name, False, wall, peak, figures, error=f"timed out after {timeout_s}s")
    if proc.returncode != 0:
        tail = (stderr.strip() or stdout.strip()).splitlines()[-15:]
        error = "\n".join(tail) or f"exited with code {proc.returncode} and no output"
        return StepResult(name, False, wall, peak, figures, error=error)
    return StepResult(name, True, wall, peak, figures)


def _last_line_figures(stdout: str) -> dict[str, Any]:
    """The step's figures: a JSON object on its last non-empty stdout line.

    A Python dict literal (a step that used `print(dict)`) is accepted too, so its figures are not lost.
    """
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    if not lines:
        return {}
    try:
        value = json.loads(lines[-1])
    except json.JSONDecodeError:
        try:
            value = ast.literal_eval(lines[-1].strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return {}
    return value if isinstance(value, dict) else {}


def peak_rss_mb() -> float:
    """Peak RSS of this process and the children it waited for, in MiB (Linux reports KiB)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


def report(figures: dict[str, Any]) -> None:
    """Print a step's figures as the JSON line the harness reads (adds the step's peak RSS)."""
    figures = {**figures, "peak_rss_mb": round(peak_rss_mb(), 1)}
    print(json.dumps(figures, default=str), flush=True)


def python_step(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]

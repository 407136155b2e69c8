"""Measure one step in its own process: wall time and peak RSS (of the step and its children).

A step is a command line that prints a JSON object of its own figures on its last stdout line.
Running each step in a fresh process makes its peak memory its own (`os.wait4` returns that child's
rusage), and keeps one step's caches from flattering the next.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def run_step(name: str, argv: list[str], env: dict[str, str] | None = None, timeout_s: float = 7200) -> StepResult:
    """Run `argv` (a Python module step by default) and return its measured result."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        return StepResult(name, False, time.perf_counter() - started, 0.0, error=f"timed out after {timeout_s}s")
    wall = time.perf_counter() - started
    # communicate() already reaped the child; its rusage is folded into RUSAGE_CHILDREN. To get this
    # child's own peak, steps also report it themselves (see `report`), which we prefer when present.
    figures: dict[str, Any] = {}
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    if lines:
        try:
            figures = json.loads(lines[-1])
        except json.JSONDecodeError:
            figures = {}
    peak = float(figures.pop("peak_rss_mb", 0.0) or 0.0)
    if proc.returncode != 0:
        tail = (stderr or stdout).strip().splitlines()[-15:]
        return StepResult(name, False, wall, peak, figures, error="\n".join(tail))
    return StepResult(name, True, wall, peak, figures)


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

"""Append a run's figures to bench/results/ and regenerate bench/RESULTS.md (latest beside previous)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
RESULTS_MD = BENCH_DIR / "RESULTS.md"


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        mem_kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem_gib = round(mem_kib / 1024 / 1024, 1)
    except (OSError, IndexError, ValueError):
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "cpu_model": cpu,
        "python": platform.python_version(),
    }


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=BENCH_DIR, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def save_run(
    scale: str,
    steps: list[dict[str, Any]],
    ratios: dict[str, Any],
    partial: bool = False,
    path: Path | None = None,
) -> Path:
    """Write the run's record (a new file, or `path` again: a long run is saved after each step, so a run
    stopped part-way keeps the steps it finished) and regenerate RESULTS.md."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    record = {
        "recorded_at": now.isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "scale": scale,
        "machine": machine(),
        "partial": partial,
        "steps": steps,
        "ratios": ratios,
    }
    path = path or RESULTS_DIR / f"{now.strftime('%Y%m%dT%H%M%SZ')}-{scale}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    write_results_md()
    return path


def _load_runs() -> list[dict[str, Any]]:
    runs = []
    for path in sorted(RESULTS_DIR.glob("*.json")):
        try:
            runs.append(json.loads(path.read_text()))
        except json.JSONDecodeError:
            continue
    return runs


def flatten(figures: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested step figures as dotted keys (`duckdb.full_build_s`), so a table cell stays readable."""
    flat: dict[str, Any] = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def _latest_two(runs: list[dict[str, Any]], has) -> tuple[dict | None, dict | None]:
    """The latest and the previous run (in recording order) for which `has(run)` holds."""
    matching = [run for run in runs if has(run)]
    return (matching[-1] if matching else None, matching[-2] if len(matching) > 1 else None)


def _step(run: dict[str, Any] | None, name: str) -> dict[str, Any]:
    return next((s for s in (run or {}).get("steps", []) if s["name"] == name), {})


def _ratio_value(run: dict[str, Any] | None, name: str) -> Any:
    info = (run or {}).get("ratios", {}).get(name)
    return info.get("value") if isinstance(info, dict) else None


MEMORY_BUDGET_MIB = 4096.0  # every step's peak RSS must stay under 4 GiB
# Whole-scale ratios: run.py records them for the steps of one run; a scale measured step by step (M, L)
# needs them over every step's latest record, so the table recomputes them from those records.
ACROSS_STEPS = ("max_peak_rss_over_4gib", "steps_completed")


def whole_scale_ratios(steps: list[dict[str, Any]]) -> dict[str, tuple[float | None, str]]:
    """(value, note) of `max_peak_rss_over_4gib` (the heaviest step's peak over 4 GiB; absent when no step
    measured one) and `steps_completed` (the share of steps that succeeded) over `steps` (StepResult dicts)."""
    ratios: dict[str, tuple[float | None, str]] = {}
    measured = [step for step in steps if step["peak_rss_mb"] > 0]
    if measured:
        worst = max(measured, key=lambda step: step["peak_rss_mb"])
        ratios["max_peak_rss_over_4gib"] = (
            round(worst["peak_rss_mb"] / MEMORY_BUDGET_MIB, 3),
            f"step {worst['name']}",
        )
    ok = sum(1 for step in steps if step["ok"])
    ratios["steps_completed"] = (
        round(ok / len(steps), 3) if steps else None,
        f"{ok} of {len(steps)} steps ok",
    )
    return ratios


def _across_latest_steps(runs: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """`max_peak_rss_over_4gib` or `steps_completed` over the latest record of each step in `runs`."""
    latest: dict[str, dict[str, Any]] = {}
    for run in runs:
        for step in run.get("steps", []):
            latest[step["name"]] = step
    value, note = whole_scale_ratios(list(latest.values())).get(name, (None, ""))
    if value is None:
        return None
    met = value <= 1.0 if name == "max_peak_rss_over_4gib" else value >= 1.0
    return {"value": value, "met": met, "note": note}


def _run_label(run: dict[str, Any]) -> str:
    return f"{run['recorded_at'][:16].replace('T', ' ')} `{run['git_commit']}`"


def write_results_md() -> None:
    """One section per scale. A run may cover only some steps (`--only ... --record`, how M and L are
    measured step by step): each step and each ratio shows its latest measurement beside the previous one,
    with the run it comes from."""
    runs = _load_runs()
    by_scale: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_scale.setdefault(run["scale"], []).append(run)
    lines = [
        "# Benchmark results",
        "",
        "Generated by `make bench SCALE=S|M|L` (`bench/run.py`); one JSON record per run in `bench/results/`.",
        "Each step and ratio shows its latest measurement beside the previous one, and the run (time, commit) it",
        "comes from: large scales are measured step by step. Ratios compare figures measured in the same run,",
        "so they hold on a noisy shared machine where absolute times do not.",
        "",
    ]
    for scale in sorted(by_scale):
        scale_runs = by_scale[scale]
        m = scale_runs[-1]["machine"]
        step_names = list(dict.fromkeys(s["name"] for run in scale_runs for s in run.get("steps", [])))
        lines += [
            f"## Scale {scale}",
            "",
            f"{len(scale_runs)} run(s); the latest on {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu_model']}.",
            "",
            "| step | run | ok | wall s | peak RSS MiB | figures | previous wall s | previous peak MiB |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name in step_names:
            latest, previous = _latest_two(scale_runs, lambda run, n=name: bool(_step(run, n)))
            step, prev = _step(latest, name), _step(previous, name)
            figures = ", ".join(
                f"{k}={_fmt(v)}"
                for k, v in flatten(step.get("figures", {})).items()
                if not isinstance(v, list)
            )
            if step.get("error"):
                last = (step["error"].strip().splitlines() or [""])[-1][:160].replace("|", "/")
                figures = (figures + "; " if figures else "") + "error: " + last
            lines.append(
                f"| {name} | {_run_label(latest)} | {'yes' if step['ok'] else 'NO'} | {_fmt(step['wall_s'])} | "
                f"{_fmt(step['peak_rss_mb'])} | {figures} | {_fmt(prev.get('wall_s'))} | {_fmt(prev.get('peak_rss_mb'))} |"
            )
        ratio_names = list(dict.fromkeys(r for run in scale_runs for r in run.get("ratios", {})))
        if ratio_names:
            lines += [
                "",
                "| ratio | run | latest | previous | target | met | note |",
                "|---|---|---|---|---|---|---|",
            ]
            for name in ratio_names:
                if name in ACROSS_STEPS:
                    info = _across_latest_steps(scale_runs, name)
                    before = _across_latest_steps(scale_runs[:-1], name)
                    if info is not None:
                        target = next(
                            run["ratios"][name]["target"]
                            for run in scale_runs
                            if name in run.get("ratios", {})
                        )
                        lines.append(
                            f"| {name} | each step's latest | {_fmt(info['value'])} | "
                            f"{_fmt(before and before['value'])} | {target} | {_fmt(info['met'])} | "
                            f"{info['note']} |"
                        )
                        continue
                latest, previous = _latest_two(
                    scale_runs, lambda run, n=name: _ratio_value(run, n) is not None
                )
                if latest is None:  # never measured at this scale
                    latest = next(run for run in reversed(scale_runs) if name in run.get("ratios", {}))
                info = latest["ratios"][name]
                lines.append(
                    f"| {name} | {_run_label(latest)} | {_fmt(info.get('value'))} | "
                    f"{_fmt(_ratio_value(previous, name))} | {info.get('target', '')} | "
                    f"{_fmt(info.get('met'))} | {info.get('note', '')} |"
                )
        lines.append("")
    RESULTS_MD.write_text("\n".join(lines))

"""The benchmark driver: every step at one scale, in order, measured and recorded.

    python -m bench.run --scale XS|S|M|L        (`make bench SCALE=S`)

Each step runs in its own process through `bench.harness.run_step` (wall time, peak RSS, the figures it
prints), sharing the workdir `bench/work/<scale>/` so later steps reuse the generated world and the
warehouse the dbt step leaves. A failing step is recorded with its error and the others still run. The
ratios the project's targets are stated in are computed from figures of the same run, then
`bench.record.save_run` appends the JSON record and regenerates `bench/RESULTS.md`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import StepResult, python_step, run_step
from bench.record import MEMORY_BUDGET_MIB, flatten, save_run, whole_scale_ratios

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
WORK_ROOT = BENCH_DIR / "work"
STEP_NAMES = (
    "generate",
    "ingest",
    "dbt",
    "quality",
    "reverse_etl",
    "dag_parse",
    "bi_queries",
    "latency",
    "demo",
)
# The event-to-CRM latency runs Airflow on a world of at most this many contacts: the 15-minute DAG's
# run time, not the world's size, is the figure (bench/bench_latency.py).
LATENCY_MAX_CONTACTS = 1500


@dataclass(frozen=True)
class Scale:
    """How big each step's input is at one scale."""

    contacts: int
    days: int
    web_events: int  # synthetic Segment events ingested, beside DuckDB's read_json of the same files
    web_files: int  # daily partitions they are spread over
    quality_events: int  # web events of history the GX increment is validated against
    retl_contacts: int  # MQL promotions pushed to the sandbox CRM
    quality_whole: bool  # also validate whole tables (read into pandas on DuckDB: too big past S)
    step_timeout_s: float


SCALES: dict[str, Scale] = {
    "XS": Scale(300, 30, 50_000, 4, 50_000, 300, True, 1800),
    "S": Scale(10_000, 90, 1_000_000, 10, 1_000_000, 10_000, True, 3600),
    "M": Scale(100_000, 90, 10_000_000, 40, 10_000_000, 100_000, False, 7200),
    # L: the reverse-ETL rate is set by the CRM's limit, not the volume: 100k promotions measure it.
    "L": Scale(1_000_000, 45, 50_000_000, 45, 50_000_000, 100_000, False, 6 * 3600),
}


@dataclass(frozen=True)
class Target:
    """A project target for one ratio: `value <op> bound`, or None when the figure is only reported."""

    text: str
    check: Callable[[float], bool] | None = None


def at_most(bound: float, text: str) -> Target:
    return Target(text, lambda value: value <= bound)


def at_least(bound: float, text: str) -> Target:
    return Target(text, lambda value: value >= bound)


REPORT_ONLY = Target("report")
# The dbt step's small world (bench_dbt --floor-contacts): what a build costs with next to no data.
FLOOR_CONTACTS = 300


def figure(steps: dict[str, StepResult], step: str, key: str) -> Any:
    """A step's figure by dotted key (`duckdb.full_build_s`), or None if the step or the key is missing."""
    result = steps.get(step)
    if result is None:
        return None
    return flatten(result.figures).get(key)


def _ratio(value: Any, target: Target, note: str = "") -> dict[str, Any]:
    number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    met = target.check(number) if (target.check and number is not None) else None
    return {"value": number, "target": target.text, "met": met, "note": note}


def compute_ratios(steps: dict[str, StepResult], scale: str) -> dict[str, dict[str, Any]]:
    """The comparisons the issue names, each with its target (targets are stated for scale M)."""
    at = "" if scale == "M" else f"target stated for M; this run is {scale}"
    ratios: dict[str, dict[str, Any]] = {}

    ratios["ingestion_over_read_json"] = _ratio(
        figure(steps, "ingest", "web_ratio_to_read_json"),
        at_least(0.25, "≥ 0.25"),
        "web-event ingestion rows/s / DuckDB read_json rows/s of the same files",
    )
    ratios["crm_extraction_share_of_rate_limit"] = _ratio(
        figure(steps, "ingest", "crm_rate_limit_share_used"),
        at_least(0.25, "≥ 0.25"),
        "CRM extraction requests/s / the sandbox's 100 requests per 10 s",
    )
    ratios["crm_extraction_429s"] = _ratio(figure(steps, "ingest", "crm_429s"), REPORT_ONLY)

    ratios["dbt_full_build_duckdb_s"] = _ratio(
        figure(steps, "dbt", "duckdb.full_build_s"), at_most(60, "≤ 60 s at M"), at
    )
    ratios["dbt_incremental_over_full_duckdb"] = _ratio(
        figure(steps, "dbt", "duckdb.incremental_over_full"), at_most(0.10, "≤ 0.10"), at
    )
    ratios["dbt_incremental_floor_over_full_duckdb"] = _ratio(
        figure(steps, "dbt", "duckdb_floor_incremental_over_full"),
        REPORT_ONLY,
        f"a {FLOOR_CONTACTS}-contact world's incremental build / the full build: the incremental ratio no tuning of the "
        "models' SQL goes under (dbt's start, then every model and data test one after another)",
    )
    ratios["dbt_repeat_over_incremental_duckdb"] = _ratio(
        figure(steps, "dbt", "duckdb.repeat_over_incremental"),
        REPORT_ONLY,
        "the incremental build run again with nothing new loaded / the one-day incremental build",
    )
    ratios["dbt_incremental_over_full_postgres"] = _ratio(
        figure(steps, "dbt", "postgres.incremental_over_full"), REPORT_ONLY
    )
    ratios["dbt_postgres_over_duckdb_full"] = _ratio(
        figure(steps, "dbt", "postgres_over_duckdb_full"),
        at_least(5, "≥ 5 (DuckDB 5× faster)"),
        "PostgreSQL full build time / DuckDB full build time; PG server memory is not in the step's RSS",
    )
    ratios["dbt_postgres_over_duckdb_incremental"] = _ratio(
        figure(steps, "dbt", "postgres_over_duckdb_incremental"), at_least(5, "≥ 5 (DuckDB 5× faster)")
    )

    increment_s = figure(steps, "quality", "increment.seconds")
    nightly_rest = figure(steps, "dbt", "duckdb.incremental_build_s")
    share = None
    if isinstance(increment_s, int | float) and isinstance(nightly_rest, int | float):
        share = round(increment_s / (increment_s + nightly_rest), 3)
    ratios["gx_increment_share_of_nightly"] = _ratio(
        share,
        REPORT_ONLY,
        "GX raw-gate increment / (that + DuckDB one-day incremental dbt build): an upper bound of its share",
    )
    ratios["gx_whole_over_increment"] = _ratio(figure(steps, "quality", "whole_over_increment"), REPORT_ONLY)

    ratios["reverse_etl_utilisation_rescore"] = _ratio(
        figure(steps, "reverse_etl", "rescore.share_of_ceiling"),
        at_least(0.90, "≥ 0.90"),
        "updates only, share of 100 req/10 s × 100 records",
    )
    ratios["reverse_etl_utilisation_promote"] = _ratio(
        figure(steps, "reverse_etl", "promote.share_of_ceiling"),
        REPORT_ONLY,
        "first promotions read stages first: 2 requests per 100 records, so about 0.5 at most in a long run",
    )
    four_29s = [figure(steps, "reverse_etl", f"{run}.rate_limited_429") for run in ("promote", "rescore")]
    ratios["reverse_etl_429s"] = _ratio(
        sum(four_29s) if all(isinstance(n, int) for n in four_29s) else None, at_most(0, "0")
    )

    ratios["mql_worst_latency_min"] = _ratio(
        figure(steps, "latency", "worst_latency_min"),
        at_most(30, "≤ 30 (the SLA target)"),
        "qualifying event landing → CRM shows MQL, with the longest wait for the 15-minute slot",
    )

    scale_wide = whole_scale_ratios([step.as_dict() for step in steps.values()])
    if "max_peak_rss_over_4gib" in scale_wide:
        worst, note = scale_wide["max_peak_rss_over_4gib"]
        ratios["max_peak_rss_over_4gib"] = _ratio(worst, at_most(1.0, "≤ 1.0"), note)
    for step in steps.values():
        ratios[f"peak_rss_over_4gib.{step.name}"] = _ratio(
            round(step.peak_rss_mb / MEMORY_BUDGET_MIB, 3) if step.peak_rss_mb > 0 else None,
            at_most(1.0, "≤ 1.0"),
        )
    completed, note = scale_wide["steps_completed"]
    ratios["steps_completed"] = _ratio(completed, at_least(1.0, "1.0 (every step)"), note)
    return ratios


def _missing_step(name: str, why: str) -> StepResult:
    return StepResult(name, False, 0.0, 0.0, error=why)


def ingest_argv(scale: Scale) -> list[str] | None:
    """bench_ingest's command line, or None while the script does not exist."""
    if not (BENCH_DIR / "bench_ingest.py").exists():
        return None
    return python_step(
        "bench.bench_ingest",
        "--events",
        str(scale.web_events),
        "--files",
        str(scale.web_files),
        "--contacts",
        str(scale.contacts),
    )


def last_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""


def run_scale(
    scale_name: str,
    only: set[str] | None = None,
    dbt_engines: str = "duckdb,postgres",
    reuse_dbt_raw: bool = False,
    after_step: Callable[[dict[str, StepResult]], None] | None = None,
) -> tuple[dict[str, StepResult], dict[str, dict[str, Any]]]:
    """Run every step (or `only` those named) at one scale; returns the results and the ratios.

    `after_step(steps so far)` is called after each step (the driver saves the run there)."""
    scale = SCALES[scale_name]
    work = WORK_ROOT / scale_name
    work.mkdir(parents=True, exist_ok=True)
    steps: dict[str, StepResult] = {}

    def run(name: str, argv: list[str] | None, missing: str = "") -> None:
        if only and name not in only:
            return
        print(f"[bench {scale_name}] {name} ...", flush=True)
        if argv is None:
            result = _missing_step(name, missing)
        else:
            result = run_step(name, argv, timeout_s=scale.step_timeout_s, cwd=PROJECT_ROOT)
        steps[name] = result
        if after_step is not None:
            after_step(steps)
        state = "ok" if result.ok else "FAILED: " + last_line(result.error)[:200]
        print(
            f"[bench {scale_name}] {name}: {result.wall_s:.1f} s, {result.peak_rss_mb:.0f} MiB, {state}",
            flush=True,
        )

    size = ["--contacts", str(scale.contacts), "--days", str(scale.days)]
    if not only or "generate" in only:
        shutil.rmtree(work / "world", ignore_errors=True)  # a fresh world: the generator's time is the figure
    run("generate", python_step("bench.bench_generate", *size, "--out", str(work / "world")))
    run(
        "ingest",
        ingest_argv(scale),
        missing="bench/bench_ingest.py does not exist yet (issue 3, ingestion): not measured",
    )
    dbt = [
        "--workdir",
        str(work),
        "--engines",
        dbt_engines,
        "--floor-contacts",
        str(FLOOR_CONTACTS),
        *(["--reuse-raw"] if reuse_dbt_raw else []),
    ]
    run("dbt", python_step("bench.bench_dbt", *size, *dbt))
    quality = [
        "--events",
        str(scale.quality_events),
        "--days",
        str(scale.days),
        "--contacts",
        str(scale.contacts),
    ]
    if not scale.quality_whole:
        quality.append("--skip-whole")
    nightly = figure(steps, "dbt", "duckdb.incremental_build_s")
    if isinstance(nightly, int | float) and nightly > 0:
        quality += ["--nightly-seconds", str(nightly)]
    run("quality", python_step("bench.bench_quality", *quality))
    run("reverse_etl", python_step("bench.bench_reverse_etl", "--contacts", str(scale.retl_contacts)))
    run("dag_parse", python_step("bench.bench_pipeline", "dag-parse"))
    # The dbt step builds every mart; a mart it could not build is reported missing, not built here.
    bi = ["bi", "--home", str(work / "home_duckdb"), "--no-build-missing"]
    run("bi_queries", python_step("bench.bench_pipeline", *bi))
    run(
        "latency",
        python_step(
            "bench.bench_latency",
            "--contacts",
            str(min(scale.contacts, LATENCY_MAX_CONTACTS)),
            "--days",
            "90",
            "--workdir",
            str(work / "latency"),
        ),
    )
    run(
        "demo",
        python_step(
            "bench.bench_pipeline",
            "demo",
            "--home",
            str(work / "demo_home"),
            "--timeout",
            str(scale.step_timeout_s - 60),  # the demo gives up first, so its log is kept
        ),
    )
    return steps, compute_ratios(steps, scale_name)


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(steps: dict[str, StepResult], ratios: dict[str, dict[str, Any]]) -> str:
    """A plain-text summary for the terminal (RESULTS.md has the full figures)."""
    lines = [f"{'step':<12} {'ok':<4} {'wall s':>9} {'peak MiB':>9}  figures / error", "-" * 100]
    for step in steps.values():
        if step.ok:
            detail = ", ".join(
                f"{k}={v}" for k, v in flatten(step.figures).items() if not isinstance(v, list | dict)
            )
        else:
            detail = "ERROR: " + last_line(step.error)
        lines.append(
            f"{step.name:<12} {'yes' if step.ok else 'NO':<4} {step.wall_s:>9.1f} {step.peak_rss_mb:>9.0f}  "
            + _cell(detail, 120)
        )
    lines += ["", f"{'ratio':<40} {'value':>10}  {'target':<24} met", "-" * 100]
    for name, info in ratios.items():
        value = "–" if info["value"] is None else f"{info['value']:.3g}"
        met = {True: "yes", False: "NO", None: "–"}[info["met"]]
        lines.append(f"{name:<40} {value:>10}  {info['target']:<24} {met}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", choices=sorted(SCALES), default="S", help="input size (see bench/README.md)"
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated steps to run, e.g. dag_parse,bi_queries (not recorded unless --record)",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="record a partial (--only) run too: how M and L are measured step by step; RESULTS.md shows"
        " each step's latest measurement with the run it comes from",
    )
    parser.add_argument(
        "--dbt-engines",
        default="duckdb,postgres",
        help="engines of the dbt step (both by default: their ratio is a figure)",
    )
    parser.add_argument(
        "--reuse-dbt-raw",
        action="store_true",
        help="the dbt step reuses the raw layer an earlier run loaded into bench/work/<scale>/raw.duckdb"
        " (at L: the world's 38 GB of JSON can then be deleted first)",
    )
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()} or None
    if only and not only <= set(STEP_NAMES):
        parser.error(f"unknown step(s) {sorted(only - set(STEP_NAMES))}; steps are {', '.join(STEP_NAMES)}")
    record = not only or args.record
    saved: dict[str, Path] = {}

    def save(steps: dict[str, StepResult], finished: bool) -> Path:
        # One record per run, written again after every step: a long run (L takes hours) that is
        # stopped part-way keeps the steps it finished, marked partial.
        saved["path"] = save_run(
            args.scale,
            [s.as_dict() for s in steps.values()],
            compute_ratios(steps, args.scale),
            partial=bool(only) or not finished,
            path=saved.get("path"),
        )
        return saved["path"]

    steps, ratios = run_scale(
        args.scale,
        only,
        args.dbt_engines,
        args.reuse_dbt_raw,
        after_step=(lambda so_far: save(so_far, False)) if record else None,
    )
    print()
    print(render_table(steps, ratios))
    if not record:
        print("\npartial run (--only): not recorded (add --record to record it)")
    else:
        path = save(steps, True)
        print(f"\nrecorded {path}; table in bench/RESULTS.md")
    failed = [name for name, step in steps.items() if not step.ok]
    if failed:
        print(f"failed steps: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

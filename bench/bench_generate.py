"""Benchmark the demo world generator: wall time, peak RSS and rows per second for a given size.

    python -m bench.bench_generate --contacts 10000 --days 90 [--out DIR] [--seed 42]

Prints a short human line, then (last line) a JSON object of the figures, as `bench.harness` expects.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from funnelhouse.generator import generate_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", default="2026-11-20", help="last day of the world (fixed, so runs compare)")
    parser.add_argument("--out", type=Path, default=None, help="keep the world here (default: a temp dir)")
    args = parser.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="fh-bench-world-"))
    try:
        started = time.perf_counter()
        summary = generate_world(out, args.contacts, args.days, args.seed, date.fromisoformat(args.end))
        wall = time.perf_counter() - started
        size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    crm_rows = sum(
        summary.counts[k] for k in ("contacts", "companies", "deals", "calls", "emails", "tasks", "meetings")
    )
    rows = crm_rows + summary.events
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "contacts": args.contacts,
        "days": args.days,
        "events": summary.events,
        "crm_rows": crm_rows,
        "rows_per_s": round(rows / wall),
        "wall_s": round(wall, 2),
        "output_mb": round(size_mb, 1),
        "peak_rss_mb": round(peak_mb, 1),
    }
    print(
        f"generated {args.contacts} contacts / {args.days} days: {rows} rows ({summary.events} events) in {wall:.1f} s,"
        f" {rows / wall:,.0f} rows/s, peak RSS {peak_mb:.0f} MiB, {size_mb:.0f} MB on disk"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

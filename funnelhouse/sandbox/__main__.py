"""`python -m funnelhouse.sandbox`: start the sandbox without the CLI's imports (used by the test helper)."""

from __future__ import annotations

import argparse
from pathlib import Path

from funnelhouse.sandbox.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m funnelhouse.sandbox", description=__doc__)
    parser.add_argument("--world", type=Path, required=True, help="World folder whose crm/ is loaded")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="TCP port (0: any free port)")
    parser.add_argument("--token", default="sandbox-token")
    parser.add_argument("--rate-limit", type=int, default=100)
    parser.add_argument("--rate-window-ms", type=int, default=10_000)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--drop-rate", type=float, default=0.0)
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument(
        "--backward-stage",
        choices=("reject", "ignore"),
        default="reject",
        help="A write moving lifecyclestage backwards: fail that input, or keep the stage as HubSpot does",
    )
    parser.add_argument(
        "--ready-file", type=Path, default=None, help="Written with the bound port when serving"
    )
    args = parser.parse_args(argv)
    serve(
        world=args.world,
        host=args.host,
        port=args.port,
        token=args.token,
        rate_limit=args.rate_limit,
        fail_rate=args.fail_rate,
        latency_ms=args.latency_ms,
        drop_rate=args.drop_rate,
        fault_seed=args.fault_seed,
        db=args.db,
        rate_window_ms=args.rate_window_ms,
        ready_file=args.ready_file,
        backward_stage=args.backward_stage,
    )


if __name__ == "__main__":
    main()

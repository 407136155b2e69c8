"""The `funnelhouse` command. Each command is a thin shell over one module's public entry point."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

import funnelhouse  # noqa: F401  (switches telemetry off before any tool is imported)

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Funnelhouse: the lead-scoring warehouse.")
sandbox_app = typer.Typer(no_args_is_help=True, help="The sandbox CRM (HubSpot CRM v3 compatible).")
app.add_typer(sandbox_app, name="sandbox")


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the world into")],
    contacts: Annotated[int, typer.Option(min=1, help="Number of CRM contacts")] = 1000,
    days: Annotated[int, typer.Option(min=1, help="Days of history")] = 90,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same bytes)")] = 42,
    end: Annotated[str | None, typer.Option(help="Last day of the world, YYYY-MM-DD (default: today)")] = None,
) -> None:
    """Write a deterministic demo world (CRM objects, web and e-mail events)."""
    from funnelhouse.generator import generate_world

    summary = generate_world(
        out=out, contacts=contacts, days=days, seed=seed, end=date.fromisoformat(end) if end else None
    )
    typer.echo(summary.describe())


@sandbox_app.command("serve")
def sandbox_serve(
    world: Annotated[Path, typer.Option(help="World folder whose crm/ is loaded")],
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1")] = 8765,
    token: Annotated[str, typer.Option(help="Bearer token the sandbox accepts")] = "sandbox-token",
    rate_limit: Annotated[int, typer.Option(help="Requests per rolling ten seconds")] = 100,
    fail_rate: Annotated[float, typer.Option(help="Share of requests answered with a 5xx")] = 0.0,
    latency_ms: Annotated[int, typer.Option(help="Latency added to every request")] = 0,
    drop_rate: Annotated[float, typer.Option(help="Share of connections dropped without an answer")] = 0.0,
    fault_seed: Annotated[int, typer.Option(help="Seed of the fault injection")] = 0,
    db: Annotated[Path | None, typer.Option(help="SQLite storage file (default: <world>/sandbox.sqlite)")] = None,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
) -> None:
    """Serve the world's CRM over HTTP until interrupted."""
    from funnelhouse.sandbox import serve

    serve(
        world=world, host=host, port=port, token=token, rate_limit=rate_limit, fail_rate=fail_rate,
        latency_ms=latency_ms, drop_rate=drop_rate, fault_seed=fault_seed, db=db,
    )


def main() -> None:  # pragma: no cover - console entry point
    app()

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
    end: Annotated[
        str | None, typer.Option(help="Last day of the world, YYYY-MM-DD (default: today)")
    ] = None,
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
    db: Annotated[
        Path | None, typer.Option(help="SQLite storage file (default: <world>/sandbox.sqlite)")
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
) -> None:
    """Serve the world's CRM over HTTP until interrupted."""
    from funnelhouse.sandbox import serve

    serve(
        world=world,
        host=host,
        port=port,
        token=token,
        rate_limit=rate_limit,
        fail_rate=fail_rate,
        latency_ms=latency_ms,
        drop_rate=drop_rate,
        fault_seed=fault_seed,
        db=db,
    )


@app.command()
def ingest(
    source: Annotated[str, typer.Option(help="crm, web, email or all")] = "all",
) -> None:
    """Extract and load the raw layer incrementally (CRM API, web events, e-mail events)."""
    from ingestion import run_ingest

    sources = ["crm", "web", "email"] if source == "all" else [source]
    report = run_ingest(sources)
    typer.echo(report.describe())
    if not report.ok:
        raise typer.Exit(1)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def build(ctx: typer.Context) -> None:
    """Validate the qualification contract, compile it to seeds and run `dbt build` with the given selection args."""
    from funnelhouse.contract import ContractError
    from funnelhouse.dbt_runner import run_dbt

    try:
        code = run_dbt(["build", *ctx.args])
    except ContractError as exc:  # names the file, the path inside it and the problem
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


@app.command()
def check(
    suite: Annotated[str, typer.Argument(help="raw or marts")],
    since: Annotated[str | None, typer.Option(help="Start of the increment to validate (ISO-8601)")] = None,
    until: Annotated[str | None, typer.Option(help="End of the increment to validate (ISO-8601)")] = None,
) -> None:
    """Run a Great Expectations gate; exit code 1 with a readable report on failure."""
    from expectations import run_check

    report = run_check(suite, since=since, until=until)
    typer.echo(report.describe())
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def sync(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan and record, write nothing to the CRM")
    ] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many contacts")] = None,
    override_circuit_breaker: Annotated[
        bool,
        typer.Option("--override-circuit-breaker", help="Send even if the MQL volume tripped the breaker"),
    ] = False,
) -> None:
    """Write MQL promotions back to the CRM (exactly once, rate-limited, logged)."""
    from reverse_etl import run_sync

    try:
        report = run_sync(dry_run=dry_run, limit=limit, override_circuit_breaker=override_circuit_breaker)
    except RuntimeError as exc:  # missing CRM properties, a tripped circuit breaker, no mart, a refused token
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(report.describe())
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def parse() -> None:
    """Validate the contract and write dbt's manifest (what Cosmos renders the DAGs from)."""
    from funnelhouse.dbt_runner import parse_manifest

    typer.echo(f"manifest: {parse_manifest()}")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":
    main()

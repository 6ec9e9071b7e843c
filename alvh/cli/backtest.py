"""`alvh backtest` and `alvh sweep` (interface.md): the §7 backtest and parameter sweeps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from alvh.cli.app import app
from alvh.cli.options import current_settings, parse_date
from alvh.core.errors import UsageError


def _optional_date(text: str | None, flag: str):
    return parse_date(text, flag) if text is not None else None


@app.command("backtest")
def backtest_command(
    preset: Annotated[
        str, typer.Option("--preset", help="Condor rules: cndr | retail45.", case_sensitive=False)
    ] = "cndr",
    variants: Annotated[
        str | None,
        typer.Option(
            "--variants",
            help="Comma-separated: unhedged,vxth,l1,l1l2,alvh (default all five).",
            show_default=False,
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start", help="First day, YYYY-MM-DD (default 1990-01-02).", show_default=False
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--end",
            help="Last day, YYYY-MM-DD (default the latest day with SPX and VIX closes).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Directory for equity.csv, events.csv and the rest "
            "(default $ALVH_HOME/reports/backtest/PRESET-START-END).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (interface.md shape).")
    ] = False,
) -> None:
    """The method §7 backtest: condor preset × hedge variants over the bundled history; results
    to the warehouse, equity.csv and events.csv, metrics, events and the claim check."""
    from alvh.backtest.runner import format_summary, run_and_store

    run = run_and_store(
        current_settings(),
        preset,
        variants,
        _optional_date(start, "--start"),
        _optional_date(end, "--end"),
        out,
    )
    if as_json:
        typer.echo(json.dumps(run.summary, indent=2))
    else:
        typer.echo(format_summary(run))


@app.command("sweep")
def sweep_command(
    grid: Annotated[Path, typer.Option("--grid", help="Grid file (TOML), see docs/backtest.md.")],
    runner: Annotated[str, typer.Option("--runner", help="local | dask")] = "local",
    workers: Annotated[int, typer.Option("--workers", min=1, help="Parallel tasks.")] = 2,
    dask_address: Annotated[
        str | None, typer.Option("--dask-address", help="A running Dask scheduler (tcp://…).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write sweep.csv here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
) -> None:
    """Parameter sweep over backtests, batched into Prefect tasks (local threads or Dask)."""
    import time

    from alvh.backtest.sweep import load_grid, tabulate
    from alvh.core.errors import EnvironmentProblem

    if runner not in ("local", "dask"):
        raise UsageError(f"--runner must be local or dask, not {runner!r}")
    load_grid(grid)  # refuse a bad grid before Prefect starts
    settings = current_settings()
    if not settings.warehouse_path.exists():
        raise EnvironmentProblem(f"no warehouse at {settings.warehouse_path}: run 'alvh init'")
    # The Prefect layer is imported only here: the alvh library itself never needs Prefect.
    from flows.sweep import run_sweep

    started = time.perf_counter()
    rows = run_sweep(grid, settings.warehouse_path, runner, workers, dask_address)
    table = tabulate(rows)
    elapsed = time.perf_counter() - started
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        from alvh.core.csvsafe import write_csv

        write_csv(table, out / "sweep.csv")
    if as_json:
        typer.echo(table.to_json(orient="records", indent=2))
        return
    typer.echo(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    configs = table["run_id"].nunique()
    typer.echo(
        f"{configs} configurations in {elapsed:.1f} s ({runner}, {workers} workers)"
        + (f"; table in {out / 'sweep.csv'}" if out else "")
    )

"""What `alvh backtest` runs (interface.md): plain functions the Typer app registers.

    app.command("backtest")(backtest_command)

`run_and_store` is the whole command without the printing: read the warehouse, run, store the
results (one run per configuration), write the files. The command turns "no date given" into the
whole bundled history: 1990-01-02 to the latest session with SPX and VIX closes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from alvh.errors import UsageError

__all__ = ["BacktestRun", "backtest_command", "format_summary", "run_and_store"]


@dataclass(frozen=True)
class BacktestRun:
    result: object  # alvh.backtest.engine.BacktestResult
    summary: dict
    files: dict[str, Path]
    stored: object  # alvh.backtest.store.StoreReport


def _date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{flag} {text!r} is not a date in the form YYYY-MM-DD") from exc


def run_and_store(
    settings,
    preset: str = "cndr",
    variants: str | None = None,
    start: date | None = None,
    end: date | None = None,
    out: Path | None = None,
) -> BacktestRun:
    """Run the §7 backtest from the warehouse of `settings`, store it and write its files."""
    from alvh.backtest.engine import BacktestConfig, run_backtest
    from alvh.backtest.hedges import parse_variants
    from alvh.backtest.inputs import FIRST_VIX_DAY, load_inputs
    from alvh.backtest.output import summary_json, write_outputs
    from alvh.backtest.store import store_result
    from alvh.costs import CostModel
    from alvh.layers import LayerConfig
    from alvh.signals import SignalConfig
    from alvh.warehouse import open_warehouse

    try:
        costs = CostModel(**settings.costs)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"bad [costs] setting: {exc}") from exc
    config = BacktestConfig(
        preset=preset.lower(),
        variants=tuple(parse_variants(variants)),
        costs=costs,
        layers=LayerConfig.from_mapping(settings.layers),
    )
    con = open_warehouse(settings.warehouse_path)
    try:
        inputs = load_inputs(
            con, start or FIRST_VIX_DAY, end, SignalConfig.from_mapping(settings.signals)
        )
        result = run_backtest(inputs, config)
        stored = store_result(con, result)
    finally:
        con.close()
    out = out or settings.reports_dir / "backtest" / f"{config.preset}-{result.start}-{result.end}"
    files = write_outputs(result, out)
    from alvh.backtest.report import write_backtest_report

    files["html"], files["pdf"], _pages = write_backtest_report(result, out, inputs=inputs)
    return BacktestRun(result, summary_json(result), files, stored)


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:6.2f}%"


def _num(x) -> str:
    return "n/a" if x is None else f"{x:6.2f}"


def format_summary(run: BacktestRun) -> str:
    """The human-readable summary the command prints."""
    s = run.summary
    lines = [
        f"backtest {s['preset']} {s['start']} → {s['end']} (run {s['run_id']}, "
        f"{s['condor_trades']} condor trades, initial equity ${s['initial_equity']:,.0f})",
        f"{'variant':<9} {'CAGR':>8} {'vol':>8} {'Sharpe':>7} {'Sortino':>7} {'max DD':>8} "
        f"{'DD from':>10} {'DD to':>10} {'Calmar':>7} {'worst mo':>9} {'hedge/yr':>8}",
    ]
    for name, m in s["variants"].items():
        lines.append(
            f"{name:<9} {_pct(m['cagr']):>8} {_pct(m['vol']):>8} {_num(m['sharpe']):>7} "
            f"{_num(m['sortino']):>7} {_pct(m['max_drawdown']):>8} "
            f"{m['max_drawdown_start']:>10} {m['max_drawdown_end']:>10} {_num(m['calmar']):>7} "
            f"{_pct(m['worst_month_return']):>9} {_pct(m['hedge_cost_per_year']):>8}"
        )
    c = s["claim_check"]
    lines.append(
        f"claim check ({c['variant']}): drawdown reduction median {_pct(c['median'])}, range "
        f"{_pct(c['min'])} to {_pct(c['max'])} over {c['n_events']} events; claimed 35-55% "
        f"→ {c['verdict'].upper()}; drawdown saved per 1% of annual hedge cost: "
        f"{_num(c['drawdown_saved_per_1pct_cost'])} points"
    )
    loss = c.get("on_loss_from_event_start")
    if loss:
        lines.append(
            f"  measured on the loss from each event's start instead: median {_pct(loss['median'])}"
            f" over {loss['n_events']} events → {loss['verdict'].upper()}"
        )
    vx = s["notes"].get("vx_forward")
    if vx:
        by = vx["purchase_days_by_source"]
        lines.append(
            f"VX forwards: observed settlements from {vx['first_observed']} "
            f"({by['observed']:,} purchase days, {by['observed_carried']:,} carried between "
            f"observations), mean-reversion model before ({by['model']:,} days)"
        )
    stored = run.stored
    lines.append(
        f"warehouse: run {stored.run_id} {'replaced' if stored.replaced else 'stored'} "
        f"({', '.join(f'{k} {v}' for k, v in stored.rows.items())})"
    )
    lines.append(f"files: {run.files['equity'].parent}")
    lines.append("  " + ", ".join(path.name for path in run.files.values()))
    return "\n".join(lines)


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
    from alvh.settings import load_settings

    run = run_and_store(
        load_settings(), preset, variants, _date(start, "--start"), _date(end, "--end"), out
    )
    if as_json:
        typer.echo(json.dumps(run.summary, indent=2))
    else:
        typer.echo(format_summary(run))


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
    from alvh.errors import EnvironmentProblem
    from alvh.settings import load_settings

    if runner not in ("local", "dask"):
        raise UsageError(f"--runner must be local or dask, not {runner!r}")
    load_grid(grid)  # refuse a bad grid before Prefect starts
    settings = load_settings()
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
        table.to_csv(out / "sweep.csv", index=False)
    if as_json:
        typer.echo(table.to_json(orient="records", indent=2))
        return
    typer.echo(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    configs = table["run_id"].nunique()
    typer.echo(
        f"{configs} configurations in {elapsed:.1f} s ({runner}, {workers} workers)"
        + (f"; table in {out / 'sweep.csv'}" if out else "")
    )

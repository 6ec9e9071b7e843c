"""One backtest run as `alvh backtest` makes it (interface.md), without the command line.

`run_and_store` reads the warehouse, runs, stores the results (one run per configuration) and
writes the files; `format_summary` is what the command prints. No date given means the whole
bundled history: 1990-01-02 to the latest session with SPX and VIX closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from alvh.core.errors import UsageError

__all__ = ["BacktestRun", "format_summary", "run_and_store"]


@dataclass(frozen=True)
class BacktestRun:
    result: object  # alvh.backtest.engine.BacktestResult
    summary: dict
    files: dict[str, Path]
    stored: object  # alvh.backtest.store.StoreReport


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
    from alvh.book.costs import CostModel
    from alvh.book.valuation import ModelParams
    from alvh.hedge.layers import LayerConfig
    from alvh.hedge.signals import SignalConfig
    from alvh.store.warehouse import open_warehouse

    try:
        costs = CostModel(**settings.costs)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"bad [costs] setting: {exc}") from exc
    config = BacktestConfig(
        preset=preset.lower(),
        variants=tuple(parse_variants(variants)),
        costs=costs,
        params=ModelParams.from_mapping(settings.model),
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
    interval = c.get("median_interval_90")
    if interval:
        lines.append(
            f"  bootstrap 90% interval of the median: {_pct(interval[0])} to {_pct(interval[1])}"
        )
    for spike in c.get("largest_spikes", []):
        for name, v in spike["variants"].items():
            if v["worse_than_l1"]:
                lines.append(
                    f"  {spike['event']}: {name} cut {_pct(v['reduction'])} against L1's "
                    f"{_pct(spike['l1_reduction'])}: {v['why']}"
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

"""The backtest report (issue 7): one HTML file and its PDF, from a `BacktestResult`.

    html_path, pdf_path, pages = write_backtest_report(result, out_dir, con)

`backtest_context` turns the result into formatted strings (every number with its unit) and
inline SVG charts; `templates/backtest.html.j2` lays them out through the daily report's single
Jinja environment and WeasyPrint renderer (`alvh.report.render`). The numbers are the ones
`summary_json` hands to the JSON output, so the report and backtest.json never disagree.

The VX model-vs-market table needs the futures settlements and VIX closes the backtest read:
from `inputs` (a `BacktestInputs`) when given, else from the warehouse `con`; without either the
section says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from alvh import __version__
from alvh.backtest.charts import COST_PARTS, equity_curves, hedge_cost_bars, underwater_chart
from alvh.backtest.engine import CLAIM_VARIANT, REFERENCE, BacktestResult
from alvh.backtest.output import summary_json
from alvh.report.formatting import iso, money, number, percent

__all__ = ["TEMPLATE", "backtest_context", "vx_error_table", "write_backtest_report"]

log = logging.getLogger(__name__)

TEMPLATE = "backtest.html.j2"
PP = "pp"  # percentage points of equity

VERDICT_TEXT = {
    "below": "BELOW the claim: the measured median reduction is under 35 %",
    "within": "WITHIN the claim: the measured median reduction lies in 35–55 %",
    "above": "ABOVE the claim: the measured median reduction exceeds 55 %",
    "n/a": "NOT TESTABLE: no event qualified for the claim check",
}


# ---------------------------------------------------------------------------------------------
# VX model vs market
# ---------------------------------------------------------------------------------------------


def _vx_inputs(result: BacktestResult, con, inputs) -> tuple[pd.DataFrame, pd.Series] | None:
    """(futures long frame with date/expiry/settle, VIX close by date) the backtest read."""
    if inputs is not None:
        fut = inputs.futures
        vix = pd.Series(inputs.path.vix, index=inputs.path.days)
    elif con is not None:
        from alvh.data import known as history

        fut = history.vix_futures(con, result.end, result.start)
        panel = history.daily_panel(con, ["VIX"], result.end, start=result.start)
        vix = panel.values["VIX"]
    else:
        return None
    fut = fut.rename(columns={"trade_date": "date"})[["date", "expiry", "settle"]]
    return fut, vix.dropna()


def vx_error_table(
    result: BacktestResult, con=None, inputs=None
) -> tuple[pd.DataFrame | None, str]:
    """Model − observed VX1/VX2 overall and in each named event window, and a note on how."""
    data = _vx_inputs(result, con, inputs)
    if data is None:
        return None, "not computed: no warehouse connection or backtest inputs were given"
    from alvh.model.market import vx_model_errors

    fut, vix = data
    if fut.empty:
        return None, "no VX settlements in the backtest period (they start in 2007)"
    vx = result.config.params.vx
    named = result.events[result.events["kind"] != "auto"]
    windows = {
        ev.event: (pd.Timestamp(ev.start), pd.Timestamp(ev.end))
        for ev in named.itertuples()
        if pd.Timestamp(ev.end) >= pd.Timestamp(fut["date"].min())
    }
    table = vx_model_errors(fut, vix, vx.theta, vx.kappa, windows)
    table = table[table["n"] > 0].reset_index(drop=True)
    note = (
        f"mean-reversion curve θ + (VIX − θ)e^(−κτ) with the run's θ = {vx.theta:.3f} VIX points,"
        f" κ = {vx.kappa:.4f} /year, against VX settlements "
        f"{iso(fut['date'].min())} to {iso(fut['date'].max())}; the contract expiring on the day is"
        " left out; windows are the named events of the events table"
    )
    return table, note


# ---------------------------------------------------------------------------------------------
# context
# ---------------------------------------------------------------------------------------------


def _pp(x: Any, digits: int = 2) -> str:
    """A fraction of equity as percentage points: 0.0123 → '1.23 pp'."""
    text = number(None if x is None else 100 * float(x), digits)
    return text if text == "n/a" else f"{text} {PP}"


def _points(x: Any) -> str:
    """Drawdown points saved per point of annual hedge cost (already a ratio of pp)."""
    text = number(x, 2)
    return text if text == "n/a" else f"{text} {PP}"


def _css(x: Any, shown: float = 0.0) -> str:
    """'bad' for a value that prints negative (`shown`: the smallest magnitude it prints)."""
    return "" if x is None else ("bad" if x < -shown else "")


def _claim(claim: Mapping[str, Any]) -> dict[str, Any]:
    verdict = str(claim.get("verdict") or "n/a")
    lo, hi = claim.get("claimed", (0.35, 0.55))
    loss = claim.get("on_loss_from_event_start") or None
    by_variant = [
        {
            "variant": name,
            "median": percent(c.get("median")),
            "range": f"{percent(c.get('min'))} to {percent(c.get('max'))}",
            "verdict": str(c.get("verdict") or "n/a").upper(),
            "saved_per_cost": _points(c.get("drawdown_saved_per_1pct_cost")),
            "interval": _interval(c.get("median_interval_90")),
        }
        for name, c in (claim.get("by_variant") or {}).items()
    ]
    spikes = [
        {
            "event": s["event"],
            "unhedged": percent(s["unhedged_drawdown"]),
            "l1": percent(s["l1_reduction"]),
            "variant": name,
            "reduction": percent(v["reduction"]),
            "worse": v["worse_than_l1"],
            "why": v["why"] or "—",
        }
        for s in claim.get("largest_spikes") or []
        for name, v in s["variants"].items()
    ]
    return {
        "claimed": f"{percent(lo, 0)} to {percent(hi, 0)}",
        "variant": claim.get("variant", CLAIM_VARIANT),
        "median": percent(claim.get("median")),
        "min": percent(claim.get("min")),
        "max": percent(claim.get("max")),
        "n_events": claim.get("n_events", 0),
        "verdict": verdict.upper(),
        "verdict_css": "good" if verdict == "within" else "bad",
        "verdict_text": VERDICT_TEXT.get(verdict, verdict),
        "median_saved": _pp(claim.get("median_drawdown_saved")),
        "hedge_cost": percent(claim.get("hedge_cost_per_year"), 2) + " of equity per year",
        "saved_per_cost": _points(claim.get("drawdown_saved_per_1pct_cost")),
        "rule": claim.get("rule", ""),
        "loss": None
        if not loss
        else {
            "median": percent(loss.get("median")),
            "range": f"{percent(loss.get('min'))} to {percent(loss.get('max'))}",
            "n_events": loss.get("n_events", 0),
            "verdict": str(loss.get("verdict") or "n/a").upper(),
        },
        "by_variant": by_variant,
        "interval": _interval(claim.get("median_interval_90")),
        "spikes": spikes,
    }


def _interval(bounds: Any) -> str:
    """A bootstrap interval as 'a to b' (n/a without one)."""
    return "n/a" if not bounds else f"{percent(bounds[0])} to {percent(bounds[1])}"


def _metrics(variants: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    rows = []
    for name, m in variants.items():
        rows.append(
            {
                "variant": name,
                "cagr": percent(m.get("cagr"), 2),
                "vol": percent(m.get("vol"), 2),
                "sharpe": number(m.get("sharpe")),
                "sortino": number(m.get("sortino")),
                "max_dd": percent(m.get("max_drawdown"), 1),
                "dd_from": m.get("max_drawdown_start") or "n/a",
                "dd_to": m.get("max_drawdown_end") or "n/a",
                "calmar": number(m.get("calmar")),
                "worst_month": percent(m.get("worst_month_return"), 1),
                "worst_month_date": m.get("worst_month") or "n/a",
                "hedge_cost": percent(m.get("hedge_cost_per_year"), 2),
                "hedge_cost_usd": money(m.get("hedge_cost_per_year_usd")),
                "final_equity": money(m.get("final_equity")),
                "hedge_trades": f"{int(m.get('hedge_trades') or 0):,}",
            }
        )
    return rows


def _costs(variants: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    rows = []
    for name, m in variants.items():
        if name == REFERENCE:
            continue
        split = m.get("hedge_cost_split") or {}
        rows.append(
            {
                "variant": name,
                "premium": percent(m.get("premium_per_year"), 2),
                "parts": [percent(split.get(key), 2) for key, _label, _color in COST_PARTS],
                "net": percent(m.get("hedge_cost_per_year"), 2),
                "net_usd": money(m.get("hedge_cost_per_year_usd")),
            }
        )
    return rows


def _events(events: list[Mapping[str, Any]], variants: list[str]) -> list[dict[str, Any]]:
    rows = []
    for ev in events:
        rows.append(
            {
                "event": ev["event"],
                "start": str(ev["start"]),
                "end": str(ev["end"]),
                "description": ev.get("description") or "",
                "kind": ev.get("kind") or "",
                "in_claim": bool(ev.get("in_claim_check")),
                "drawdown": [percent(ev["drawdown"].get(v), 1) for v in variants],
                "reduction": [
                    {
                        "text": percent(ev["reduction"].get(v), 0, signed=True),
                        "css": _css(ev["reduction"].get(v), 0.005),
                    }
                    for v in variants
                    if v != REFERENCE
                ],
            }
        )
    return rows


def _attribution(records: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "variant": r["variant"],
            "signal": r["signal"],
            "changes": f"{int(r['changes']):,}",
            "first": str(r["first"])[:10],
            "last": str(r["last"])[:10],
            "premium": money(r["premium"]),
            "proceeds": money(r["proceeds"]),
            "earned": money(r["earned"], signed=True),
            "earned_css": _css(r["earned"]),
        }
        for r in records
    ]


def _vx_rows(table: pd.DataFrame | None) -> list[dict[str, str]]:
    if table is None:
        return []
    return [
        {
            "window": r.window,
            "contract": r.contract,
            "n": f"{int(r.n):,}",
            "mean_error": number(r.mean_error, 2, signed=True),
            "mae": number(r.mae, 2),
            "rmse": number(r.rmse, 2),
            "overall": r.window == "overall",
        }
        for r in table.itertuples()
    ]


def _footnotes(summary: Mapping[str, Any], vx_note: str) -> list[dict[str, str]]:
    notes = summary.get("notes") or {}
    config = summary.get("config") or {}
    out = []
    vx = notes.get("vx_forward")
    if vx:
        by = vx.get("purchase_days_by_source", {})
        out.append(
            {
                "title": "VX forwards",
                "text": f"{vx.get('rule', '')}. Purchase days by source: "
                + ", ".join(f"{k.replace('_', ' ')} {int(v):,}" for k, v in by.items())
                + f"; first observed settlement used {vx.get('first_observed') or 'n/a'}.",
            }
        )
    spx = notes.get("spx_settlement")
    if spx:
        out.append(
            {
                "title": "SPX settlement",
                "text": f"{spx.get('rule', '')}: {int(spx.get('expiries_settled', 0)):,} "
                f"expiries settled, {int(spx.get('on_open', 0)):,} on the open, "
                f"{int(spx.get('open_equals_previous_close', 0)):,} of them on an open equal to "
                "the previous close (stale bundled opens).",
            }
        )
    rates = notes.get("rate_sources")
    if rates:
        out.append(
            {
                "title": "Cash rate",
                "text": "3-month T-bill known at each close; sessions by source: "
                + ", ".join(f"{k} {int(v):,}" for k, v in rates.items())
                + ".",
            }
        )
    model = config.get("model") or {}
    if model:
        skew, vxp = model.get("skew", {}), model.get("vx", {})
        out.append(
            {
                "title": "Model parameters",
                "text": f"SPX ATM vol = {model.get('atm_ratio')} × VIX; skew s = {skew.get('s')}, "
                f"c = {skew.get('c')}, floor {skew.get('floor')}; VX curve θ = "
                f"{vxp.get('theta')} VIX points, κ = {vxp.get('kappa')} /year, shock κ = "
                f"{vxp.get('shock_kappa')} /year; VIX option vol = "
                f"{model.get('vvix_multiplier')} × VVIX (default "
                f"{percent(model.get('vix_vol_default'), 0)} without VVIX).",
            }
        )
    costs = config.get("costs") or {}
    if costs:
        out.append(
            {
                "title": "Cost model",
                "text": f"fee {money(costs.get('fee_per_contract'), 2)} per contract; SPX spread "
                f"{costs.get('spx_spread_base')} + {costs.get('spx_spread_slope')} × price "
                f"index points, VIX spread {costs.get('vix_spread_base')} + "
                f"{costs.get('vix_spread_slope')} × price; fills at mid + "
                f"{percent(costs.get('slippage_up_to_two_legs'), 0)} of the half-spread (1–2 "
                f"legs), {percent(costs.get('slippage_four_legs'), 0)} (4 legs); tick "
                f"{costs.get('tick')}.",
            }
        )
    layers = config.get("layers") or {}
    if layers:
        out.append(
            {
                "title": "Layers",
                "text": ", ".join(f"{k} {v}" for k, v in layers.items()) + ".",
            }
        )
    out.append(
        {
            "title": "Hedge cost split",
            "text": "each held call's daily mid change split into premium decay (repriced a day "
            "later at an unchanged future), futures roll-down and the payoff from VIX moves; "
            "spread cost is fills against mid plus fees; cost = decay + roll-down + spread − "
            "payoff, in % of equity per year.",
        }
    )
    out.append({"title": "VX error table", "text": vx_note + "."})
    out.append(
        {
            "title": "Prices",
            "text": "every option is model-priced (method §2): no historical option chain or "
            "bid–ask data; daily closes only. docs/backtest.md lists the rules and limits.",
        }
    )
    return out


def backtest_context(result: BacktestResult, con=None, inputs=None) -> dict[str, Any]:
    """Everything the template prints, formatted; charts as inline SVG strings."""
    summary = summary_json(result)
    names = list(result.variants)
    hedged = [v for v in names if v != REFERENCE]
    preset = summary["config"].get("preset_rules", {})
    dates = result.days
    equity = {n: v.equity for n, v in result.variants.items()}
    drawdown = {n: v.drawdown for n, v in result.variants.items()}
    span_years = (pd.Timestamp(result.end) - pd.Timestamp(result.start)).days / 365.25
    splits = {n: summary["variants"][n].get("hedge_cost_split") or {} for n in hedged}
    vx_table, vx_note = vx_error_table(result, con, inputs)
    events = _events(summary["events"], names)
    return {
        "title": f"ALVH Risk backtest · {result.config.preset} · {result.start} → {result.end}",
        "version": __version__,
        "paper": "A4",
        "preset": result.config.preset,
        "preset_description": preset.get("description", ""),
        "start": str(result.start),
        "end": str(result.end),
        "years": f"{span_years:.1f}",
        "sessions": f"{len(dates):,}",
        "run_id": result.run_id,
        "initial_equity": money(result.config.initial_equity),
        "condor_trades": f"{summary['condor_trades']:,}",
        "condor_sizing": result.config.condor_sizing,
        "variants": names,
        "hedged": hedged,
        "claim": _claim(summary["claim_check"]),
        "metrics": _metrics(summary["variants"]),
        "charts": {
            "equity": equity_curves("bt-equity", dates, equity, log=span_years > 3),
            "underwater": underwater_chart("bt-underwater", dates, drawdown),
            "costs": hedge_cost_bars("bt-costs", splits) if hedged else "",
        },
        "cost_labels": [label for _key, label, _color in COST_PARTS],
        "costs": _costs(summary["variants"]),
        "events": events,
        "events_in_claim": sum(e["in_claim"] for e in events),
        "attribution": _attribution(summary["attribution"]),
        "vx_rows": _vx_rows(vx_table),
        "vx_note": vx_note,
        "footnotes": _footnotes(summary, vx_note),
        "timings": {k: f"{v:.2f} s" for k, v in (summary.get("timings_seconds") or {}).items()},
    }


def write_backtest_report(
    result: BacktestResult, out_dir: Path, con=None, *, inputs=None
) -> tuple[Path, Path, int]:
    """Write backtest.html and backtest.pdf into `out_dir`; return both paths and the pages."""
    from alvh.report.render import render, render_pdf

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    html = render(TEMPLATE, backtest_context(result, con, inputs))
    pdf, pages, blocked = render_pdf(html)
    if blocked:
        log.warning("backtest report: refused to fetch %s", ", ".join(blocked))
    html_path, pdf_path = out_dir / "backtest.html", out_dir / "backtest.pdf"
    html_path.write_text(html, encoding="utf-8")
    pdf_path.write_bytes(pdf)
    return html_path, pdf_path, pages

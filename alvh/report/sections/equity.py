"""Equity curves, hedged and unhedged, with drawdowns (method §4.3); simulated when the
book's own history is too short.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from alvh.backtest.metrics import drawdown_series, max_drawdown
from alvh.core.settings import Settings
from alvh.hedge.day import configs
from alvh.report import charts
from alvh.report.day import DayBook, Footnotes, records, report_sql
from alvh.report.formatting import iso, money, percent

# Below this many stored days the book's own equity curve says little; the report then shows
# the same rules simulated over the last SIMULATION_YEARS years (method §4.3, issue 6).
MIN_BOOK_HISTORY_SESSIONS = 63
SIMULATION_YEARS = 3
SIMULATION_PRESET = "cndr"
SIMULATION_VARIANT = "alvh"

log = logging.getLogger(__name__)


def drawdown_stats(dates: pd.DatetimeIndex, equity: np.ndarray) -> dict[str, str]:
    """Current and deepest drawdown of one curve, with the deepest one's peak and trough."""
    current = drawdown_series(equity)[-1]
    deepest = max_drawdown(equity)
    return {
        "current": percent(current, 1),
        "max": percent(deepest.depth, 1),
        "max_raw": float(deepest.depth),
        "when": (
            f"{iso(dates[deepest.peak])} → {iso(dates[deepest.trough])}"
            if deepest.depth < 0
            else "none"
        ),
    }


def equity_section(
    con,
    as_of: date,
    settings: Settings,
    book: DayBook,
    fn: Footnotes,
    simulate: Callable | None,
) -> dict:
    history = pd.DataFrame(records(con, "book_history", as_of=as_of))
    if book.source == "computed":
        flows = float(
            con.execute(report_sql()["hedge_flows_until"], {"as_of": as_of}).fetchall()[0][0]
        )
        today = {
            "as_of": pd.Timestamp(as_of),
            "value": book.totals["value"],
            "cash": book.totals["cash"],
            "condor_value": book.totals["condor_value"],
            "hedge_value": book.totals["hedge_value"],
            "hedge_pnl": book.totals["hedge_value"] + flows,
        }
        history = pd.concat(
            [
                history[history["as_of"] != pd.Timestamp(as_of)] if len(history) else history,
                pd.DataFrame([today]),
            ],
            ignore_index=True,
        )
    sessions = len(history)
    own_text = (
        "Book equity = cash + condor marks + hedge marks per stored day (method §4.3); "
        "unhedged = the same less the hedge sleeve's P&L to date (its marks plus every cash "
        "flow of its VIX positions: premiums, closes, settlements, fees; interest on that cash "
        "is not separated). Deposits and withdrawals are included as they happened."
    )
    mode = "book"
    simulated = None
    note = ""
    if sessions < MIN_BOOK_HISTORY_SESSIONS:
        simulated = simulate(con, as_of, settings) if simulate is not None else None
        if simulated is not None and "unavailable" not in simulated:
            mode = "simulated"
        else:
            mode = "book-short"
            why = (
                simulated["unavailable"]
                if simulated
                else "the backtest engine (alvh.backtest) is not available in this build"
            )
            note = (
                f"The book's own history holds {sessions} stored day(s), fewer than the "
                f"{MIN_BOOK_HISTORY_SESSIONS} needed for a meaningful curve, and a simulation of "
                f"the same rules over the last {SIMULATION_YEARS} years is not shown: {why}. "
                "No numbers are printed rather than invented ones."
            )
    if mode == "simulated":
        dates = pd.DatetimeIndex(simulated["dates"])
        hedged = np.asarray(simulated["hedged"], dtype=float)
        unhedged = np.asarray(simulated["unhedged"], dtype=float)
        label = simulated["label"]
        note = (
            f"The book holds {sessions} stored day(s), too few for its own curve "
            f"({MIN_BOOK_HISTORY_SESSIONS} needed): the curves below are SIMULATED with the same "
            "rules, not this book's history."
        )
        ref = fn.add("equity-sim", simulated["footnote"])
    else:
        dates = pd.DatetimeIndex(pd.to_datetime(history["as_of"])) if sessions else None
        hedged = history["value"].to_numpy(dtype=float) if sessions else np.array([])
        unhedged = hedged - history["hedge_pnl"].to_numpy(dtype=float) if sessions else hedged
        label = f"the book's stored history, {sessions} day(s)"
        ref = fn.add("equity-own", own_text)
    if dates is None or len(dates) < 2:
        return {
            "mode": mode,
            "simulated": False,
            "chart": None,
            "note": note or "The book has fewer than two stored days: no curve to draw.",
            "stats": [],
            "reduction": "n/a",
            "label": label,
            "ref": ref,
            "window": "",
        }
    chart = charts.equity_chart(
        "equity", dates.to_numpy(), hedged, unhedged, simulated=mode == "simulated"
    )
    h, u = drawdown_stats(dates, hedged), drawdown_stats(dates, unhedged)
    reduction = percent(1 - h["max_raw"] / u["max_raw"], 0) if u["max_raw"] < 0 else "n/a"
    stats = [
        {"label": "Current drawdown", "hedged": h["current"], "unhedged": u["current"]},
        {"label": "Maximum drawdown", "hedged": h["max"], "unhedged": u["max"]},
        {"label": "Maximum drawdown, peak → trough", "hedged": h["when"], "unhedged": u["when"]},
        {
            "label": "Equity at the end",
            "hedged": money(hedged[-1]),
            "unhedged": money(unhedged[-1]),
        },
    ]
    return {
        "mode": mode,
        "simulated": mode == "simulated",
        "chart": chart,
        "note": note,
        "stats": stats,
        "reduction": reduction,
        "label": label,
        "ref": ref,
        "window": f"{iso(dates[0])} to {iso(dates[-1])}",
    }


def simulate_recent(
    con: duckdb.DuckDBPyConnection, as_of: date, settings: Settings
) -> dict[str, Any] | None:
    """The same rules over the last SIMULATION_YEARS years from the backtest engine (method §7):
    the `cndr` condor preset with the full ALVH hedge vs unhedged, under the settings in force.

    None when the backtest package is missing; {"unavailable": reason} when it cannot run on
    this warehouse (for example, too little history).
    """
    try:
        from alvh.backtest import BacktestConfig, load_inputs, run_backtest
        from alvh.backtest.presets import get_preset
    except ImportError:
        return None
    from alvh.core.errors import AlvhError

    signal_config, layer_config, costs = configs(settings)
    start = (pd.Timestamp(as_of) - pd.DateOffset(years=SIMULATION_YEARS)).date()
    config = BacktestConfig(
        preset=SIMULATION_PRESET,
        variants=(SIMULATION_VARIANT,),
        costs=costs,
        layers=layer_config,
    )
    try:
        inputs = load_inputs(con, start, as_of, signal_config)
        result = run_backtest(inputs, config)
    except (AlvhError, ValueError, KeyError, IndexError) as exc:
        return {"unavailable": f"the simulation could not run on this warehouse ({exc})"}
    except Exception as exc:  # a report must still go out; the note names the failure
        log.warning("simulated history failed for %s: %s", as_of, exc, exc_info=True)
        return {"unavailable": f"the simulation failed ({type(exc).__name__}: {exc})"}
    hedged = result.variants[SIMULATION_VARIANT]
    unhedged = result.variants["unhedged"]
    first, last = iso(result.days[0]), iso(result.days[-1])
    preset = get_preset(SIMULATION_PRESET)
    return {
        "dates": result.days,
        "hedged": hedged.equity,
        "unhedged": unhedged.equity,
        "label": (
            f"the {SIMULATION_PRESET} condor preset with the full ALVH hedge vs unhedged, "
            f"simulated {first} to {last} from {money(config.initial_equity)}"
        ),
        "footnote": (
            f"SIMULATED, not this book: backtest run {result.run_id} (method §7) of the "
            f"{SIMULATION_PRESET} preset ({preset.description}) over {first} to {last}, "
            f"variants '{SIMULATION_VARIANT}' (hedged) and 'unhedged', starting equity "
            f"{money(config.initial_equity)}, with the layer, signal and cost settings in "
            "force; options model-priced on the same path. docs/backtest.md has the rules."
        ),
    }

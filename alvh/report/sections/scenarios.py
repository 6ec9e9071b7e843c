"""Scenario grid: full revaluation under SPX × VIX shocks, as a heat map (method §4.4)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from alvh.book.positions import open_positions
from alvh.book.risk_profile import risk_curves
from alvh.book.scenarios import hedged_breakevens, history_inputs, scenario_grid
from alvh.book.valuation import ModelParams, build_legs
from alvh.data.market_day import load_market
from alvh.report.charts import risk_graph
from alvh.report.day import DayBook, Footnotes
from alvh.report.formatting import money, money_k, number, percent
from alvh.report.sections.stress import stress_section

# Heat-map shading: net P&L as a share of risk capital, bin edges (method §4.4).
HEAT_EDGES = (-0.5, -0.25, -0.1, -0.02, 0.02, 0.1, 0.25, 0.5)
HEAT_CLASSES = ("n4", "n3", "n2", "n1", "z", "p1", "p2", "p3", "p4")


def _heat_class(pnl: float, risk_capital: float) -> str:
    if not risk_capital:
        return "z"
    share = pnl / risk_capital
    return HEAT_CLASSES[int(np.searchsorted(HEAT_EDGES, share, side="right"))]


def _profit_zones(rows: pd.DataFrame) -> str:
    """Where the hedged book makes money at one horizon, from its break-even crossings."""
    ordered = rows.sort_values("spx")
    if ordered.empty:
        return "no break-even in −40 % … +25 %"
    sides = ordered["side"].tolist()
    levels = ordered["spx"].tolist()
    # Below the first crossing P&L is negative when that crossing's side is "lower".
    positive = sides[0] != "lower"
    bounds = [None, *levels, None]
    zones = []
    for i in range(len(bounds) - 1):
        if positive:
            lo, hi = bounds[i], bounds[i + 1]
            if lo is None:
                zones.append(f"below {number(hi, 0)}")
            elif hi is None:
                zones.append(f"above {number(lo, 0)}")
            else:
                zones.append(f"{number(lo, 0)}–{number(hi, 0)}")
        positive = not positive
    return "profit " + "; ".join(zones) if zones else "no profit zone"


def scenarios_section(con, as_of: date, book: DayBook, fn: Footnotes) -> dict:
    positions = open_positions(con, as_of)
    note = fn.add(
        "scenarios",
        "Scenarios reprice every leg (no greeks): SPX shocks × VIX responses, where 'fit' is "
        "the §2.4 regression of daily log VIX changes on SPX returns (down and up days "
        "separately) and +N adds N VIX points through the §2.2 futures curve; horizons of 1 "
        "and 5 trading days and the book's next expiry. P&L against today's marks.",
    )
    if not positions:
        return {"heat": [], "breakevens": [], "stress": [], "note": note, "empty": True}
    snapshot = book.marks.snapshot if book.marks is not None else load_market(con, as_of)
    params = book.params or ModelParams()  # the day's surface, as its marks
    legs = build_legs(positions)
    fit, moves = history_inputs(con, as_of)
    grid = scenario_grid(legs, positions, snapshot, params, fit)
    risk_capital = book.totals["risk_capital"] or 0.0
    heat = []
    for label, block in grid.groupby("horizon", sort=False):
        shocks = sorted(block["spx_shock"].unique())
        columns = [
            {"shock": percent(s, 0, True), "spx": number(snapshot.spx * (1 + s), 0)} for s in shocks
        ]
        rows = []
        for response, sub in block.groupby("vix_response", sort=False):
            sub = sub.set_index("spx_shock").loc[shocks]
            if response == "fit":
                title = "fit (§2.4)"
                sub_title = (
                    f"VIX {number(sub['vix'].iloc[0], 1)} … {number(sub['vix'].iloc[-1], 1)}"
                )
            else:
                title = f"VIX {response} pts"
                sub_title = f"VIX {number(sub['vix'].iloc[0], 1)}"
            rows.append(
                {
                    "response": title,
                    "sub": sub_title,
                    "cells": [
                        {
                            "text": money_k(v),
                            "css": _heat_class(v, risk_capital),
                            "title": f"condors {money(c)}, hedge {money(h)}",
                        }
                        for v, c, h in zip(
                            sub["net_pnl"], sub["condor_pnl"], sub["hedge_pnl"], strict=True
                        )
                    ],
                }
            )
        heat.append(
            {
                "label": label,
                "days": int(block["horizon_days"].iloc[0]),
                "columns": columns,
                "rows": rows,
            }
        )
    crossings = hedged_breakevens(legs, positions, snapshot, params, fit)
    breakevens = []
    for label in grid["horizon"].unique():
        rows = crossings[crossings["horizon"] == label].sort_values("spx")
        breakevens.append(
            {
                "horizon": label,
                "levels": [
                    {
                        "spx": number(r.spx, 0),
                        "move": percent(r.move, 1, True),
                        "side": "losses below" if r.side == "lower" else "losses above",
                    }
                    for r in rows.itertuples()
                ],
                "zones": _profit_zones(rows),
            }
        )
    stress = stress_section(legs, snapshot, params, moves, fn)
    curves = risk_curves(legs, positions, snapshot, params, fit)
    return {
        "risk_graph": risk_graph("risk-graph", curves, snapshot.spx),
        "risk_horizons": [c.label for c in curves],
        "heat": heat,
        "breakevens": breakevens,
        "stress": stress,
        "note": note,
        "empty": False,
        "spx": number(snapshot.spx),
        "vix": number(snapshot.vix),
        "fit": (
            f"down days {number(fit.down_slope)} · up days {number(fit.up_slope)} "
            "(log VIX change per unit SPX return)"
        ),
        "legend": [
            {"css": css, "text": text}
            for css, text in zip(
                HEAT_CLASSES,
                (
                    "≤ −50% of R",
                    "−50…−25%",
                    "−25…−10%",
                    "−10…−2%",
                    "±2%",
                    "+2…+10%",
                    "+10…+25%",
                    "+25…+50%",
                    "> +50% of R",
                ),
                strict=True,
            )
        ],
    }

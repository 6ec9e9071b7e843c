"""`quote_residuals`: how far the model was from the market on a day with stored quotes.

Every stored SPX/SPXW option with 7–60 days to expiry and a two-sided quote (bid > 0, ask > 0),
and every VIX option alike, gets its mid, market IV and delta (`alvh.model.vol_residuals`) on
the market's own forward — put–call parity at the money per expiry (`alvh.model.parity`) — and
the model's vol and price as the book's marks would use them: SPX vols per method §2.1 on the
model's forward S·e^{(r−q)τ}, VIX-option vols per method §2.3 on the §2.2 VX forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from alvh.book.day_model import (
    day_model,
    fitted_values,
    stored_day_params,
    stored_day_surface,
    surface_params,
)
from alvh.book.valuation import ModelParams
from alvh.core.errors import UsageError
from alvh.core.resources import read_sql_statements
from alvh.data.market_day import MarketSnapshot, load_market
from alvh.data.quotes.rules import SPX_ROOTS, VIX_ROOTS
from alvh.model import market as mm
from alvh.model.parity import parity_forward
from alvh.model.pricing import black76_price, bsm_price
from alvh.model.vol_residuals import market_iv_and_delta, residual_summary

MIN_DAYS, MAX_DAYS = 7, 60
REFERENCE_DAYS = 30  # the headline forward is the expiry nearest one month


@dataclass(frozen=True)
class QuoteResiduals:
    """One day's model-vs-market table (`options`) with its forwards and summaries."""

    as_of: date
    source: str
    options: pd.DataFrame
    forwards: pd.DataFrame
    summary: dict[str, object]

    @property
    def forward(self) -> float | None:
        spx = self.forwards[self.forwards["underlying"] == "SPX"]
        if not len(spx):
            return None
        nearest = (spx["days"] - REFERENCE_DAYS).abs().idxmin()
        return float(spx.loc[nearest, "forward"])

    def as_json(self) -> dict[str, object]:
        """The interface.md shape of `alvh quotes residuals --json`."""
        columns = ["underlying", "root", "expiry", "strike", "type", "bid", "ask", "mid"]
        columns += ["market_iv", "model_iv", "model_price", "delta", "forward", "days"]
        rows = self.options[columns].astype(object).where(self.options[columns].notna(), None)
        options = []
        for row in rows.to_dict("records"):
            row["expiry"] = row["expiry"].date().isoformat()
            for key in ("market_iv", "model_iv", "delta"):
                row[key] = None if row[key] is None else round(float(row[key]), 6)
            row["model_price"] = round(float(row["model_price"]), 4)
            row["days"] = int(row["days"])
            options.append(row)
        forwards = [
            {
                "underlying": f["underlying"],
                "root": f["root"],
                "expiry": f["expiry"].date().isoformat(),
                "days": int(f["days"]),
                "forward": round(float(f["forward"]), 4),
                "model_forward": round(float(f["model_forward"]), 4),
            }
            for f in self.forwards.to_dict("records")
        ]
        forward = self.forward
        return {
            "as_of": self.as_of.isoformat(),
            "source": self.source,
            "forward": None if forward is None else round(forward, 4),
            "forwards": forwards,
            "options": options,
            "summary": self.summary,
        }


def quote_residuals(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    params: ModelParams | None = None,
    fit_unmarked: bool = False,
) -> QuoteResiduals:
    """Model vs market for every two-sided SPX-family and VIX option quoted on `as_of`.

    `summary.day_fit` is the surface stored when the day was marked; `fit_unmarked`: fit it
    now for a day not marked yet (a report computing the day on the spot, which prices with
    that fit), else None for such a day (the fit belongs to the mark step: 0.6–0.9 s)."""
    params = params or ModelParams()
    quotes = con.execute(
        read_sql_statements("quotes/read.sql")["day"],
        {"as_of": as_of, "roots": list(SPX_ROOTS + VIX_ROOTS)},
    ).df()
    if not len(quotes):
        raise UsageError(
            f"no option quotes stored for {as_of}; import a day's file with 'alvh quotes import'"
        )
    snapshot = load_market(con, as_of)
    source = ", ".join(sorted(quotes["source_file"].unique()))
    quotes = quotes[
        (quotes["bid"] > 0)
        & (quotes["ask"] > 0)
        & quotes["days_to_expiry"].between(MIN_DAYS, MAX_DAYS)
    ].copy()
    quotes["expiry"] = pd.to_datetime(quotes["expiry"])
    quotes["underlying"] = np.where(quotes["root"].isin(VIX_ROOTS), "VIX", "SPX")
    quotes["mid"] = 0.5 * (quotes["bid"] + quotes["ask"])
    quotes["days"] = quotes["days_to_expiry"].astype(int)
    quotes["tau"] = quotes["days"] / mm.DAYS_PER_YEAR
    forwards = _forwards(quotes, snapshot, params)
    options = quotes.merge(forwards, on=["underlying", "root", "expiry", "days"], how="inner")
    options = options.rename(columns={"option_type": "type"})
    _model_columns(options, snapshot, params)
    is_call = (options["type"] == "C").to_numpy()
    iv, delta = market_iv_and_delta(
        options["mid"].to_numpy(),
        options["forward"].to_numpy(),
        options["strike"].to_numpy(),
        options["tau"].to_numpy(),
        snapshot.rate,
        is_call,
    )
    options["market_iv"], options["delta"] = iv, delta
    options = options.sort_values(["underlying", "root", "expiry", "strike", "type"])
    spx = options[options["underlying"] == "SPX"]
    summary = {
        "SPX": residual_summary(spx),
        "VIX": residual_summary(options[options["underlying"] == "VIX"]),
        "model": {"atm_ratio": params.atm_ratio, "skew": params.skew.__dict__},
        "market_inputs": snapshot.assumptions(),
        "vol_units": "residuals in vol points, model minus market",
        "day_fit": _day_fit(con, as_of, params, snapshot, spx, fit_unmarked),
    }
    return QuoteResiduals(as_of, source, options.reset_index(drop=True), forwards, summary)


def _day_fit(
    con,
    as_of: date,
    params: ModelParams,
    snapshot: MarketSnapshot,
    spx: pd.DataFrame,
    fit_unmarked: bool,
):
    """The surface the day's marks use when fitted to its quotes (`alvh.book.day_model`): the
    one `day_surfaces` stored when the day was marked, else (`fit_unmarked`) fitted now, else
    None. How many options it was
    fitted to, its median |IV error| on the options of `summary.SPX` (the defaults' is
    `summary.SPX.median_abs_error`), the fit's own before/after and its parameters; None when
    the day's quotes were not fitted."""
    stored = stored_day_surface(con, as_of)
    if stored is not None:
        if stored["status"] != "fitted":
            return None
        fitted_params = stored_day_params(con, as_of, params)
        fit = {k: stored[k] for k in ("n_options", "n_slices", "n_condors", "run_id")}
        fit["median_abs_iv_err_defaults"] = stored["median_abs_iv_err_defaults"]
        fit["median_abs_iv_err_fitted"] = stored["median_abs_iv_err_fitted"]
        fit["origin"] = "stored when the day was marked"
    elif not fit_unmarked:
        return None
    else:
        model = day_model(con, as_of, params, snapshot)
        if not model.fitted:
            return None
        fitted_params = model.params
        fit = {**model.summary(), "origin": "fitted now (the day is not marked yet)"}
    options = spx.copy()
    _model_columns(options, snapshot, fitted_params)
    error = residual_summary(options)
    return {
        "n_options": int(fit["n_options"]),
        "median_abs_iv_err": error["median_abs_error"],
        "median_error": error["median_error"],
        "n": error["n"],
        "params": fitted_values(surface_params(fitted_params)),
        "fit": fit,
    }


def _forwards(quotes: pd.DataFrame, snapshot: MarketSnapshot, params: ModelParams):
    """One row per (root, expiry): the market's parity forward and the model's."""
    key = ["underlying", "root", "expiry", "days"]
    columns = [*key, "strike", "mid"]
    pairs = quotes.loc[quotes["option_type"] == "C", columns].merge(
        quotes.loc[quotes["option_type"] == "P", columns],
        on=[*key, "strike"],
        suffixes=("_call", "_put"),
    )
    strike, call, put = (pairs[c].to_numpy() for c in ("strike", "mid_call", "mid_put"))
    rows = []
    for (underlying, root, expiry, days), at in pairs.groupby(key).indices.items():
        tau = days / mm.DAYS_PER_YEAR
        forward = parity_forward(strike[at], call[at], put[at], tau, snapshot.rate)
        if not np.isfinite(forward):
            continue
        if underlying == "SPX":
            model_forward = snapshot.spx * np.exp((snapshot.rate - snapshot.dividend_yield) * tau)
        else:
            model_forward = mm.vx_curve(
                snapshot.as_of,
                expiry,
                snapshot.vix,
                snapshot.futures if len(snapshot.futures) else None,
                params.vx,
                term=snapshot.term(),
            ).forward
        rows.append((underlying, root, expiry, days, forward, float(model_forward)))
    return pd.DataFrame(
        rows, columns=["underlying", "root", "expiry", "days", "forward", "model_forward"]
    )


def _model_columns(options: pd.DataFrame, snapshot: MarketSnapshot, params: ModelParams):
    """`model_iv` and `model_price` as the book's marks would price each option."""
    tau = options["tau"].to_numpy()
    strike = options["strike"].to_numpy()
    is_call = (options["type"] == "C").to_numpy()
    model_forward = options["model_forward"].to_numpy()
    spx = (options["underlying"] == "SPX").to_numpy()
    vol = np.full(len(options), np.nan)
    price = np.full(len(options), np.nan)
    if spx.any():
        # the ATM level with its VIX and tenor elasticities, as `leg_greeks` prices the marks
        atm = params.atm_vol(tau[spx], snapshot.vix, snapshot.vix9d, snapshot.vix3m, snapshot.vix6m)
        vol[spx] = mm.spx_implied_vol(
            strike[spx], model_forward[spx], tau[spx], atm, snapshot.vix, params.skew
        )
        price[spx] = bsm_price(
            snapshot.spx,
            strike[spx],
            tau[spx],
            snapshot.rate,
            snapshot.dividend_yield,
            vol[spx],
            is_call[spx],
        )
    if (~spx).any():
        vol[~spx] = mm.vix_option_vol(
            strike[~spx],
            model_forward[~spx],
            tau[~spx],
            snapshot.vvix,
            params.vix_vol_default,
            params.vvix_multiplier,
            params.vix_skew,
        )
        price[~spx] = black76_price(
            model_forward[~spx], strike[~spx], tau[~spx], snapshot.rate, vol[~spx], is_call[~spx]
        )
    options["model_iv"], options["model_price"] = vol, price

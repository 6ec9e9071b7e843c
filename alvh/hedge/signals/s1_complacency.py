"""S1 complacency (method §5): VIX below 25 while Shiller CAPE sits at or above the 70th
percentile of its trailing 30 years (known with a one-month lag). P/CF has no public data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alvh.hedge.signals.common import (
    _Context,
    _daily_checks,
    _finish,
    _monthly_checks,
    _reasons,
    _yes,
)
from alvh.hedge.signals.inputs import SignalInputs

if TYPE_CHECKING:  # only an annotation here: signal_history imports this module at run time
    from alvh.hedge.signals.signal_history import SignalHistory


def _cape_percentiles(cape: pd.DataFrame, window_months: int) -> pd.Series:
    """Per CAPE month, the share of the trailing `window_months` months (itself included) with a
    CAPE at or below it. NaN until a full window of consecutive months exists."""
    monthly = cape.set_index("obs_date")["value"].sort_index()
    if monthly.empty:
        return monthly
    grid = pd.date_range(monthly.index[0], monthly.index[-1], freq="MS")
    values = monthly.reindex(grid).to_numpy(dtype=float)
    out = np.full(len(values), np.nan)
    if len(values) >= window_months:
        windows = np.lib.stride_tricks.sliding_window_view(values, window_months)
        current = windows[:, -1:]
        share = (windows <= current).sum(axis=1) / window_months
        share[np.isnan(windows).any(axis=1)] = np.nan
        out[window_months - 1 :] = share
    return pd.Series(out, index=grid)


def _s1(ctx: _Context, inputs: SignalInputs) -> dict[str, np.ndarray]:
    cfg = ctx.config
    vix, cape = ctx.values["VIX"], ctx.values["CAPE"]
    percentiles = _cape_percentiles(inputs.releases["CAPE"], 12 * cfg.s1_valuation_window_years)
    cape_month = ctx.value_dates["CAPE"]
    pct = percentiles.reindex(pd.DatetimeIndex(cape_month)).to_numpy(dtype=float)
    reason = _reasons(
        len(vix),
        [
            *_daily_checks(ctx, ("VIX",)),
            *_monthly_checks(ctx, "CAPE", "CAPE"),
        ],
        [(np.isnan(pct), f"CAPE history shorter than {cfg.s1_valuation_window_years} years")],
    )
    available = reason == ""
    active = (vix < cfg.s1_vix_max) & (pct >= cfg.s1_valuation_percentile)
    out = _finish(available, pct, np.full(len(vix), cfg.s1_valuation_percentile), active)
    out |= {"vix": vix, "cape": cape, "cape_month": cape_month, "reason": reason}
    return out


def _detail_s1(h: SignalHistory, row: pd.Series, when: pd.Timestamp) -> str:
    c = h.config
    vix_ok = row["vix"] < c.s1_vix_max
    pct_ok = row["value"] >= c.s1_valuation_percentile
    month = pd.Timestamp(row["cape_month"]).strftime("%Y-%m")
    return (
        f"VIX {row['vix']:.2f} (< {c.s1_vix_max:g}: {_yes(vix_ok)}); CAPE {row['cape']:.2f} "
        f"({month}) at percentile {row['value']:.2f} of its trailing "
        f"{c.s1_valuation_window_years} years (>= {c.s1_valuation_percentile:.2f}: "
        f"{_yes(pct_ok)}); P/CF not modelled (no public data)"
    )

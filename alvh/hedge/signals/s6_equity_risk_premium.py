"""S6 equity risk premium, the article's "WACC proxy" (method §5): earnings yield (1/CAPE)
− DGS10; low when below its trailing 20th percentile.
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
    _rolling,
    _yes,
)

if TYPE_CHECKING:  # only an annotation here: signal_history imports this module at run time
    from alvh.hedge.signals.signal_history import SignalHistory


def _s6(ctx: _Context) -> dict[str, np.ndarray]:
    cfg = ctx.config
    cape, dgs10 = ctx.values["CAPE"], ctx.values["DGS10"]
    earnings_yield = 1.0 / cape
    erp = earnings_yield - dgs10 / 100.0
    prior = _rolling(np.r_[np.nan, erp[:-1]], cfg.s6_window_sessions)
    low = prior.quantile(cfg.s6_percentile, interpolation="linear").to_numpy()
    reason = _reasons(
        len(erp),
        [
            *_daily_checks(ctx, ("DGS10",)),
            *_monthly_checks(ctx, "CAPE", "CAPE"),
        ],
        [(np.isnan(low), f"fewer than {cfg.s6_window_sessions} sessions of ERP history")],
    )
    available = reason == ""
    out = _finish(available, erp, low, erp < low)
    out |= {"earnings_yield": earnings_yield, "dgs10": dgs10, "cape": cape, "reason": reason}
    return out


def _detail_s6(h: SignalHistory, row: pd.Series, when: pd.Timestamp) -> str:
    c = h.config
    years = c.s6_window_sessions / 252
    return (
        f"ERP = 1/CAPE {100 * row['earnings_yield']:.2f}% − DGS10 {row['dgs10']:.2f}% = "
        f"{100 * row['value']:+.2f}%; trailing {years:g}-year {100 * c.s6_percentile:g}th "
        f"percentile {100 * row['threshold']:+.2f}% (below: {_yes(bool(row['active']))})"
    )

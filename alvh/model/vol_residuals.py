"""Model vs market implied vols of one day's option quotes, and their summary (issue 11, item 3).

Market IV is the Black-76 vol of the quote's mid on the market's parity forward; the residual
is model IV − market IV in vol points (positive: the model is rich). Delta is the market's
forward delta N(d1) (calls) or N(d1) − 1 (puts) at market IV, the measure "a 20Δ put" means.
The summary keeps out-of-the-money options only (calls above the forward, puts below), as
the wings a condor sells and the ATM between them, bucketed by |delta| and by tenor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr

from alvh.model.pricing import implied_vol_black76

DELTA_BUCKETS = ((0.05, 0.10), (0.10, 0.20), (0.20, 0.35), (0.35, 0.50))
TENOR_BUCKETS = ((7, 21), (22, 45), (46, 60))


def market_iv_and_delta(mid, forward, strike, tau, rate, is_call) -> tuple[np.ndarray, np.ndarray]:
    """Black-76 implied vol of `mid` (NaN where none exists) and the forward delta at it."""
    iv = implied_vol_black76(mid, forward, strike, tau, rate, is_call).vol
    with np.errstate(all="ignore"):
        total = iv * np.sqrt(tau)
        d1 = (np.log(np.asarray(forward) / np.asarray(strike)) + 0.5 * total * total) / total
        delta = np.where(is_call, ndtr(d1), ndtr(d1) - 1.0)
    return iv, delta


def residual_summary(options: pd.DataFrame) -> dict[str, object]:
    """Error statistics (vol points) of `options` (columns `market_iv`, `model_iv`, `delta`,
    `days`, `strike`, `forward`, `type`): overall, and per side, |delta| bucket and tenor."""
    has_iv = options["market_iv"].notna()
    otm = np.where(
        options["type"] == "C",
        options["strike"] >= options["forward"],
        options["strike"] <= options["forward"],
    )
    used = options[has_iv & otm & (options["delta"].abs() >= DELTA_BUCKETS[0][0])]
    error = 100.0 * (used["model_iv"] - used["market_iv"]).to_numpy()
    side_of = used["type"].to_numpy()
    size = np.abs(used["delta"].to_numpy())
    days = used["days"].to_numpy()
    buckets = []
    for side, name in (("P", "puts"), ("C", "calls")):
        for low, high in DELTA_BUCKETS:
            for first, last in TENOR_BUCKETS:
                pick = (
                    (side_of == side)
                    & (size >= low)
                    & (size < high)
                    & (days >= first)
                    & (days <= last)
                )
                if pick.any():
                    buckets.append(
                        {
                            "side": name,
                            "delta": f"{low * 100:g}-{high * 100:g}",
                            "tenor_days": f"{first}-{last}",
                            **_stats(error[pick]),
                        }
                    )
    return {
        "options": int(len(options)),
        "with_market_iv": int(has_iv.sum()),
        "out_of_the_money_used": int(len(used)),
        **_stats(error),
        "buckets": buckets,
    }


def _stats(error: np.ndarray) -> dict[str, float | int | None]:
    if not len(error):
        return {"n": 0, "median_error": None, "median_abs_error": None, "rmse": None}
    return {
        "n": int(len(error)),
        "median_error": round(float(np.median(error)), 3),
        "median_abs_error": round(float(np.median(np.abs(error))), 3),
        "rmse": round(float(np.sqrt(np.mean(np.square(error)))), 3),
    }

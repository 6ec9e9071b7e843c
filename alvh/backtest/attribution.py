"""Signal attribution (method §7): which signal changed the hedge on which dates, and what that
change earned or cost.

Every hedge trade of a layer variant carries the signal that caused it: L1 purchases and rolls
S1, L2 top-ups the S2 (confirmed surprise) or S3 (spike) that started the L2 hold, L3's sales and
rolls S4; VXTH trades the rule itself. What a change earned:
* a purchase — the P&L of the calls it bought, from the fill paid to their sale, settlement or
  the last mark (spread and fees included);
* an L3 monetisation or an L1 trim — the sale proceeds less what the sold calls would have been
  worth had they been held to their expiry (their settlement value): what selling early added.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alvh.backtest.hedges import MULTIPLIER, VariantPath

__all__ = ["attribution_summary", "attribution_trades"]

SIZE_CHANGES = ("buy", "monetise", "trim", "roll_sell")


def attribution_trades(vp: VariantPath, days: pd.DatetimeIndex, fee: float) -> pd.DataFrame:
    """One row per size-changing trade: date, layer, signal, action, contracts, earned ($)."""
    sleeve = vp.hedge
    t = sleeve.trades
    t = t[t["action"].isin(SIZE_CHANGES)].copy()
    if t.empty:
        return pd.DataFrame(
            columns=[
                "variant",
                "date",
                "layer",
                "signal",
                "action",
                "contracts",
                "price",
                "cash_flow",
                "earned",
                "reason",
            ]
        )
    lots = sleeve.lots.set_index("lot")
    earned = np.full(len(t), np.nan)
    buys = (t["action"] == "buy").to_numpy()
    earned[buys] = lots.loc[t.loc[buys, "lot"], "pnl"].to_numpy()
    # A monetisation and an L1 trim are both sales before expiry: what selling then added.
    mon = t["action"].isin(("monetise", "trim")).to_numpy()
    hold = lots.loc[t.loc[mon, "lot"], "value_at_expiry"].to_numpy()
    q = t.loc[mon, "contracts"].to_numpy()
    earned[mon] = q * (t.loc[mon, "price"].to_numpy() * MULTIPLIER - fee) - q * MULTIPLIER * hold
    return pd.DataFrame(
        {
            "variant": vp.name,
            "date": days[t["day"].to_numpy()],
            "layer": t["layer"].to_numpy(),
            "signal": t["signal"].to_numpy(),
            "action": t["action"].to_numpy(),
            "contracts": t["contracts"].to_numpy(),
            "price": t["price"].to_numpy(),
            "cash_flow": t["cash_flow"].to_numpy(),
            "earned": earned,
            "reason": t["reason"].to_numpy(),
        }
    )


def attribution_summary(trades: pd.DataFrame) -> pd.DataFrame:
    """Per variant and signal: how many changes, first and last date, premium paid, proceeds,
    and what the changes earned (sum of `earned`)."""
    if trades.empty:
        return pd.DataFrame(
            columns=[
                "variant",
                "signal",
                "changes",
                "first",
                "last",
                "premium",
                "proceeds",
                "earned",
            ]
        )
    g = trades.assign(
        premium=np.where(trades["cash_flow"] < 0, -trades["cash_flow"], 0.0),
        proceeds=np.where(trades["cash_flow"] > 0, trades["cash_flow"], 0.0),
    ).groupby(["variant", "signal"], sort=False)
    return g.agg(
        changes=("action", "size"),
        first=("date", "min"),
        last=("date", "max"),
        premium=("premium", "sum"),
        proceeds=("proceeds", "sum"),
        earned=("earned", "sum"),
    ).reset_index()

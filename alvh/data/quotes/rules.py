"""The rules every quote row must pass, whatever its format (issue 11, item 1).

A row is quarantined, naming its file line, column and rule, when its quote date does not
parse, lies after today or is not a trading day; its root is not one this product knows; its
type, expiry, strike, bid or ask does not parse; the option had expired; the expiry is not one
the root lists (SPX: the monthly AM expiry of method §1; SPXW and SPXPM: any trading day; VIX:
the monthly expiry or a Wednesday weekly); the strike is off the root's grid; a price is
negative; the bid is above the ask (crossed); or the same option appears twice in the file
(every copy: nothing says which is right). A zero bid is a real quote (nobody bids for a far
wing) and is kept, flagged. Each row is judged by the first rule it breaks, in that order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from alvh.core import calendar
from alvh.data.quotes.base import QuoteFile
from alvh.data.validation import REJECT_COLUMNS

SPX_ROOTS = ("SPX", "SPXW", "SPXPM")
VIX_ROOTS = ("VIX", "VIXW")
KNOWN_ROOTS = SPX_ROOTS + VIX_ROOTS
STRIKE_GRID = {"SPX": 5.0, "SPXW": 5.0, "SPXPM": 5.0, "VIX": 0.5, "VIXW": 0.5}
KEY = ["as_of", "root", "expiry", "strike", "type"]
_WEDNESDAY = 2


@dataclass(frozen=True)
class CheckedQuotes:
    """The rows that passed (with `zero_bid`), and the quarantined ones (`REJECT_COLUMNS`)."""

    good: pd.DataFrame
    rejected: pd.DataFrame

    @property
    def zero_bids(self) -> int:
        return int(self.good["zero_bid"].sum())


def underlying_of(root: str) -> str:
    """ "SPX" or "VIX": the index a root's options are written on."""
    return "VIX" if root in VIX_ROOTS else "SPX"


def listed_expiry(root: str, expiry: date) -> bool:
    """Whether `root` lists options expiring on `expiry` (see the module docstring)."""
    if not calendar.is_trading_day(expiry):
        return False
    if root == "SPX":
        return expiry == calendar.spx_monthly_expiry(expiry.year, expiry.month)
    if root in VIX_ROOTS:
        monthly = calendar.vix_expiry(expiry.year, expiry.month)
        # A weekly moves to Tuesday when its Wednesday is a holiday, as the monthly does.
        wednesday_holiday = expiry.weekday() == _WEDNESDAY - 1 and not calendar.is_trading_day(
            pd.Timestamp(expiry) + pd.Timedelta(days=1)
        )
        return expiry == monthly or expiry.weekday() == _WEDNESDAY or wednesday_holiday
    return True


def check_quotes(quotes: QuoteFile, today: date) -> CheckedQuotes:
    """Apply the rules to every row of `quotes`; `today` (New York) bounds the quote dates."""
    frame = quotes.frame
    alive = np.ones(len(frame), dtype=bool)
    rejects: list[pd.DataFrame] = []

    def reject(mask, column: str, rule: str, explain: str) -> None:
        nonlocal alive
        hit = alive & np.asarray(mask, dtype=bool)
        if hit.any():
            rejects.append(_records(quotes, hit, column, rule, explain))
            alive &= ~hit

    as_of, expiry = frame["as_of"], frame["expiry"]
    reject(as_of.isna(), "as_of", "unparseable_date", "the quote date is not a date")
    reject(as_of > pd.Timestamp(today), "as_of", "future_date", f"dated after today ({today})")
    reject(~_trading_days(as_of), "as_of", "not_a_session", "the quote date is not an NYSE session")
    reject(
        ~frame["root"].isin(KNOWN_ROOTS),
        "root",
        "unknown_root",
        f"not a root this product knows ({', '.join(KNOWN_ROOTS)})",
    )
    reject(frame["type"] == "", "type", "unparseable_type", "not a call or a put (C/P)")
    reject(expiry.isna(), "expiry", "unparseable_date", "the expiry is not a date")
    reject(expiry < as_of, "expiry", "expired", "the option expired before the quote date")
    reject(
        ~_listed(frame["root"], expiry, alive),
        "expiry",
        "not_listed_expiry",
        "not an expiry this root lists (SPX: the monthly AM expiry; SPXW/SPXPM: a trading "
        "day; VIX: the monthly expiry or a Wednesday weekly)",
    )
    strike = frame["strike"].to_numpy()
    reject(~(strike > 0), "strike", "unparseable_strike", "not a positive number")
    grid = frame["root"].map(STRIKE_GRID).to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        steps = strike / grid
    reject(
        np.abs(steps - np.round(steps)) > 1e-6,
        "strike",
        "off_grid_strike",
        "not on the root's strike grid (SPX family: 5 points; VIX: 0.5)",
    )
    bid, ask = frame["bid"].to_numpy(), frame["ask"].to_numpy()
    reject(np.isnan(bid), "bid", "not_a_number", "the bid is not a number")
    reject(np.isnan(ask), "ask", "not_a_number", "the ask is not a number")
    reject(bid < 0, "bid", "negative_price", "a negative bid")
    reject(ask < 0, "ask", "negative_price", "a negative ask")
    # An ask of 0 means nobody offers: a one-sided quote, not a crossed one.
    reject((ask > 0) & (bid > ask), "bid", "crossed_quote", "the bid is above the ask")
    duplicated = frame[KEY].duplicated(keep=False).to_numpy()
    if (duplicated & alive).any():
        key_copies = frame[KEY][alive].duplicated(keep=False)
        twice = np.zeros(len(frame), dtype=bool)
        twice[np.flatnonzero(alive)[key_copies.to_numpy()]] = True
        reject(twice, "strike", "duplicate_quote", "the same option is quoted more than once")

    good = frame[alive].copy()
    good["zero_bid"] = good["bid"] == 0
    rejected = (
        pd.concat(rejects, ignore_index=True)
        if rejects
        else pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})
    )
    return CheckedQuotes(good.reset_index(drop=True), rejected)


def _trading_days(days: pd.Series) -> np.ndarray:
    out = np.zeros(len(days), dtype=bool)
    known = days.notna().to_numpy()
    if known.any():
        out[known] = calendar.trading_day_mask(days[known].to_numpy())
    return out


def _listed(roots: pd.Series, expiry: pd.Series, alive: np.ndarray) -> np.ndarray:
    """`listed_expiry` per row, asked once per distinct (root, expiry)."""
    rows = pd.DataFrame({"root": roots, "expiry": expiry})
    pairs = rows[alive].drop_duplicates()
    pairs["listed"] = [
        listed_expiry(r, e.date()) for r, e in zip(pairs["root"], pairs["expiry"], strict=True)
    ]
    found = rows.merge(pairs, on=["root", "expiry"], how="left")["listed"]
    return found.fillna(True).to_numpy(dtype=bool)


def _records(quotes: QuoteFile, hit: np.ndarray, column: str, rule: str, explain: str):
    positions = np.flatnonzero(hit)
    lines = quotes.frame["line"].to_numpy()[positions]
    values = quotes.text[column].iloc[positions].astype(str).str.slice(0, 200).to_numpy()
    messages = [
        f"{quotes.origin}: row {line}, column '{column}': {explain} (rule: {rule}; value {v!r})"
        for line, v in zip(lines, values, strict=True)
    ]
    return pd.DataFrame(
        {
            "line": lines.astype("int64"),
            "column_name": column,
            "rule": rule,
            "raw_value": values,
            "message": messages,
        }
    )

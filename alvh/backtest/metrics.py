"""Performance metrics of an equity curve, one pure function each (method §7).

Written in the manner of empyrical: arrays in, a number out, degenerate input handled at the top
(too short a series gives NaN rather than an exception), uniform argument names:
`equity` (dollars per session, > 0), `returns` (simple per-session returns), `risk_free`
(the cash account's per-session return), `dates` (the sessions), `periods` (sessions per year).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "PERIODS_PER_YEAR",
    "Drawdown",
    "annual_volatility",
    "cagr",
    "calmar_ratio",
    "drawdown_series",
    "max_drawdown",
    "sharpe_ratio",
    "simple_returns",
    "sortino_ratio",
    "worst_month",
]

PERIODS_PER_YEAR = 252
DAYS_PER_YEAR = 365.25
# A per-session standard deviation below this is rounding noise (returns agree to ~1e-16), not
# risk: the ratio is undefined rather than astronomically large.
_NO_DISPERSION = 1e-12


def simple_returns(equity: np.ndarray) -> np.ndarray:
    """Session-to-session simple returns, one fewer than `equity`.

    Parameters
    ----------
    equity : array of float
        Portfolio value at each close.

    Returns
    -------
    array of float
        ``equity[1:] / equity[:-1] - 1``.
    """
    e = np.asarray(equity, dtype=float)
    if e.size < 2:
        return np.zeros(0)
    return e[1:] / e[:-1] - 1.0


def cagr(equity: np.ndarray, dates: pd.DatetimeIndex) -> float:
    """Compound annual growth rate over calendar time.

    Parameters
    ----------
    equity : array of float
        Portfolio value at each close.
    dates : DatetimeIndex
        The sessions of `equity`.

    Returns
    -------
    float
        ``(equity[-1] / equity[0]) ** (365.25 / days) - 1`` with `days` the calendar time from
        the first to the last date; NaN for fewer than two sessions or a non-positive value.

    References
    ----------
    empyrical.stats.cagr (which counts periods instead of calendar days).
    """
    e = np.asarray(equity, dtype=float)
    if e.size < 2 or e[0] <= 0 or e[-1] <= 0:
        return float("nan")
    days = (dates[-1] - dates[0]) / pd.Timedelta(days=1)
    if days <= 0:
        return float("nan")
    return float((e[-1] / e[0]) ** (DAYS_PER_YEAR / days) - 1.0)


def annual_volatility(returns: np.ndarray, periods: int = PERIODS_PER_YEAR) -> float:
    """Annualised standard deviation of returns.

    Parameters
    ----------
    returns : array of float
        Simple returns per session.
    periods : int
        Sessions per year.

    Returns
    -------
    float
        ``std(returns, ddof=1) * sqrt(periods)``; NaN for fewer than two returns.

    References
    ----------
    empyrical.stats.annual_volatility.
    """
    r = np.asarray(returns, dtype=float)
    if r.size < 2:
        return float("nan")
    return float(np.std(r, ddof=1) * np.sqrt(periods))


def sharpe_ratio(
    returns: np.ndarray, risk_free: np.ndarray | float = 0.0, periods: int = PERIODS_PER_YEAR
) -> float:
    """Annualised Sharpe ratio of returns in excess of the risk-free return.

    Parameters
    ----------
    returns : array of float
        Simple returns per session.
    risk_free : array of float or float
        Risk-free return per session (here: the T-bill cash account).
    periods : int
        Sessions per year.

    Returns
    -------
    float
        ``mean(excess) / std(excess, ddof=1) * sqrt(periods)``; NaN without dispersion.

    References
    ----------
    Sharpe, W. F. (1994), "The Sharpe Ratio", Journal of Portfolio Management 21(1);
    empyrical.stats.sharpe_ratio.
    """
    excess = np.asarray(returns, dtype=float) - risk_free
    if excess.size < 2:
        return float("nan")
    sd = np.std(excess, ddof=1)
    if not sd > _NO_DISPERSION:
        return float("nan")
    return float(np.mean(excess) / sd * np.sqrt(periods))


def sortino_ratio(
    returns: np.ndarray, risk_free: np.ndarray | float = 0.0, periods: int = PERIODS_PER_YEAR
) -> float:
    """Annualised Sortino ratio: mean excess return over downside deviation.

    Parameters
    ----------
    returns : array of float
        Simple returns per session.
    risk_free : array of float or float
        The required (risk-free) return per session.
    periods : int
        Sessions per year.

    Returns
    -------
    float
        ``mean(excess) * periods / (sqrt(mean(min(excess, 0)²)) * sqrt(periods))``; NaN when
        no return falls short.

    References
    ----------
    Sortino, F. and Price, L. (1994), "Performance measurement in a downside risk framework",
    Journal of Investing 3(3); empyrical.stats.sortino_ratio.
    """
    excess = np.asarray(returns, dtype=float) - risk_free
    if excess.size < 2:
        return float("nan")
    downside = np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2)) * np.sqrt(periods)
    if not downside > _NO_DISPERSION:
        return float("nan")
    return float(np.mean(excess) * periods / downside)


def drawdown_series(equity: np.ndarray) -> np.ndarray:
    """Drawdown at each close: equity over its running peak, minus one (≤ 0).

    The one drawdown rule of the product (backtest metrics and events, the report's curves and
    charts). A missing close (NaN) stays NaN and does not move the peak; while the running peak
    is not positive (a book whose value went below zero) the drawdown is 0, not a ratio of
    negative numbers.

    Parameters
    ----------
    equity : array of float
        Portfolio value at each close.

    Returns
    -------
    array of float
        ``equity / fmax.accumulate(equity) - 1``.
    """
    e = np.asarray(equity, dtype=float)
    if e.size == 0:
        return np.zeros(0)
    peak = np.fmax.accumulate(e)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(peak > 0, e / peak - 1.0, 0.0)
    return np.where(np.isfinite(e), out, np.nan)


class Drawdown(NamedTuple):
    """The deepest drawdown and where it starts (the peak) and ends (the trough)."""

    depth: float  # negative fraction, 0.0 without a drawdown
    peak: int  # session index
    trough: int


def max_drawdown(equity: np.ndarray) -> Drawdown:
    """Deepest peak-to-trough fall of `equity`.

    Parameters
    ----------
    equity : array of float
        Portfolio value at each close.

    Returns
    -------
    Drawdown
        depth (e.g. -0.568 for a 56.8 % fall), and the session indices of the peak and the
        trough; (0.0, 0, 0) for a series that never falls.

    References
    ----------
    empyrical.stats.max_drawdown.
    """
    dd = drawdown_series(equity)
    if dd.size == 0 or not np.nanmin(dd, initial=0.0) < 0:
        return Drawdown(0.0, 0, 0)
    trough = int(np.nanargmin(dd))
    e = np.asarray(equity, dtype=float)
    peak = int(np.nanargmax(e[: trough + 1]))
    return Drawdown(float(dd[trough]), peak, trough)


def calmar_ratio(cagr_value: float, max_drawdown_value: float) -> float:
    """CAGR over the magnitude of the maximum drawdown.

    Parameters
    ----------
    cagr_value : float
        Compound annual growth rate.
    max_drawdown_value : float
        Maximum drawdown, a negative fraction.

    Returns
    -------
    float
        ``cagr / -max_drawdown``; NaN without a drawdown.

    References
    ----------
    Young, T. W. (1991), "Calmar Ratio: A Smoother Tool", Futures 20(1);
    empyrical.stats.calmar_ratio.
    """
    if not max_drawdown_value < 0 or not np.isfinite(cagr_value):
        return float("nan")
    return float(cagr_value / -max_drawdown_value)


def worst_month(equity: np.ndarray, dates: pd.DatetimeIndex) -> tuple[str | None, float]:
    """Calendar month with the lowest return, from the previous month's last close.

    Parameters
    ----------
    equity : array of float
        Portfolio value at each close.
    dates : DatetimeIndex
        The sessions of `equity`.

    Returns
    -------
    (str, float)
        The month as "YYYY-MM" and its return; (None, NaN) for under two months of data. The
        first month counts from the first close.
    """
    e = pd.Series(np.asarray(equity, dtype=float), index=dates)
    month_end = e.groupby(dates.to_period("M")).last()
    if len(month_end) < 2:
        return None, float("nan")
    base = np.r_[e.iloc[0], month_end.to_numpy()[:-1]]
    returns = month_end.to_numpy() / base - 1.0
    i = int(np.argmin(returns))
    return str(month_end.index[i]), float(returns[i])

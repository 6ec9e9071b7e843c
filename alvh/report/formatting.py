"""Figures as report text: one place for units, rounding and signs (issue 6).

A minus is U+2212, as typeset text should have; a value that rounds to zero prints unsigned;
no value (None, NaN, ±inf, not a number) prints `n/a`. The report's context, its "what
changed" list and the backtest report all format through here.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from alvh.core.numbers import finite_or_none

__all__ = ["MINUS", "iso", "money", "money_k", "number", "percent"]

MINUS = "\u2212"


def _figure(x: Any, digits: int, signed: bool, unit: str = "") -> str:
    value = finite_or_none(x)
    if value is None:
        return "n/a"
    if round(value, digits) == 0:
        value = 0.0
    sign = MINUS if value < 0 else ("+" if signed and value > 0 else "")
    return f"{sign}{unit}{abs(value):,.{digits}f}"


def money(x: Any, digits: int = 0, signed: bool = False) -> str:
    """US dollars: `$1,234`, `−$1,234`, `+$1,234` when `signed`; `n/a` for no value."""
    return _figure(x, digits, signed, "$")


def money_k(x: Any) -> str:
    """Thousands of dollars for dense tables: `−22.0k`, `+0.6k`."""
    value = finite_or_none(x)
    if value is None:
        return "n/a"
    k = value / 1000.0
    if round(k, 1) == 0:
        return "0.0k"
    return f"{MINUS if k < 0 else '+'}{abs(k):,.1f}k"


def number(x: Any, digits: int = 2, signed: bool = False) -> str:
    """A plain number: `1,234.56`, `−0.50`, `+0.50` when `signed`; `n/a` for no value."""
    return _figure(x, digits, signed)


def percent(x: Any, digits: int = 1, signed: bool = False) -> str:
    """A fraction as a percentage: 0.125 → `12.5%`."""
    value = finite_or_none(x)
    return "n/a" if value is None else number(100 * value, digits, signed) + "%"


def iso(d: Any) -> str:
    """A date (or timestamp) as YYYY-MM-DD; `n/a` for None or NaN."""
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return "n/a"
    return pd.Timestamp(d).date().isoformat()

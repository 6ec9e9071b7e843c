"""Reading a number that may be missing: one rule for the report, its history and the signals."""

from __future__ import annotations

import math
from typing import Any


def finite_or_none(x: Any) -> float | None:
    """`x` as a float when it is a finite number; None for None, NaN, ±inf and non-numbers.

    Warehouse rows, JSON and numpy hand over missing values in all those forms; the report and
    the signals' readings show each of them as "no value", never as "nan".
    """
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None

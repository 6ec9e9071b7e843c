"""The market's own forward of one expiry, from put–call parity at the money (issue 11, item 3).

For a European call C and put P on the same strike K, C − P = e^{−rτ}(F − K), so each strike
quoted on both sides gives F = K + e^{rτ}(C − P). Near the money both mids are liquid and the
estimate is tightest; the forward is the median of the estimates of the `nearest` strikes
where |C − P| is smallest (one stale strike cannot move it).
"""

from __future__ import annotations

import numpy as np


def parity_forward(strike, call_mid, put_mid, tau: float, rate: float, nearest: int = 3) -> float:
    """Forward implied by call and put mids on the same strikes; NaN with no usable pair."""
    k, c, p = (np.asarray(a, dtype=float) for a in (strike, call_mid, put_mid))
    usable = np.isfinite(k) & np.isfinite(c) & np.isfinite(p)
    if not usable.any() or not tau >= 0:
        return float("nan")
    k, c, p = k[usable], c[usable], p[usable]
    closest = np.argsort(np.abs(c - p), kind="stable")[:nearest]
    return float(np.median(k[closest] + np.exp(rate * tau) * (c[closest] - p[closest])))

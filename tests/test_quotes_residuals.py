"""`alvh quotes residuals` (issue 11, item 3): the parity forward and market IVs against
QuantLib, and the model-vs-market table of a real day (the 2023-09-01 slice) on a warehouse
loaded from the bundled snapshot."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import QuantLib as ql

from alvh.book.residuals import quote_residuals
from alvh.core.errors import UsageError
from alvh.data.quotes.importer import import_quotes
from alvh.model.parity import parity_forward
from alvh.model.vol_residuals import market_iv_and_delta, residual_summary
from alvh.store.warehouse import connect

FIXTURES = Path(__file__).parent / "fixtures" / "option_chains"
DAY = date(2023, 9, 1)


def black(kind, strike, forward, vol, tau, rate):
    payoff = ql.PlainVanillaPayoff(kind, strike)
    calc = ql.BlackCalculator(payoff, forward, vol * np.sqrt(tau), np.exp(-rate * tau))
    return calc.value(), calc.deltaForward() / np.exp(-rate * tau)


def test_parity_forward_and_market_iv_match_quantlib():
    forward, tau, rate = 4521.3, 28 / 365, 0.053
    strikes = np.arange(4300.0, 4750.0, 25.0)
    vols = 0.14 - 0.25 * np.log(strikes / forward)  # a skew: parity must not care
    calls = [
        black(ql.Option.Call, k, forward, v, tau, rate) for k, v in zip(strikes, vols, strict=True)
    ]
    puts = [
        black(ql.Option.Put, k, forward, v, tau, rate) for k, v in zip(strikes, vols, strict=True)
    ]
    call_price = np.array([c[0] for c in calls])
    put_price = np.array([p[0] for p in puts])
    assert parity_forward(strikes, call_price, put_price, tau, rate) == pytest.approx(forward)
    iv, delta = market_iv_and_delta(
        np.concatenate([call_price, put_price]),
        forward,
        np.concatenate([strikes, strikes]),
        tau,
        rate,
        np.repeat([True, False], len(strikes)),
    )
    assert np.allclose(iv, np.concatenate([vols, vols]), atol=1e-9)
    expected = [c[1] for c in calls] + [p[1] for p in puts]
    assert np.allclose(delta, expected, atol=1e-9)


def test_parity_forward_ignores_one_stale_strike():
    strikes = np.array([4400.0, 4450.0, 4500.0, 4550.0])
    call = np.array([130.0, 90.0, 55.0, 28.0])
    put = call - (4500.0 - strikes)  # forward 4500, no discounting
    put[2] = 80.0  # one stale put at the money
    assert parity_forward(strikes, call, put, 0.0, 0.0, nearest=3) == pytest.approx(4500.0)


def test_the_summary_buckets_out_of_the_money_options_by_delta_and_tenor():
    import pandas as pd

    options = pd.DataFrame(
        {
            "type": ["P", "P", "C", "C"],
            "strike": [4300.0, 4600.0, 4700.0, 4400.0],
            "forward": 4500.0,
            "market_iv": [0.20, 0.10, 0.12, 0.15],
            "model_iv": [0.21, 0.50, 0.115, 0.50],
            "delta": [-0.15, -0.7, 0.12, 0.7],
            "days": [30, 30, 10, 30],
        }
    )
    summary = residual_summary(options)
    # the in-the-money put and call (errors of 40 and 35 points) are left out
    assert summary["n"] == 2 and summary["median_abs_error"] == pytest.approx(0.75)
    assert [(b["side"], b["delta"], b["tenor_days"]) for b in summary["buckets"]] == [
        ("puts", "10-20", "22-45"),
        ("calls", "10-20", "7-21"),
    ]


@pytest.fixture
def day_con(snapshot_warehouse, tmp_path):
    path = tmp_path / "alvh.duckdb"
    shutil.copy(snapshot_warehouse, path)
    con = connect(path)
    import_quotes(con, FIXTURES / "cboe_quote_table_spx_2023-09-01_cut.csv", date(2026, 12, 3))
    yield con
    con.close()


def test_residuals_of_a_real_day(day_con):
    result = quote_residuals(day_con, DAY)
    options = result.options
    assert set(options["days"]) == {10, 14, 28, 49}  # 7–60 days only; 2023-09-08 is not cut
    assert (options["bid"] > 0).all() and (options["ask"] >= options["bid"]).all()
    # The market's forward sits near the index (4515.77 in the file's header), rising with tenor.
    spx = result.forwards[result.forwards["root"] == "SPXW"].sort_values("days")
    assert spx["forward"].between(4500, 4560).all() and spx["forward"].is_monotonic_increasing
    # On the parity forward, call and put of a strike near the money have the same market IV.
    near = options[(options["strike"] - options["forward"]).abs() < 30]
    paired = near.pivot_table(
        index=["root", "expiry", "strike"], columns="type", values="market_iv"
    )
    assert (paired["C"] - paired["P"]).abs().max() < 0.005
    summary = result.summary["SPX"]
    assert summary["n"] > 50 and -3 < summary["median_error"] < 3
    out = result.as_json()
    assert out["as_of"] == "2023-09-01" and out["source"].endswith("_cut.csv")
    assert out["forward"] == pytest.approx(float(spx[spx["days"] == 28]["forward"].iloc[0]))
    row = out["options"][0]
    assert {"root", "expiry", "strike", "type", "bid", "ask", "mid"} <= set(row)
    assert {"market_iv", "model_iv", "model_price", "delta"} <= set(row)
    assert row["underlying"] == "SPX" and row["mid"] == pytest.approx((row["bid"] + row["ask"]) / 2)


def test_a_day_without_quotes_is_a_usage_error(day_con):
    with pytest.raises(UsageError, match="no option quotes stored for 2023-08-31"):
        quote_residuals(day_con, date(2023, 8, 31))

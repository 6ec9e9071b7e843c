"""The series catalogue: what the method needs, where each series comes from, and its rules.

One entry per series. Each names its snapshot file and column, its live publisher (Cboe daily
prices or FRED) where one exists, the plausible range a value must fall in (method §1 and the
foundation issue: prices > 0, VIX family in [5, 200], rates in [-5, 25] %), and the rule that
dates when a value became known (see `alvh.data.publication`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Frequency = Literal["daily", "monthly"]
KnownRule = Literal["same_day", "next_trading_day", "cpi_release", "ppi_release", "month_lag"]

CBOE_PAGE = "https://www.cboe.com/tradable_products/vix/vix_historical_data/"
FRED_PAGE = "https://fred.stlouisfed.org/series/{series}"


@dataclass(frozen=True)
class SnapshotColumn:
    """Where a series sits in the bundled snapshot.

    `withhold_flag` names a boolean column of the file: rows where it is True carry a value the
    provenance notes mark as known-bad (e.g. Cboe's early VIX opens outside [low, high]); they are
    withheld, counted and reported, never loaded.
    """

    file: str
    column: str
    withhold_flag: str | None = None


@dataclass(frozen=True)
class LiveColumn:
    """Where a series sits at a live publisher: `cboe` symbol file or `fred` series."""

    publisher: Literal["cboe", "fred"]
    key: str
    column: str


@dataclass(frozen=True)
class SeriesSpec:
    series_id: str
    description: str
    unit: str
    frequency: Frequency
    publisher: str
    source_url: str
    snapshot: SnapshotColumn
    low: float
    high: float
    known: KnownRule = "same_day"
    live: LiveColumn | None = None


def _cboe(symbol: str, column: str) -> LiveColumn:
    return LiveColumn("cboe", symbol, column)


def _fred(series: str) -> LiveColumn:
    return LiveColumn("fred", series, "value")


_VOL = "cboe_vol_indices_daily.csv"
_MACRO = "macro/{}.csv"
_SHILLER = "sp500_shiller_monthly.csv"
_BREADTH = "nyse_breadth_proxy_daily.csv"
_SHILLER_URL = "http://www.econ.yale.edu/~shiller/data.htm"
_CBOE_PUB = "Cboe Global Markets"
_FRED_PUB = "FRED, Federal Reserve Bank of St. Louis"


def _vol_index(series_id: str, description: str, column: str, low: float, high: float):
    return SeriesSpec(
        series_id,
        description,
        "index points",
        "daily",
        _CBOE_PUB,
        CBOE_PAGE,
        SnapshotColumn(_VOL, column),
        low,
        high,
        live=_cboe(series_id, "close"),
    )


def _fred_series(
    series_id: str,
    description: str,
    unit: str,
    freq: Frequency,
    low: float,
    high: float,
    known: KnownRule = "same_day",
) -> SeriesSpec:
    return SeriesSpec(
        series_id,
        description,
        unit,
        freq,
        _FRED_PUB,
        FRED_PAGE.format(series=series_id),
        SnapshotColumn(_MACRO.format(series_id), series_id.lower()),
        low,
        high,
        known,
        _fred(series_id),
    )


RATE_LOW, RATE_HIGH = -5.0, 25.0
VIX_LOW, VIX_HIGH = 5.0, 200.0

SERIES: tuple[SeriesSpec, ...] = (
    SeriesSpec(
        "SPX",
        "S&P 500 index, close",
        "index points",
        "daily",
        "S&P Dow Jones Indices (via Yahoo ^GSPC; live: Cboe)",
        CBOE_PAGE,
        SnapshotColumn("spx_daily.csv", "close"),
        0.01,
        1e6,
        live=_cboe("SPX", "close"),
    ),
    SeriesSpec(
        "SPX_OPEN",
        "S&P 500 index, open (proxy for the AM settlement, method §7)",
        "index points",
        "daily",
        "S&P Dow Jones Indices (via Yahoo ^GSPC; live: Cboe)",
        CBOE_PAGE,
        SnapshotColumn("spx_daily.csv", "open"),
        0.01,
        1e6,
    ),
    # Cboe's SPX_History.csv carries closes only (DATE,SPX), so the open has no live publisher.
    _vol_index("VIX", "Cboe Volatility Index (30-day), close", "vix", VIX_LOW, VIX_HIGH),
    SeriesSpec(
        "VIX_OPEN",
        "Cboe Volatility Index, open (proxy for VIX settlement, method §7)",
        "index points",
        "daily",
        _CBOE_PUB,
        CBOE_PAGE,
        SnapshotColumn("vix_daily.csv", "open", withhold_flag="ohlc_inconsistent"),
        VIX_LOW,
        VIX_HIGH,
        live=_cboe("VIX", "open"),
    ),
    _vol_index("VIX9D", "Cboe 9-day Volatility Index, close", "vix9d", VIX_LOW, VIX_HIGH),
    _vol_index("VIX3M", "Cboe 3-month Volatility Index, close", "vix3m", VIX_LOW, VIX_HIGH),
    _vol_index("VIX6M", "Cboe 6-month Volatility Index, close", "vix6m", VIX_LOW, VIX_HIGH),
    # VVIX printed 207.6 on 2015-08-24 and SKEW lives around 100-180: the VIX-family range of
    # [5, 200] would reject real values, so these two carry their own plausible ranges.
    _vol_index("VVIX", "Cboe VIX of VIX, close", "vvix", 20.0, 400.0),
    _vol_index("SKEW", "Cboe SKEW Index, close", "skew", 50.0, 300.0),
    _fred_series(
        "DTB3",
        "3-month Treasury bill, secondary market rate",
        "percent",
        "daily",
        RATE_LOW,
        RATE_HIGH,
    ),
    _fred_series(
        "DGS3MO",
        "3-month Treasury constant maturity yield",
        "percent",
        "daily",
        RATE_LOW,
        RATE_HIGH,
    ),
    _fred_series(
        "DGS2", "2-year Treasury constant maturity yield", "percent", "daily", RATE_LOW, RATE_HIGH
    ),
    _fred_series(
        "DGS10", "10-year Treasury constant maturity yield", "percent", "daily", RATE_LOW, RATE_HIGH
    ),
    # The effective fed funds rate for day D is published the next business morning.
    _fred_series(
        "DFF",
        "Effective federal funds rate",
        "percent",
        "daily",
        RATE_LOW,
        RATE_HIGH,
        known="next_trading_day",
    ),
    _fred_series(
        "DEXJPUS",
        "Japanese yen per US dollar, noon buying rate",
        "JPY per USD",
        "daily",
        50.0,
        500.0,
    ),
    _fred_series(
        "CPIAUCSL",
        "CPI, all urban consumers, seasonally adjusted",
        "index 1982-84=100",
        "monthly",
        1.0,
        10_000.0,
        known="cpi_release",
    ),
    _fred_series(
        "PPIFIS",
        "PPI, final demand",
        "index Nov 2009=100",
        "monthly",
        1.0,
        10_000.0,
        known="ppi_release",
    ),
    _fred_series(
        "PPIACO",
        "PPI, all commodities",
        "index 1982=100",
        "monthly",
        1.0,
        10_000.0,
        known="ppi_release",
    ),
    SeriesSpec(
        "CAPE",
        "Shiller cyclically adjusted P/E (CAPE)",
        "ratio",
        "monthly",
        "Robert Shiller, Yale",
        _SHILLER_URL,
        SnapshotColumn(_SHILLER, "cape"),
        1.0,
        100.0,
        known="month_lag",
    ),
    SeriesSpec(
        "SHILLER_PRICE",
        "S&P 500 monthly average price (Shiller)",
        "index points",
        "monthly",
        "Robert Shiller, Yale",
        _SHILLER_URL,
        SnapshotColumn(_SHILLER, "sp500_price"),
        0.01,
        1e6,
        known="month_lag",
    ),
    SeriesSpec(
        "SHILLER_DIVIDEND",
        "S&P 500 trailing 12-month dividend (Shiller)",
        "index points",
        "monthly",
        "Robert Shiller, Yale",
        _SHILLER_URL,
        SnapshotColumn(_SHILLER, "dividend_12m"),
        0.0,
        1e4,
        known="month_lag",
    ),
    SeriesSpec(
        "SHILLER_EARNINGS",
        "S&P 500 trailing 12-month earnings (Shiller)",
        "index points",
        "monthly",
        "Robert Shiller, Yale",
        _SHILLER_URL,
        SnapshotColumn(_SHILLER, "earnings_12m"),
        -1e4,
        1e4,
        known="month_lag",
    ),
    SeriesSpec(
        "NYSE_ADVANCERS",
        "NYSE advancing issues (proxy universe, not official)",
        "issues",
        "daily",
        "shoppafund (derived, see PROVENANCE.md)",
        _BREADTH,
        SnapshotColumn(_BREADTH, "nyse_advancers"),
        0.0,
        10_000.0,
    ),
    SeriesSpec(
        "NYSE_DECLINERS",
        "NYSE declining issues (proxy universe, not official)",
        "issues",
        "daily",
        "shoppafund (derived, see PROVENANCE.md)",
        _BREADTH,
        SnapshotColumn(_BREADTH, "nyse_decliners"),
        0.0,
        10_000.0,
    ),
)

SERIES_BY_ID = {spec.series_id: spec for spec in SERIES}

# Tables that are not single series: VIX futures per contract and the event calendars.
VIX_FUTURES_FILE = "vix_futures_contracts_daily.csv.gz"
FOMC_FILE = "events/fomc_decision_dates.csv"
CPI_RELEASE_FILE = "events/cpi_release_dates.csv"

# Releases not in the bundled calendar are dated conservatively: the first trading day on or
# after this day of the month following the reference month. The latest CPI release in the
# bundled BLS calendar fell on the 26th (Feb 2015), so the 27th is later than every listed one.
# Shutdowns can delay a release further (Sep-2013 CPI came out on 30 Oct); such months belong in
# the calendar file, which wins over this rule.
CONSERVATIVE_RELEASE_DAY = 27

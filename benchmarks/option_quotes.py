"""The shared real option quotes (../shared/data/option_chains/) as one frame, for the calibration.

Imported by `fit_market_model.py` (a script's own directory is first on `sys.path`). The files
are read from the shared folder at run time and never copied into the repository (their terms:
PROVENANCE.md there), through the product's quote importers where one reads the file. One row
per option quote: as_of, root, expiry, strike, type (C/P), bid, ask, source (the file's name).
Only files whose quotes are a close or a stated fixed time are read; the 2011 intraday snapshot
is left out (its VIX would not be that moment's).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd


def _chains_folder() -> Path:
    """$ALVH_OPTION_CHAINS, else the nearest `shared/data/option_chains` above this script (the
    repository's `../shared`, also from a worktree further down)."""
    if os.environ.get("ALVH_OPTION_CHAINS"):
        return Path(os.environ["ALVH_OPTION_CHAINS"])
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared/data/option_chains").is_dir():
            return parent / "shared/data/option_chains"
    raise SystemExit("no shared/data/option_chains folder found: set ALVH_OPTION_CHAINS")


CHAINS = _chains_folder()
COLUMNS = ["as_of", "root", "expiry", "strike", "type", "bid", "ask", "source"]

# Read by the product's importers (`alvh.data.quotes.read_quotes`): name, root for files without
# one. The 2011 intraday snapshot is not a close and is left out; the side-by-side chain states
# no time and is taken as its day's close, as `alvh quotes import --as-of 2025-09-03` would.
IMPORTED = (
    ("cboe_quote_table_spx_2020-09-04.dat", None),
    ("cboe_quote_table_spx_2022-01-07.csv", None),
    ("cboe_quote_table_spx_2022-02-04.csv", None),
    ("cboe_quote_table_spx_2023-04-14.csv", None),
    ("cboe_quote_table_spx_2023-05-05.csv", None),
    ("cboe_quote_table_spx_2023-09-01.csv", None),
    ("hod_l2_spxw_2018-01-02_to_2018-02-28.csv", None),
    ("datashop_1545_spxw_2019-06-26.csv", "SPXW"),
    ("chain_spxw_2025-09-03_time-unknown.csv", "SPXW"),
)


def spx_quotes(folder: Path = CHAINS) -> pd.DataFrame:
    """Every SPX/SPXW quote of the shared files, one row per option and day."""
    from alvh.data.quotes.reader import read_quotes

    frames = []
    for name, root in IMPORTED:
        frames.append(read_quotes(folder / name, root=root).frame.assign(source=name))
    out = pd.concat([f[COLUMNS] for f in frames], ignore_index=True)
    out = out[out["root"].isin(["SPX", "SPXW"])]
    return out.dropna(subset=["strike", "bid", "ask"]).reset_index(drop=True)


def _with_inputs(quotes: pd.DataFrame, snapshot: Path) -> pd.DataFrame:
    """Add tau (calendar days / 365), the 3-month T-bill rate known that day and the VIX family
    (with VVIX and the Cboe SKEW index, for the error breakdown)."""
    q = quotes.copy()
    q["tau"] = (q["expiry"] - q["as_of"]).dt.days / 365.0
    rates = pd.read_csv(snapshot / "macro/DTB3.csv", parse_dates=["date"]).dropna()
    rates = rates.set_index("date")["DTB3"]
    days = rates.index.union(pd.DatetimeIndex(q["as_of"].unique()))
    q["rate"] = rates.reindex(days).ffill().loc[q["as_of"]].to_numpy() / 100.0
    vol = pd.read_csv(snapshot / "cboe_vol_indices_daily.csv", parse_dates=["date"])
    family = vol[["date", "vix", "vix9d", "vix3m", "vix6m", "vvix", "skew"]]
    return q.merge(family.rename(columns={"date": "as_of"}), on="as_of", how="inner")


def spx_calibration_options(snapshot: Path, days: tuple[int, int] = (7, 60)) -> pd.DataFrame:
    """SPX options of the shared files ready for `alvh.model.calibration` (7–60 days out).

    Where a third-Friday expiry lists both roots, the AM-settled SPX is kept (the condor the
    backtest sells); each option once per day.
    """
    from alvh.model.calibration import market_options
    from alvh.model.day_surface import fit_quotes

    return market_options(_with_inputs(fit_quotes(spx_quotes(), days), snapshot))


VIX_FILE = "datashop_eod_quotes_vix_2016-06-01.csv"


def vix_calibration_options(snapshot: Path, days: tuple[int, int] = (7, 200)) -> pd.DataFrame:
    """The VIX options of the 2016-06-01 close (DataShop EOD), with the same-expiry VX settlement
    as `vx_settle` beside the parity forward that `market_options` finds."""
    from alvh.data.quotes.reader import read_quotes
    from alvh.model.calibration import market_options

    q = read_quotes(CHAINS / VIX_FILE).frame
    q = q[q["root"] == "VIX"].assign(source=VIX_FILE)
    dte = (q["expiry"] - q["as_of"]).dt.days
    options = market_options(_with_inputs(q[(dte >= days[0]) & (dte <= days[1])], snapshot))
    futures = pd.read_csv(
        snapshot / "vix_futures_contracts_daily.csv.gz", parse_dates=["date", "expiry"]
    )
    futures = futures[futures["date"].isin(options["as_of"].unique())]
    settle = futures.set_index(["date", "expiry"])["settle"]
    keys = pd.MultiIndex.from_frame(options[["as_of", "expiry"]])
    return options.assign(vx_settle=settle.reindex(keys).to_numpy())

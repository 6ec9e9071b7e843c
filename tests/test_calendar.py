"""NYSE sessions and SPX/VIX expiries (method §1), checked against the bundled real data."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.core import calendar as cal
from alvh.core.errors import UsageError
from alvh.core.resources import snapshot_dir

# ---------------------------------------------------------------------------------------------
# Against the bundled real data


@pytest.fixture(scope="module")
def vx_contracts() -> pd.DataFrame:
    """One row per VX contract: its expiry as the file states it, and where it came from."""
    raw = pd.read_csv(
        snapshot_dir() / "vix_futures_contracts_daily.csv.gz",
        usecols=["date", "contract_month", "expiry", "source"],
        dtype=str,
    )
    raw["source"] = raw["source"].str.split().str[0]
    return raw.groupby("contract_month").agg(
        expiry=("expiry", lambda s: sorted(set(s.dropna()))),
        source=("source", lambda s: "+".join(sorted(set(s)))),
    )


def test_vix_expiry_rule_matches_every_bundled_vx_contract(vx_contracts):
    # method §1. athruin expiries are the contract file's last trade date; raflemin's are
    # explicit. Both are independent of our rule, so every contract is a real check.
    assert (vx_contracts["expiry"].str.len() == 1).all(), "a contract with two expiries"
    checked, mismatches = 0, []
    for month, row in vx_contracts.iterrows():
        year, mon = map(int, month.split("-"))
        expected = date.fromisoformat(row["expiry"][0])
        got = cal.vix_expiry(year, mon)
        checked += 1
        if got != expected:
            mismatches.append(f"{month}: file {expected}, rule {got} ({row['source']})")
    assert not mismatches, "\n".join(mismatches)
    # 227 monthly contracts, Jan-2008 .. Nov-2026, at the time of writing.
    assert checked >= 220
    assert {"athruin/ReconstructVXX", "raflemin12/scrape_vx_futures"} <= set(
        vx_contracts["source"].str.split("+").explode()
    )


@pytest.fixture(scope="module")
def spx_dates() -> pd.DatetimeIndex:
    frame = pd.read_csv(snapshot_dir() / "spx_daily.csv", usecols=["date"])
    return pd.DatetimeIndex(pd.to_datetime(frame["date"]))


def _session_diff(spx_dates: pd.DatetimeIndex, start: str) -> tuple[list, list]:
    dates = spx_dates[spx_dates >= start]
    sessions = cal.trading_days(dates[0], dates[-1])
    only_data = [d.date() for d in dates.difference(sessions)]
    only_xnys = [d.date() for d in sessions.difference(dates)]
    return only_data, only_xnys


def test_spx_file_dates_equal_xnys_sessions_since_1990(spx_dates):
    only_data, only_xnys = _session_diff(spx_dates, "1990-01-02")
    assert only_data == [] and only_xnys == [], (only_data, only_xnys)


def test_spx_file_dates_equal_xnys_sessions_over_full_history(spx_dates):
    # Needs the pre-1970 regular-holiday repair in alvh.core.calendar (exchange_calendars drops it).
    assert spx_dates[0] == pd.Timestamp("1927-12-30")
    only_data, only_xnys = _session_diff(spx_dates, "1927-12-30")
    assert only_data == [] and only_xnys == [], (only_data[:20], only_xnys[:20])


@pytest.mark.parametrize(
    "closed",
    [
        "2001-09-11",
        "2001-09-12",
        "2001-09-13",
        "2001-09-14",  # 9/11
        "2007-01-02",  # President Ford's funeral
        "2012-10-29",
        "2012-10-30",  # Hurricane Sandy
        "2018-12-05",  # President G.H.W. Bush's funeral
        "2025-01-09",  # President Carter's funeral
        "2022-06-20",  # first Juneteenth observed (Monday)
        "1951-12-25",
        "1950-02-22",
        "1963-11-25",  # pre-1970 regular and ad-hoc holidays
    ],
)
def test_known_closures_are_not_sessions(closed):
    assert not cal.is_trading_day(closed)


# ---------------------------------------------------------------------------------------------
# Expiry rules


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2018, 2, date(2018, 2, 14)),
        (2020, 3, date(2020, 3, 18)),
        (2024, 8, date(2024, 8, 21)),
        (2026, 5, date(2026, 5, 19)),  # June SPX expiry moves to Thu 06-18 (Juneteenth)
        (2024, 6, date(2024, 6, 18)),  # Wed 06-19 is Juneteenth itself
        (2008, 2, date(2008, 2, 19)),  # March SPX expiry moves to Thu 03-20 (Good Friday)
    ],
)
def test_vix_expiry_known_dates(year, month, expected):
    assert cal.vix_expiry(year, month) == expected


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2024, 8, date(2024, 8, 16)),  # ordinary third Friday
        (2025, 4, date(2025, 4, 17)),  # Good Friday 04-18
        (2026, 6, date(2026, 6, 18)),  # Juneteenth 06-19
        (2008, 3, date(2008, 3, 20)),  # Good Friday 03-21
        (2014, 4, date(2014, 4, 17)),  # Good Friday 04-18
        (2026, 2, date(2026, 2, 20)),  # month starting on a Sunday
        (2026, 5, date(2026, 5, 15)),  # month starting on a Friday: third Friday is the 15th
    ],
)
def test_spx_monthly_expiry(year, month, expected):
    assert cal.spx_monthly_expiry(year, month) == expected


def test_every_expiry_is_a_session_in_its_own_month():
    # next_*_expiry and vix_expiries rely on each contract expiring inside its own month.
    for year in range(1950, cal.calendar_end().year):
        for month in range(1, 13):
            spx, vix = cal.spx_monthly_expiry(year, month), cal.vix_expiry(year, month)
            assert (spx.year, spx.month) == (year, month) and (vix.year, vix.month) == (year, month)
            assert cal.is_trading_day(spx) and cal.is_trading_day(vix)
            third_friday = next(
                date(year, month, d) for d in range(15, 22) if date(year, month, d).weekday() == 4
            )
            if cal.is_trading_day(third_friday):
                assert spx == third_friday
            else:
                assert spx == cal.previous_trading_day(third_friday)
            following = (year + 1, 1) if month == 12 else (year, month + 1)
            next_spx = cal.spx_monthly_expiry(*following)
            assert (next_spx - vix).days in (30, 31)  # 31 when the 30th day is a holiday


def test_expiry_lists_and_next_expiry():
    assert cal.spx_expiries("2025-04-01", "2025-06-30") == [
        date(2025, 4, 17),
        date(2025, 5, 16),
        date(2025, 6, 20),
    ]
    assert cal.spx_expiries("2025-04-18", "2025-05-16") == [date(2025, 5, 16)]  # both ends in
    assert cal.vix_expiries("2024-06-01", "2024-08-31") == [
        date(2024, 6, 18),
        date(2024, 7, 17),
        date(2024, 8, 21),
    ]
    assert cal.vix_expiries("2024-06-19", "2024-07-16") == []
    assert cal.next_vix_expiry("2026-05-19") == date(2026, 5, 19)  # on the day: itself
    assert cal.next_vix_expiry("2026-05-20") == date(2026, 6, 17)
    assert cal.next_vix_expiry("2026-05-01", min_days=30) == date(2026, 6, 17)
    assert cal.next_spx_expiry(date(2026, 6, 18)) == date(2026, 6, 18)
    assert cal.next_spx_expiry(date(2026, 6, 18), min_days=1) == date(2026, 7, 17)
    assert cal.next_spx_expiry("2025-12-20") == date(2026, 1, 16)  # year roll


def test_bad_month_rejected():
    with pytest.raises(ValueError):
        cal.vix_expiry(2024, 13)
    with pytest.raises(ValueError):
        cal.spx_monthly_expiry(2024, 0)


# ---------------------------------------------------------------------------------------------
# Trading-day arithmetic


def test_neighbours_and_latest():
    assert cal.previous_trading_day("2025-01-10") == date(2025, 1, 8)  # skips Carter closure
    assert cal.next_trading_day("2025-01-08") == date(2025, 1, 10)
    assert cal.previous_trading_day("2024-12-26") == date(2024, 12, 24)  # skips Christmas
    assert cal.next_trading_day("2024-11-27") == date(2024, 11, 29)  # skips Thanksgiving
    assert cal.latest_trading_day("2025-04-18") == date(2025, 4, 17)  # Good Friday
    assert cal.latest_trading_day("2025-04-17") == date(2025, 4, 17)  # a session: itself
    assert cal.latest_trading_day("2024-06-16") == date(2024, 6, 14)  # Sunday


@pytest.mark.parametrize(
    ("earlier", "later", "n"),
    [
        ("2024-06-14", "2024-06-17", 1),  # Fri → Mon across a weekend
        ("2024-06-14", "2024-06-20", 3),  # across Juneteenth (Wed)
        ("2024-11-27", "2024-11-29", 1),  # across Thanksgiving
        ("2024-12-20", "2025-01-02", 7),  # across Christmas and New Year
        ("2025-01-08", "2025-01-10", 1),  # across the 2025-01-09 closure
        ("2024-06-15", "2024-06-17", 1),  # from a Saturday
        ("2024-06-14", "2024-06-16", 0),  # to a Sunday: nothing new yet
        ("2024-06-17", "2024-06-17", 0),  # same day
        ("2024-06-18", "2024-06-17", 0),  # reversed
        ("2001-09-10", "2001-09-17", 1),  # 9/11 closure week
    ],
)
def test_trading_days_between_staleness(earlier, later, n):
    assert cal.trading_days_between(earlier, later) == n


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2024-06-14", 1, date(2024, 6, 17)),
        ("2024-06-14", 3, date(2024, 6, 20)),  # skips Juneteenth
        ("2024-06-20", -3, date(2024, 6, 14)),
        ("2024-06-15", 1, date(2024, 6, 17)),  # Saturday start: strict both ways
        ("2024-06-15", -1, date(2024, 6, 14)),
        ("2024-06-15", 0, date(2024, 6, 14)),  # n = 0 rolls back to the latest session
        ("2024-06-14", 0, date(2024, 6, 14)),
        ("2025-01-02", -2, date(2024, 12, 30)),
        ("2024-01-02", 252, date(2025, 1, 2)),  # 2024 had 252 sessions
    ],
)
def test_add_trading_days(start, n, expected):
    assert cal.add_trading_days(start, n) == expected


def test_add_and_count_are_consistent():
    for start in pd.date_range("2024-11-20", "2025-01-15"):
        for n in (1, 2, 5, 21):
            assert cal.trading_days_between(start, cal.add_trading_days(start, n)) == n


def test_trading_days_inclusive_range():
    days = cal.trading_days("2025-01-06", "2025-01-10")
    assert isinstance(days, pd.DatetimeIndex)
    assert [d.date() for d in days] == [
        date(2025, 1, 6),
        date(2025, 1, 7),
        date(2025, 1, 8),
        date(2025, 1, 10),
    ]
    assert cal.trading_days("2025-01-11", "2025-01-12").empty
    assert cal.trading_days("2025-01-10", "2025-01-06").empty
    assert len(cal.trading_days("2024-01-01", "2024-12-31")) == 252


# ---------------------------------------------------------------------------------------------
# Inputs and vectorised variants


@pytest.mark.parametrize(
    "value",
    [
        date(2024, 6, 18),
        datetime(2024, 6, 18, 16, 15),
        pd.Timestamp("2024-06-18"),
        pd.Timestamp("2024-06-18 16:15", tz="America/New_York"),  # wall date kept
        np.datetime64("2024-06-18"),
        np.datetime64("2024-06-18T16:15:00"),
        "2024-06-18",
        " 2024-06-18T16:15:00 ",
    ],
)
def test_input_types(value):
    assert cal.as_date(value) == date(2024, 6, 18)
    assert cal.is_trading_day(value)
    assert cal.next_trading_day(value) == date(2024, 6, 20)
    assert isinstance(cal.previous_trading_day(value), date)
    assert not isinstance(cal.previous_trading_day(value), datetime)


def test_bad_inputs():
    with pytest.raises(ValueError):
        cal.as_date("18/06/2024")
    with pytest.raises(ValueError):
        cal.as_date(pd.NaT)
    with pytest.raises(TypeError):
        cal.as_date(None)
    with pytest.raises(TypeError):
        cal.as_date(20240618)
    # Outside the built range: a usage error (exit code 2) that is also a ValueError.
    for outside in ("1926-12-31", cal.calendar_end() + timedelta(days=1)):
        with pytest.raises(cal.OutsideCalendarError) as info:
            cal.is_trading_day(outside)
        assert isinstance(info.value, UsageError) and isinstance(info.value, ValueError)
        assert info.value.exit_code == 2


def test_calendar_covers_spx_history_and_the_future():
    assert cal.CALENDAR_START <= date(1927, 12, 30)
    assert cal.previous_trading_day("1927-12-30") == date(1927, 12, 29)
    assert cal.calendar_end() >= date(date.today().year + 3, 12, 31)
    assert cal.vix_expiry(date.today().year + 3, 12)  # long-dated schedules resolve


def test_vectorised_variants_agree_with_scalars():
    days = pd.date_range("2024-06-01", "2025-01-31")
    mask = cal.trading_day_mask(days)
    assert mask.tolist() == [cal.is_trading_day(d) for d in days]
    latest = cal.latest_trading_days(days)
    assert [d.date() for d in latest] == [cal.latest_trading_day(d) for d in days]
    stale = cal.trading_days_between_many(days, "2025-01-31")
    assert stale.tolist() == [cal.trading_days_between(d, "2025-01-31") for d in days]
    # NaT and strings in a Series; the scalar form broadcasts.
    assert cal.trading_day_mask(pd.Series(["2025-01-09", "2025-01-10", None])).tolist() == [
        False,
        True,
        False,
    ]
    rolled = cal.latest_trading_days(["2025-01-12", None])
    assert rolled[0] == pd.Timestamp("2025-01-10") and pd.isna(rolled[1])
    assert cal.trading_days_between_many("2025-01-10", ["2025-01-09", "2025-01-13"]).tolist() == [
        0,
        1,
    ]
    with pytest.raises(cal.OutsideCalendarError):
        cal.trading_day_mask(["1900-01-02"])


def test_import_is_lazy():
    # The CLI imports this module on every start: the calendar is built on first use only.
    code = (
        "import sys, alvh.core.calendar as c; "
        "assert 'exchange_calendars' not in sys.modules; "
        "assert c._sessions.cache_info().currsize == 0"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


def test_cached_sessions_are_what_the_calendar_code_builds(tmp_path, monkeypatch):
    # Sessions are cached on disk (`_sessions`). The tests above read that cache, so it must
    # equal a fresh build, and a change to this module's code must not be served the sessions
    # an older version cached (a fixed holiday rule would otherwise never take effect).
    np.testing.assert_array_equal(cal._sessions(), cal._build_sessions())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    before = cal._cache_file()
    assert before is not None and before.parent == tmp_path / "alvh"
    edited = tmp_path / "calendar.py"
    edited.write_bytes(Path(cal.__file__).read_bytes() + b"\n# a fixed holiday rule\n")
    monkeypatch.setattr(cal, "__file__", str(edited))
    assert cal._cache_file() != before

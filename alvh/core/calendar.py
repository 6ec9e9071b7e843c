"""NYSE trading days and the SPX / VIX monthly expiries (method §1, Conventions).

Method §1: `as_of` is an NYSE trading date; SPX monthly expiry = third Friday, or the previous
trading day when that Friday is a holiday; VIX expiry = 30 calendar days before the *next* month's
(holiday-adjusted) SPX expiry, or the previous trading day when that day is itself a holiday.

Sessions come from the maintained `exchange_calendars` package (calendar "XNYS"), never from a
hand-written holiday list. Two facts about that package shape the code below:

* XNYS has no lower bound (`bound_min()` is None), so it can be built from any start; we build it
  from `CALENDAR_START` so the whole S&P 500 history (first row 1927-12-30) is covered.
* Before 1970 it silently drops its own *regular* holidays (Christmas, July 4th, Washington's
  Birthday, ...) because it hands the rules to pandas' `CustomBusinessDay`, which evaluates them
  only from `AbstractHolidayCalendar.start_date` = 1970-01-01. We remove the same package's
  regular holidays, evaluated over our explicit range, from its sessions. That is a no-op from 1970
  on; with it, the sessions equal the dates of the bundled S&P 500 file exactly for 1927-12-30 →
  2026-08-21 (tests/test_calendar.py checks this).

NYSE traded on Saturdays until 1952; XNYS (and the Yahoo S&P 500 file) know only Monday-Friday,
so before 1952 "trading day" means "weekday session with an S&P 500 print".

Everything heavy (pandas, exchange_calendars) is imported on first use, so `import
alvh.core.calendar`
stays cheap for the CLI. Scalar functions take `date`, `datetime`, `pd.Timestamp`,
`np.datetime64` or an ISO string and return `datetime.date`.
"""

from __future__ import annotations

import bisect
import functools
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias
from zoneinfo import ZoneInfo

from alvh.core.errors import UsageError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# datetime and pd.Timestamp are `date` subclasses; a string alias keeps numpy out of the import.
DateLike: TypeAlias = "date | str | np.datetime64"

# First S&P 500 row is 1927-12-30; start a year earlier so previous_trading_day() of the first
# row (and add_trading_days backwards from it) still has sessions to land on.
CALENDAR_START = date(1927, 1, 1)
# "A few years past today": five calendar years past the current one, so forward expiry
# schedules for long-dated hedges resolve. Future ad-hoc closures are unknowable anyway.
_YEARS_AHEAD = 5

_THIRD_FRIDAY_EARLIEST_DAY = 15  # the third Friday falls on the 15th..21st
_FRIDAY = 4  # date.weekday()
_VIX_DAYS_BEFORE_SPX = 30  # method §1: VIX expiry = next month's SPX expiry - 30 calendar days
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # datetime64[D] counts days from 1970-01-01

NEW_YORK = ZoneInfo("America/New_York")


def today_in_new_york() -> date:
    """Today's date where the exchange is: the CLI's "no date given" (never used below it)."""
    return datetime.now(NEW_YORK).date()


class OutsideCalendarError(UsageError, ValueError):
    """A date lies outside the range the trading calendar was built for (exit code 2)."""


def calendar_end() -> date:
    """Last calendar date the session table covers (31 Dec, five years past the current year)."""
    return date(date.today().year + _YEARS_AHEAD, 12, 31)


@functools.cache
def _sessions() -> np.ndarray:
    """XNYS sessions in [CALENDAR_START, calendar_end()], sorted datetime64[D] (built once).

    Building a century of holidays costs about 0.2 s, paid by every short CLI command, so the
    result is cached on disk under the package version, this module's code and the range (a
    pure function of the three: a change to the code below builds afresh).
    """
    import numpy as np

    cache = _cache_file()
    if cache is not None and cache.is_file():
        try:
            return np.load(cache, allow_pickle=False)
        except (OSError, ValueError):
            pass
    sessions = _build_sessions()
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial = cache.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(partial, sessions, allow_pickle=False)
            os.replace(partial, cache)
        except OSError:
            pass  # a read-only home only costs the rebuild next time
    return sessions


def _cache_file() -> Path | None:
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("exchange-calendars")
        code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    except (PackageNotFoundError, OSError):
        return None
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "alvh"
    return root / f"xnys-{package}-{code}-{CALENDAR_START}-{calendar_end()}.npy"


def _build_sessions() -> np.ndarray:
    import warnings

    import exchange_calendars as xcals
    import numpy as np
    import pandas as pd

    start, end = pd.Timestamp(CALENDAR_START), pd.Timestamp(calendar_end())
    with warnings.catch_warnings():
        # exchange_calendars 4.x triggers pandas deprecation warnings while it builds; they say
        # nothing about the dates and would only clutter CLI output.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        xnys = xcals.get_calendar("XNYS", start=start, end=end)
        # Re-apply the package's own regular holidays over our explicit range: the package
        # evaluates them only from 1970 (see module docstring).
        regular = xnys.regular_holidays.holidays(start, end)
    sessions = xnys.sessions.difference(regular)
    return np.asarray(sessions.values.astype("datetime64[D]"))


@functools.cache
def _session_ordinals() -> list[int]:
    """Sessions as proleptic ordinals: plain ints make scalar `bisect` lookups fast."""
    return [int(x) + _EPOCH_ORDINAL for x in _sessions().astype("int64")]


def as_date(d: DateLike) -> date:
    """Normalise a date-like input to `datetime.date` (the calendar date as written)."""
    if isinstance(d, datetime):  # also pd.Timestamp; must precede the `date` check (subclass)
        if d != d:  # NaT compares unequal to itself
            raise ValueError("date is NaT")
        return d.date()
    if isinstance(d, date):
        return d
    if isinstance(d, str):
        try:
            return datetime.fromisoformat(d.strip()).date()
        except ValueError as exc:
            raise ValueError(f"not an ISO date: {d!r}") from exc
    if type(d).__name__ == "datetime64":  # numpy scalar; avoid importing numpy to check
        import numpy as np

        if np.isnat(d):
            raise ValueError("date is NaT")
        return date.fromordinal(int(d.astype("datetime64[D]").astype("int64")) + _EPOCH_ORDINAL)
    raise TypeError(f"expected a date, datetime, Timestamp, datetime64 or ISO string, got {d!r}")


def _ordinal(d: DateLike) -> int:
    """Ordinal of `d`, refusing dates the session table does not cover."""
    day = as_date(d)
    if not CALENDAR_START <= day <= calendar_end():
        raise OutsideCalendarError(
            f"{day} is outside the trading calendar ({CALENDAR_START} to {calendar_end()})"
        )
    return day.toordinal()


def _session_at(i: int, what: str) -> date:
    sessions = _session_ordinals()
    if not 0 <= i < len(sessions):
        raise OutsideCalendarError(f"{what} falls outside the trading calendar")
    return date.fromordinal(sessions[i])


# ---------------------------------------------------------------------------------------------
# Trading days (scalar)


def is_trading_day(d: DateLike) -> bool:
    """True when `d` is an NYSE session."""
    o = _ordinal(d)
    sessions = _session_ordinals()
    i = bisect.bisect_left(sessions, o)
    return i < len(sessions) and sessions[i] == o


def trading_days(start: DateLike, end: DateLike) -> pd.DatetimeIndex:
    """NYSE sessions in [start, end], both ends inclusive (empty when end < start)."""
    import pandas as pd

    lo, hi = _ordinal(start), _ordinal(end)
    sessions = _session_ordinals()
    i, j = bisect.bisect_left(sessions, lo), bisect.bisect_right(sessions, hi)
    return pd.DatetimeIndex(_sessions()[i:j]).as_unit("ns")


def previous_trading_day(d: DateLike) -> date:
    """Last session strictly before `d`."""
    return _session_at(bisect.bisect_left(_session_ordinals(), _ordinal(d)) - 1, f"session < {d}")


def next_trading_day(d: DateLike) -> date:
    """First session strictly after `d`."""
    return _session_at(bisect.bisect_right(_session_ordinals(), _ordinal(d)), f"session > {d}")


def latest_trading_day(on_or_before: DateLike) -> date:
    """`on_or_before` itself if it is a session, else the last session before it."""
    i = bisect.bisect_right(_session_ordinals(), _ordinal(on_or_before)) - 1
    return _session_at(i, f"session <= {on_or_before}")


def add_trading_days(d: DateLike, n: int) -> date:
    """The n-th session after `d` (n > 0) or before it (n < 0); `d` need not be a session.

    Counting is strict: for a Saturday, +1 is Monday and -1 is Friday. n = 0 returns
    `latest_trading_day(d)` (a weekend `as_of` means the preceding close).
    """
    n = int(n)
    o = _ordinal(d)
    sessions = _session_ordinals()
    if n > 0:
        i = bisect.bisect_right(sessions, o) + n - 1
    elif n < 0:
        i = bisect.bisect_left(sessions, o) + n
    else:
        i = bisect.bisect_right(sessions, o) - 1
    return _session_at(i, f"{d} {n:+d} sessions")


def trading_days_between(earlier: DateLike, later: DateLike) -> int:
    """Number of sessions s with earlier < s <= later (0 if later <= earlier): "days stale"."""
    lo, hi = _ordinal(earlier), _ordinal(later)
    if hi <= lo:
        return 0
    sessions = _session_ordinals()
    return bisect.bisect_right(sessions, hi) - bisect.bisect_right(sessions, lo)


# ---------------------------------------------------------------------------------------------
# Trading days (vectorised)


def _as_day_array(dates: Any) -> np.ndarray:
    """Array-like of dates → datetime64[D] (NaT kept); tz-aware values keep their wall date."""
    import numpy as np
    import pandas as pd

    if np.ndim(dates) == 0:  # a single date, string or datetime64
        dates = [dates]
    idx = pd.DatetimeIndex(pd.to_datetime(dates))
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    days = idx.values.astype("datetime64[D]")
    ok = ~np.isnat(days)
    lo, hi = np.datetime64(CALENDAR_START, "D"), np.datetime64(calendar_end(), "D")
    if ok.any() and (days[ok].min() < lo or days[ok].max() > hi):
        raise OutsideCalendarError(
            f"dates {days[ok].min()}..{days[ok].max()} reach outside the trading calendar "
            f"({CALENDAR_START} to {calendar_end()})"
        )
    return days


def trading_day_mask(dates: Any) -> np.ndarray:
    """Boolean array: which of `dates` are NYSE sessions (NaT → False)."""
    import numpy as np

    days = _as_day_array(dates)
    sessions = _sessions()
    i = np.searchsorted(sessions, days).clip(max=len(sessions) - 1)
    return (sessions[i] == days) & ~np.isnat(days)


def latest_trading_days(dates: Any) -> pd.DatetimeIndex:
    """Vectorised `latest_trading_day`: each date rolled back to a session (NaT stays NaT)."""
    import numpy as np
    import pandas as pd

    days = _as_day_array(dates)
    sessions = _sessions()
    nat = np.isnat(days)
    i = np.searchsorted(sessions, np.where(nat, sessions[-1], days), side="right") - 1
    if (i[~nat] < 0).any():
        raise OutsideCalendarError("a date lies before the first session of the calendar")
    out = sessions[i.clip(min=0)]
    out[nat] = np.datetime64("NaT")
    return pd.DatetimeIndex(out).as_unit("ns")


def trading_days_between_many(earlier: Any, later: Any) -> np.ndarray:
    """Vectorised `trading_days_between` (arrays broadcast; a scalar works on either side)."""
    import numpy as np

    lo, hi = _as_day_array(earlier), _as_day_array(later)
    if np.isnat(lo).any() or np.isnat(hi).any():
        raise ValueError("trading_days_between_many: NaT in input")
    sessions = _sessions()
    count = np.searchsorted(sessions, hi, side="right") - np.searchsorted(
        sessions, lo, side="right"
    )
    return np.maximum(count, 0).astype("int64")


# ---------------------------------------------------------------------------------------------
# Expiries


def _check_month(year: int, month: int) -> None:
    if not 1 <= int(month) <= 12:
        raise ValueError(f"month must be 1..12, got {month}")


def _month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def spx_monthly_expiry(year: int, month: int) -> date:
    """SPX monthly expiry: the third Friday, or the previous session if that is a holiday.

    This is the last trading / settlement day (method §1). Before Feb 2015 the formal expiration
    date was the Saturday after; the Friday is still the day the option settles and stops trading.
    """
    _check_month(year, month)
    first_candidate = date(int(year), int(month), _THIRD_FRIDAY_EARLIEST_DAY)
    third_friday = first_candidate + timedelta(days=(_FRIDAY - first_candidate.weekday()) % 7)
    return latest_trading_day(third_friday)


def vix_expiry(year: int, month: int) -> date:
    """Expiry of the VIX future / option of contract month (year, month).

    30 calendar days before the *following* month's holiday-adjusted SPX expiry, moved back to
    the previous session if that day is a holiday (Cboe's rule; method §1). Usually a Wednesday;
    a Tuesday when the SPX expiry falls back for Good Friday or Juneteenth (Feb-2008 → 2008-02-19,
    Mar-2025 → 2025-03-18, May-2026 → 2026-05-19) or the Wednesday is a holiday (Jun-2024 →
    2024-06-18). Matches all 227 VX contracts in the bundled futures file.
    """
    _check_month(year, month)
    spx = spx_monthly_expiry(*_month_after(int(year), int(month)))
    return latest_trading_day(spx - timedelta(days=_VIX_DAYS_BEFORE_SPX))


def _months(first: date, last: date) -> list[tuple[int, int]]:
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append((y, m))
        y, m = _month_after(y, m)
    return out


def spx_expiries(start: DateLike, end: DateLike) -> list[date]:
    """SPX monthly expiries in [start, end], ascending."""
    lo, hi = as_date(start), as_date(end)
    return [e for ym in _months(lo, hi) if lo <= (e := spx_monthly_expiry(*ym)) <= hi]


def vix_expiries(start: DateLike, end: DateLike) -> list[date]:
    """VIX monthly expiries in [start, end], ascending."""
    lo, hi = as_date(start), as_date(end)
    # A VIX contract expires inside its own month: the next SPX expiry is on the 14th..21st, and
    # 30-31 days earlier is the 13th..22nd (tests check every month of the calendar).
    return [e for ym in _months(lo, hi) if lo <= (e := vix_expiry(*ym)) <= hi]


def _next_expiry(d: DateLike, min_days: int, expiry_of: Any) -> date:
    target = as_date(d) + timedelta(days=int(min_days))
    # Every contract expires inside its own month, so the answer is this month's or next month's.
    this_month = expiry_of(target.year, target.month)
    if this_month >= target:
        return this_month
    return expiry_of(*_month_after(target.year, target.month))


def next_spx_expiry(d: DateLike, min_days: int = 0) -> date:
    """First SPX monthly expiry on or after `d + min_days` calendar days."""
    return _next_expiry(d, min_days, spx_monthly_expiry)


def next_vix_expiry(d: DateLike, min_days: int = 0) -> date:
    """First VIX monthly expiry on or after `d + min_days` calendar days."""
    return _next_expiry(d, min_days, vix_expiry)

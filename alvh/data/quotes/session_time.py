"""Which session's quotes a download holds, from the time it was taken (issue 11, item 1).

SPX and SPXW options trade 09:30–16:15 ET and, since 22 Nov 2021, in an overnight session that
opens at 20:15 ET the evening before each trading day (before that, Cboe's global trading hours
opened at 03:00 ET on the day itself). A quote table saved between a close and the next
overnight open therefore holds that close — a Saturday evening or a holiday afternoon download
holds the previous session's close — while one saved during a session holds live quotes that
no close may be taken from. PROVENANCE.md of the shared quote files describes the sessions.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from alvh.core import calendar

REGULAR_OPEN = time(9, 30)
OPTIONS_CLOSE = time(16, 15)  # SPX options trade 15 minutes past the stock close
EVENING_OPEN = time(20, 15)
EVENING_SESSION_SINCE = date(2021, 11, 22)  # first trading day whose overnight opened at 20:15
EARLY_OPEN = time(3, 0)  # global trading hours before the evening session existed


def overnight_open(session: date) -> datetime:
    """When the overnight session before `session`'s regular open began (New York time)."""
    if session >= EVENING_SESSION_SINCE:
        return datetime.combine(session - timedelta(days=1), EVENING_OPEN)
    return datetime.combine(session, EARLY_OPEN)


def quote_session(moment: datetime) -> tuple[str, date]:
    """("close" | "intraday" | "overnight", the session) for a download at New York `moment`.

    For a close the session is the one whose close the quotes hold; for intraday the session
    under way; for overnight the session the overnight trading belongs to (the next one).
    """
    moment = moment.replace(tzinfo=None)
    day, clock = moment.date(), moment.time()
    trading = calendar.is_trading_day(day)
    if trading and REGULAR_OPEN <= clock < OPTIONS_CLOSE:
        return "intraday", day
    upcoming = day if trading and clock < REGULAR_OPEN else calendar.next_trading_day(day)
    if moment >= overnight_open(upcoming):
        return "overnight", upcoming
    return "close", calendar.previous_trading_day(upcoming)

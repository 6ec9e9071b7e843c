"""Options and date rules every `alvh` command shares (interface.md).

Only the CLI turns "no date given" into a date; everything below it takes `as_of` explicitly.
A date given on the command line must be a date, not in the future, and (for `--as-of`) an NYSE
trading day: a weekend or holiday is a usage error (exit 2), named as such.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from alvh.core.calendar import today_in_new_york
from alvh.core.errors import UsageError

AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="The date to act for, YYYY-MM-DD.", show_default=False)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (interface.md shape).")]
SourceOption = Annotated[
    str,
    typer.Option(
        "--source", help="auto | snapshot | live (as for 'alvh ingest').", case_sensitive=False
    ),
]

__all__ = [
    "AsOfOption",
    "JsonOption",
    "SourceOption",
    "current_settings",
    "ingest_mode",
    "marked_day",
    "optional_day",
    "parse_as_of",
    "parse_date",
    "parse_trading_day",
    "today_in_new_york",
]


def parse_date(text: str, flag: str) -> date:
    """A command-line date: YYYY-MM-DD and not in the future (New York time)."""
    try:
        value = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageError(f"{flag} {text!r} is not a date in the form YYYY-MM-DD") from exc
    if value > today_in_new_york():
        raise UsageError(f"{flag} {value} is in the future")
    return value


def parse_trading_day(text: str, flag: str = "--as-of") -> date:
    """`parse_date`, and an NYSE session: a weekend or holiday names the sessions either side."""
    from alvh.core import calendar

    value = parse_date(text, flag)
    if not calendar.is_trading_day(value):
        before = calendar.latest_trading_day(value)
        raise UsageError(
            f"{flag} {value} is not an NYSE trading day ({value:%A}); the session before it "
            f"is {before}"
        )
    return value


def parse_as_of(text: str | None) -> date:
    """`--as-of` as a trading day; today in New York when absent."""
    if text is None:
        return today_in_new_york()
    return parse_trading_day(text)


def optional_day(text: str | None, flag: str = "--as-of") -> date | None:
    """A trading day when given, else None (the command picks its own default)."""
    return parse_trading_day(text, flag) if text else None


def ingest_mode(source: str) -> str:
    """`--source` as one of the ingest modes."""
    from alvh.data.ingest import MODES

    mode = source.lower()
    if mode not in MODES:
        raise UsageError(f"--source must be one of {', '.join(MODES)}, not {source!r}")
    return mode


def marked_day(con, as_of: str | None) -> date:
    """--as-of, or the latest trading day with SPX and VIX closes in the warehouse."""
    from alvh.data.market_day import latest_marked_day

    return parse_as_of(as_of) if as_of else latest_marked_day(con, today_in_new_york())


def current_settings():
    """The settings in force (env over file over defaults), loaded when a command runs; the
    method tables are checked here too, so a bad key is exit 2 before any work starts."""
    from alvh.book.costs import CostModel
    from alvh.book.valuation import ModelParams
    from alvh.core.settings import check_method_table, load_settings
    from alvh.hedge.layers import LayerConfig
    from alvh.hedge.signals.config import SignalConfig

    settings = load_settings()
    for table, config_type in (
        ("signals", SignalConfig),
        ("layers", LayerConfig),
        ("costs", CostModel),
    ):
        check_method_table(settings, table, config_type)
    ModelParams.from_mapping(settings.model)  # [model]: an unknown key is exit 2 here too
    return settings

"""`alvh cash deposit|withdraw AMOUNT [--date D]`: the book's cash account (method §3.3)."""

from __future__ import annotations

from typing import Annotated

import typer

from alvh.cli.app import app
from alvh.cli.book import DateOption, trade_day
from alvh.cli.options import current_settings

cash_app = typer.Typer(
    help="The book's cash account: deposits and withdrawals.", no_args_is_help=True
)
app.add_typer(cash_app, name="cash")

AmountArgument = Annotated[float, typer.Argument(help="Dollars, a positive amount.")]


def _record(action: str, amount: float, on: str | None) -> None:
    from alvh.book.trades import record_cash
    from alvh.store.warehouse import open_warehouse

    settings = current_settings()
    with open_warehouse(settings.warehouse_path) as con:
        day = trade_day(con, on)
        trade = record_cash(con, action, amount, day)
    typer.echo(f"{action} ${amount:,.2f} on {day} [{trade.trade_id}]")


@cash_app.command("deposit")
def cash_deposit(amount: AmountArgument, on: DateOption = None) -> None:
    """Pay cash into the book's account on a day."""
    _record("deposit", amount, on)


@cash_app.command("withdraw")
def cash_withdraw(amount: AmountArgument, on: DateOption = None) -> None:
    """Take cash out of the book's account on a day (not below zero)."""
    _record("withdraw", amount, on)

"""The `alvh` Typer application and its command groups; command modules register on them."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="ALVH Risk: SPX iron condors hedged with VIX calls (Adaptive Layered VIX Hedge).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="What the warehouse holds.", no_args_is_help=True)
app.add_typer(data_app, name="data")
book_app = typer.Typer(
    help="The condor book: import positions, show them marked.", no_args_is_help=True
)
app.add_typer(book_app, name="book")
orders_app = typer.Typer(
    help="Proposed hedge orders and their approvals (method §6.5).", no_args_is_help=True
)
app.add_typer(orders_app, name="orders")
audit_app = typer.Typer(help="The tamper-evident audit history.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

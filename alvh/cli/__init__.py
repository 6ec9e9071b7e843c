"""The `alvh` command line (interface.md): commands, exit codes, JSON shapes.

One module per command group, each registering on the app of `alvh.cli.app`: `warehouse`
(init, ingest, data status), `book` (import, show, close, roll, trades, reset), `cash`
(deposit, withdraw), `hedge` (layers, orders), `audit`, `report` (report, email),
`flows` (run, backfill, serve, history: the only commands that reach Prefect, through `flows/`),
`quotes` (quotes import, quotes residuals),
`backtest` (backtest, sweep). Shared options and date rules are in `options`; how the process
exits (error → exit code) in `process`. Command bodies import what they need when they run, so
`alvh --help` stays quick.
Exit codes: 0 success, 1 unexpected, 2 usage, 3 bad input data, 4 environment problem.
"""

from __future__ import annotations

from alvh.cli import (  # noqa: F401  (one command group a line: each registers on the app)
    approvers,
    audit,
    backtest,
    book,
    cash,
    flows,
    hedge,
    quotes,
    report,
    warehouse,
)
from alvh.cli.app import app
from alvh.cli.process import _exit_without_teardown, entry_point, main

__all__ = ["_exit_without_teardown", "app", "entry_point", "main"]

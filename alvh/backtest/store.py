"""Backtest results in the warehouse (migration 0005): one run per configuration, replaced whole.

The run id fingerprints the configuration (`BacktestConfig.run_id`), so running the same
configuration again deletes its rows and inserts the new ones in one transaction: idempotent,
and never half-written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from alvh.backtest.engine import BacktestResult
from alvh.backtest.output import summary_json
from alvh.core.resources import read_sql_statements
from alvh.store.warehouse import transaction

__all__ = ["StoreReport", "store_result", "stored_runs"]

_SQL = "backtest/results.sql"
_TABLES = ("attribution", "events", "equity", "metrics", "run")


@dataclass(frozen=True)
class StoreReport:
    """What a write did: the run id, whether it replaced an earlier copy, rows per table."""

    run_id: str
    replaced: bool
    rows: dict[str, int]


def _metrics_frame(result: BacktestResult) -> pd.DataFrame:
    rows = []
    for name, v in result.variants.items():
        m = v.metrics
        split = m["hedge_cost_split"]
        rows.append(
            {
                "variant": name,
                **{
                    k: m[k]
                    for k in (
                        "cagr",
                        "vol",
                        "sharpe",
                        "sortino",
                        "max_drawdown",
                        "max_drawdown_start",
                        "max_drawdown_end",
                        "calmar",
                        "worst_month",
                        "worst_month_return",
                        "hedge_cost_per_year",
                        "premium_per_year",
                        "final_equity",
                    )
                },
                "premium_decay": split["premium_decay"],
                "futures_roll_down": split["futures_roll_down"],
                "spread_cost": split["spread_cost"],
                "vix_move_payoff": split["vix_move_payoff"],
            }
        )
    return pd.DataFrame(rows)


def store_result(con: duckdb.DuckDBPyConnection, result: BacktestResult) -> StoreReport:
    """Replace the run's rows with `result` (one transaction)."""
    sql = read_sql_statements(_SQL)
    run_id = result.run_id
    frames = {
        "incoming_metrics": _metrics_frame(result),
        "incoming_equity": result.equity_frame(),
        "incoming_events": result.events_frame(),
        "incoming_attribution": result.attribution.assign(
            seq=result.attribution.groupby("variant").cumcount().astype(np.int64)
        ),
    }
    summary = summary_json(result)
    claim = result.claim
    median = claim.get("median")
    # Frames are registered outside the transaction: unregistering inside an aborted one fails.
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        existed = bool(
            con.execute("SELECT count(*) FROM backtest_runs WHERE run_id = ?", [run_id]).fetchone()[
                0
            ]
        )
        with transaction(con):
            for table in _TABLES:
                con.execute(sql[f"delete_{table}"], {"run_id": run_id})
            con.execute(
                sql["insert_run"],
                {
                    "run_id": run_id,
                    "preset": result.config.preset,
                    "variants": ",".join(result.variants),
                    "start_date": result.start,
                    "end_date": result.end,
                    "config": json.dumps(summary["config"], sort_keys=True),
                    "summary": json.dumps(summary, sort_keys=True),
                    "claim_variant": claim.get("variant"),
                    "claim_median": None
                    if median is None or not np.isfinite(median)
                    else float(median),
                    "claim_verdict": claim.get("verdict"),
                    "created_at": datetime.now(),
                },
            )
            for table in ("metrics", "equity", "events", "attribution"):
                con.execute(sql[f"insert_{table}"], {"run_id": run_id})
    finally:
        for name in frames:
            con.unregister(name)
    counts = dict(con.execute(sql["counts"], {"run_id": run_id}).fetchall())
    return StoreReport(run_id, existed, {k: int(v) for k, v in counts.items()})


def stored_runs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored backtest run, newest first."""
    return con.execute(read_sql_statements(_SQL)["runs"]).df()

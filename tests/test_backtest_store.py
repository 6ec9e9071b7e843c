"""`alvh backtest` end to end on a small warehouse: the command, its files, the warehouse rows
(idempotent per configuration), usage errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from alvh.backtest.runner import run_and_store
from alvh.backtest.store import stored_runs
from alvh.cli.backtest import backtest_command
from alvh.core.errors import UsageError
from alvh.core.resources import read_sql_statements
from alvh.store.warehouse import connect

START, END = "2024-02-01", "2025-06-30"


@pytest.fixture
def app():
    application = typer.Typer()
    application.command("backtest")(backtest_command)

    @application.command("noop")
    def _noop() -> None:  # a second command keeps Typer from collapsing the group
        pass

    return application


@pytest.fixture
def home(mini_warehouse, monkeypatch):
    settings, con = mini_warehouse
    con.close()
    monkeypatch.setenv("ALVH_HOME", str(settings.home))
    monkeypatch.delenv("ALVH_CONFIG", raising=False)
    return settings


def test_command_prints_the_interface_json_and_writes_files(app, home, tmp_path):
    out = tmp_path / "bt"
    args = ["backtest", "--start", START, "--end", END, "--out", str(out), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert set(summary["variants"]) == {"unhedged", "vxth", "l1", "l1l2", "alvh"}
    assert summary["start"] == START and summary["end"] == END
    assert {"claimed", "median", "min", "max", "verdict"} <= set(summary["claim_check"])
    equity = pd.read_csv(out / "equity.csv")
    assert list(equity.columns) == [
        "date",
        "variant",
        "equity",
        "drawdown",
        "condor_pnl",
        "hedge_pnl",
        "cash",
    ]
    assert (out / "events.csv").is_file()
    text = CliRunner().invoke(app, ["backtest", "--start", START, "--end", END, "--out", str(out)])
    assert text.exit_code == 0 and "claim check" in text.output


def test_the_same_configuration_replaces_its_run(home, tmp_path):
    from datetime import date

    first = run_and_store(
        home, "retail45", "vxth,l1", date(2024, 2, 1), date(2025, 6, 30), tmp_path
    )
    again = run_and_store(
        home, "retail45", "l1,vxth", date(2024, 2, 1), date(2025, 6, 30), tmp_path
    )
    assert first.stored.run_id == again.stored.run_id  # variant order does not matter
    assert not first.stored.replaced and again.stored.replaced
    assert again.stored.rows == first.stored.rows
    days = len(first.result.days)
    assert first.stored.rows["backtest_equity"] == days * 3  # unhedged is always included
    con = connect(home.warehouse_path, read_only=True)
    try:
        runs = stored_runs(con)
        assert list(runs["run_id"]) == [first.stored.run_id]
        assert runs.iloc[0]["preset"] == "retail45"
        sql = read_sql_statements("backtest/results.sql")
        key = {"run_id": again.stored.run_id}
        metrics = con.execute(sql["metrics"], key).df().set_index("variant")
        equity = con.execute(sql["equity"], key).df()
    finally:
        con.close()
    # The rows read back are the run's numbers, each in its own column.
    for name, v in again.result.variants.items():
        m, row = v.metrics, metrics.loc[name]
        for column in ("cagr", "vol", "sharpe", "sortino", "max_drawdown", "calmar"):
            assert row[column] == pytest.approx(m[column], nan_ok=True), (name, column)
        for column in ("worst_month_return", "hedge_cost_per_year", "final_equity"):
            assert row[column] == pytest.approx(m[column], nan_ok=True), (name, column)
        for column, value in m["hedge_cost_split"].items():
            assert row[column] == pytest.approx(value, nan_ok=True), (name, column)
        assert row["max_drawdown_end"] == pd.Timestamp(m["max_drawdown_end"])
        assert row["worst_month"] == m["worst_month"]
    expected = again.result.equity_frame().sort_values(["variant", "date"], ignore_index=True)
    assert list(equity["variant"]) == list(expected["variant"])
    for column in ("equity", "drawdown", "condor_pnl", "hedge_pnl", "cash"):
        np.testing.assert_allclose(equity[column], expected[column], rtol=1e-12, err_msg=column)
    other = run_and_store(home, "retail45", "vxth", date(2024, 2, 1), date(2025, 6, 30), tmp_path)
    assert other.stored.run_id != first.stored.run_id


def test_usage_errors(app, home):
    runner = CliRunner()
    bad = runner.invoke(app, ["backtest", "--preset", "nope"])
    assert isinstance(bad.exception, UsageError) and "cndr" in str(bad.exception)
    bad = runner.invoke(app, ["backtest", "--variants", "l1,l9"])
    assert isinstance(bad.exception, UsageError) and "l9" in str(bad.exception)
    bad = runner.invoke(app, ["backtest", "--start", "1989-01-03"])
    assert isinstance(bad.exception, UsageError)
    bad = runner.invoke(app, ["backtest", "--end", "2024-13-01"])
    assert isinstance(bad.exception, UsageError)

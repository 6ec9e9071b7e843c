"""An order goes proposed → approved → executed through the CLI, every step in the audit log."""

from __future__ import annotations

import json

from test_cli import run_alvh

from alvh.book.positions import BOOK_COLUMNS


def test_an_order_from_proposal_to_execution_through_the_cli(snapshot_copy):
    settings, con = snapshot_copy
    con.close()
    home = settings.home
    env = {"ALVH_APPROVERS": '["alice", "bob"]', "ALVH_APPROVALS_REQUIRED": "2"}
    book = home / "book.csv"
    book.write_text(
        ",".join(BOOK_COLUMNS) + "\n"
        "IC-JUL,iron_condor,2017-07-21,20,2017-06-16,2.10,2300,2325,2500,2525,\n"
    )
    assert run_alvh("book", "import", str(book), home=home, env=env).returncode == 0

    shown = run_alvh("layers", "--as-of", "2017-07-03", "--json", home=home, env=env)
    assert shown.returncode == 0, shown.stderr
    decision = json.loads(shown.stdout)
    assert decision["layers"]["L1"]["state"] == "ACTIVE"
    (order,) = [o for o in decision["orders"] if o["layer"] == "L1"]
    order_id = order["order_id"]

    early = run_alvh("orders", "execute", order_id, "--price", "0.55", home=home, env=env)
    assert early.returncode == 2 and "only approved orders" in early.stderr
    stranger = run_alvh("orders", "approve", order_id, "--as", "mallory", home=home, env=env)
    assert stranger.returncode == 2 and "not an approver" in stranger.stderr
    assert (
        run_alvh("orders", "approve", order_id, "--as", "alice", home=home, env=env).returncode == 0
    )
    twice = run_alvh("orders", "approve", order_id, "--as", "alice", home=home, env=env)
    assert twice.returncode == 2 and "counts once" in twice.stderr
    second = run_alvh("orders", "approve", order_id, "--as", "bob", home=home, env=env)
    assert second.returncode == 0 and "status approved" in second.stdout
    done = run_alvh("orders", "execute", order_id, "--price", "0.55", home=home, env=env)
    assert done.returncode == 0, done.stderr

    listed = json.loads(run_alvh("orders", "list", "--json", home=home, env=env).stdout)
    (row,) = [r for r in listed if r["order_id"] == order_id]
    assert row["status"] == "executed" and row["fill_price"] == 0.55 and row["approvals"] == 2
    assert run_alvh("audit", "verify", home=home, env=env).returncode == 0

    from alvh.store.warehouse import connect

    check = connect(home / "alvh.duckdb", read_only=True)
    events = [
        r[0]
        for r in check.execute(
            "SELECT event FROM audit_log WHERE subject = ? ORDER BY seq", [order_id]
        ).fetchall()
    ]
    held = check.execute(
        "SELECT quantity, entry_price FROM positions WHERE position_id = ?", [order_id]
    ).fetchall()
    check.close()
    assert events == ["order_proposed", "order_approved", "order_approved", "order_executed"]
    assert held == [(order["quantity"], 0.55)]

"""The book as a desk keeps it (issue 12): every trade kind, refusals that change nothing, a
back-dated trade, and a hand reconciliation of a week of fills, an early close and a roll."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from alvh.book.costs import CostModel
from alvh.book.marks import mark_book, save_marks
from alvh.book.positions import (
    BOOK_COLUMNS,
    LEGS_COLUMNS,
    import_book,
    open_positions,
    positions_by_id,
)
from alvh.book.trades import (
    close_position,
    list_trades,
    model_close_price,
    record_cash,
    reset_book,
    roll_position,
    stale_marks_from,
)
from alvh.book.valuation import ModelParams
from alvh.core.errors import BadInputError, UsageError
from alvh.core.settings import Settings
from alvh.data.ingest import ingest
from alvh.hedge.orders import ProposedOrder, approve, execute, record_proposals
from alvh.report.day import report_sql
from alvh.store.warehouse import open_warehouse, transaction

TODAY = date(2026, 11, 25)
LEGS_HEADER = ",".join([*LEGS_COLUMNS, "fees"])
# A week of fills (2024-07-22 .. 07-24): a condor, a put credit spread, a long put, a VIX call
# spread; prices per contract, fees in dollars per leg row.
WEEK = [
    "IC-AUG,SPX,P,5150,2024-08-16,2,2024-07-22,2.00,2",
    "IC-AUG,SPX,P,5200,2024-08-16,-2,2024-07-22,3.10,2",
    "IC-AUG,SPX,C,5750,2024-08-16,-2,2024-07-22,1.50,2",
    "IC-AUG,SPX,C,5800,2024-08-16,2,2024-07-22,0.60,2",
    "PCS-SEP,SPX,P,5100,2024-09-20,3,2024-07-23,8.00,3",
    "PCS-SEP,SPX,P,5150,2024-09-20,-3,2024-07-23,10.50,3",
    "PUT-SEP,SPX,P,5000,2024-09-20,1,2024-07-24,6.20,1",
    "VCS-AUG,VIX,C,20,2024-08-21,10,2024-07-24,1.10,10",
    "VCS-AUG,VIX,C,25,2024-08-21,-10,2024-07-24,0.45,10",
]
ROLL_TO = "+3 SPX 2024-09-20 5000 P,-3 SPX 2024-09-20 5050 P"


def write(tmp_path: Path, header: str, *rows: str, name: str = "book.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def book_state(con) -> dict[str, object]:
    """Everything a refused trade must leave as it was."""
    return {
        table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()  # noqa: S608
        for table in (
            "positions",
            "position_entry",
            "position_legs",
            "book_trades",
            "cash_ledger",
            "position_closes",
        )
    }


def warehouse(home: Path, snapshot: Path):
    settings = Settings(home=home, snapshot_dir=snapshot)
    con = open_warehouse(settings.warehouse_path)
    assert ingest(con, settings, TODAY, mode="snapshot").exit_code == 0
    return con


@pytest.fixture
def empty(tmp_path):
    con = open_warehouse(tmp_path / "alvh.duckdb")
    yield con
    con.close()


@pytest.fixture
def week(mini_warehouse, tmp_path):
    _, con = mini_warehouse
    import_book(
        con,
        write(tmp_path, LEGS_HEADER, *WEEK),
        TODAY,
        opening_cash=100_000.0,
        cash_date=date(2024, 7, 22),
    )
    return con


def test_a_legs_file_recognises_kinds_and_computes_risk_from_the_legs(empty, tmp_path):
    rows = [
        *WEEK,
        "BWB,SPXW,P,5000,2024-08-09,1,2024-07-22,1.00,",
        "BWB,SPXW,P,5050,2024-08-09,-2,2024-07-22,2.00,",
        "BWB,SPXW,P,5150,2024-08-09,1,2024-07-22,4.50,",
        "NAKED,SPXW,C,5800,2024-08-09,-1,2024-07-22,3.00,",
    ]
    import_book(empty, write(tmp_path, LEGS_HEADER, *rows), TODAY)
    book = {p.position_id: p for p in open_positions(empty, date(2024, 7, 24))}
    kinds = {pid: p.kind for pid, p in book.items()}
    assert kinds == {
        "IC-AUG": "iron_condor",
        "PCS-SEP": "vertical",
        "PUT-SEP": "single",
        "VCS-AUG": "vix_call_spread",
        "BWB": "butterfly",
        "NAKED": "single",
    }
    ic = book["IC-AUG"]
    assert (ic.quantity, ic.entry_side, ic.entry_price) == (2, "credit", pytest.approx(2.00))
    assert ic.max_loss() == pytest.approx((50 - 2.00) * 100 * 2)  # method §3.1
    assert ic.breakevens() == pytest.approx((5198.0, 5752.0))
    assert ic.put_short == 5200 and ic.call_long == 5800  # the positions file's columns
    pcs = book["PCS-SEP"]
    assert pcs.max_loss() == pytest.approx((50 - 2.50) * 300)
    assert pcs.breakevens() == pytest.approx((5147.5,))
    put = book["PUT-SEP"]
    assert (put.entry_side, put.max_loss()) == ("debit", pytest.approx(620.0))
    assert put.breakevens() == pytest.approx((4993.8,))
    vcs = book["VCS-AUG"]
    assert vcs.max_loss() == pytest.approx(0.65 * 1000)
    assert vcs.breakevens() == pytest.approx((20.65,))
    # a broken-wing put butterfly (wings 50 and 100) for a debit of 1 − 4 + 4.5 = 1.5; expiry
    # P&L: 50 − 1.5 below 5000, 100 − 1.5 at 5050, −1.5 from 5150 up
    bwb = book["BWB"]
    assert bwb.entry_price == pytest.approx(1.5) and bwb.entry_side == "debit"
    assert bwb.max_loss() == pytest.approx(150.0)  # at 5150 and above: the debit
    assert bwb.breakevens() == pytest.approx((5148.5,))
    naked = book["NAKED"]
    assert naked.max_loss() is None and naked.risk == "undefined"


def test_the_same_condor_from_either_file_is_the_same_position(empty, tmp_path):
    legacy = "IC-AUG,iron_condor,2024-08-16,2,2024-07-22,2.00,5150,5200,5750,5800,"
    import_book(empty, write(tmp_path, ",".join(BOOK_COLUMNS), legacy), TODAY)
    again = import_book(empty, write(tmp_path, LEGS_HEADER, *WEEK[:4], name="legs.csv"), TODAY)
    assert (again.inserted, again.unchanged) == (0, 1)


@pytest.mark.parametrize(
    ("rows", "rule", "line"),
    [
        (["X,SPY,P,5000,2024-08-16,1,2024-07-22,1,"], "unknown_root", 11),
        (["X,SPX,Q,5000,2024-08-16,1,2024-07-22,1,"], "unknown_type", 11),
        (["X,SPX,P,5002,2024-08-16,1,2024-07-22,1,"], "strike_grid", 11),
        (["X,SPX,P,5000,2024-08-09,1,2024-07-22,1,"], "not_an_spx_monthly_expiry", 11),
        (["X,SPX,P,5000,2024-08-16,0,2024-07-22,1,"], "nonzero_integer", 11),
        (
            ["X,SPX,P,5000,2024-08-16,1,2024-07-22,1,", "X,SPX,P,5050,2024-09-20,-1,2024-07-22,2,"],
            "one_expiry",
            12,
        ),
        (
            [
                "X,SPX,P,5000,2024-08-16,1,2024-07-22,1,",
                "X,SPXW,P,5050,2024-08-16,-1,2024-07-22,2,",
            ],
            "one_root",
            12,
        ),
        (
            ["X,SPX,P,5000,2024-08-16,1,2024-07-22,1,", "X,SPX,P,5000,2024-08-16,-1,2024-07-22,2,"],
            "duplicate_leg",
            12,
        ),
    ],
)
def test_a_bad_leg_refuses_the_whole_legs_file(empty, tmp_path, rows, rule, line):
    before = book_state(empty)
    with pytest.raises(BadInputError, match=f"row {line}, column '.*'.*rule: {rule}") as caught:
        import_book(empty, write(tmp_path, LEGS_HEADER, *WEEK, *rows), TODAY)
    assert caught.value.exit_code == 3
    assert book_state(empty) == before
    assert empty.execute("SELECT count(*) FROM rejected_rows WHERE rule = ?", [rule]).fetchall()[0][
        0
    ]


def test_opening_cash_is_deposited_once(empty, tmp_path):
    path = write(tmp_path, LEGS_HEADER, *WEEK)
    first = import_book(empty, path, TODAY, opening_cash=50_000.0)
    again = import_book(empty, path, TODAY, opening_cash=50_000.0)
    assert (first.cash_deposited, again.cash_deposited) == (50_000.0, None)
    deposit = empty.execute(
        "SELECT entry_date, amount FROM cash_ledger WHERE kind = 'deposit'"
    ).fetchall()
    assert deposit == [(date(2024, 7, 22), 50_000.0)]  # the file's first entry date
    with pytest.raises(UsageError, match="already has opening cash"):
        import_book(empty, path, TODAY, opening_cash=60_000.0)


def test_a_partial_and_a_full_close_move_cash_by_price_and_fees(empty, tmp_path):
    import_book(empty, write(tmp_path, LEGS_HEADER, *WEEK), TODAY)
    part = close_position(empty, "IC-AUG", 1.35, date(2024, 7, 25), quantity=1)
    assert part.cash == pytest.approx(-1.35 * 100 - 4 * 1.00)  # four legs, $1 a contract
    assert [
        p.quantity for p in open_positions(empty, date(2024, 7, 25)) if p.position_id == "IC-AUG"
    ] == [1]
    rest = close_position(empty, "VCS-AUG", 0.80, date(2024, 7, 26))  # all 10 still open
    assert rest.quantity == 10
    assert rest.cash == pytest.approx(0.80 * 1000 - 2 * 10 * 1.00)  # a debit spread: received
    assert "VCS-AUG" not in {p.position_id for p in open_positions(empty, date(2024, 7, 26))}
    assert "VCS-AUG" in {p.position_id for p in open_positions(empty, date(2024, 7, 25))}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: close_position(c, "IC-AUG", 1.0, date(2024, 8, 16)), "on or after its expiry"),
        (lambda c: close_position(c, "IC-AUG", 1.0, date(2024, 7, 19)), "was opened on"),
        (lambda c: close_position(c, "IC-AUG", 1.0, date(2024, 7, 25), quantity=3), "2 are open"),
        (lambda c: close_position(c, "NOPE", 1.0, date(2024, 7, 25)), "no position 'NOPE'"),
        (lambda c: close_position(c, "IC-AUG", -1.0, date(2024, 7, 25)), "--price"),
        (
            lambda c: roll_position(
                c, "PCS-SEP", "+3 SPY 2024-09-20 5000 P", 0.4, date(2024, 7, 26)
            ),
            "unknown root 'SPY'",
        ),
        (
            lambda c: roll_position(c, "PCS-SEP", "+3 SPX 2024-09-20 5000", 0.4, date(2024, 7, 26)),
            "is not 'QTY ROOT EXPIRY STRIKE TYPE'",
        ),
        (
            lambda c: roll_position(
                c, "PCS-SEP", ROLL_TO, 0.4, date(2024, 7, 26), quantity=4, close_price=3.1
            ),
            "3 are open",
        ),
        (lambda c: record_cash(c, "withdraw", 1e9, date(2024, 7, 26)), "the cash account holds"),
        (lambda c: record_cash(c, "deposit", -5.0, date(2024, 7, 26)), "positive number"),
    ],
)
def test_every_refusal_exits_2_and_changes_nothing(week, call, message):
    before = book_state(week)
    with pytest.raises(UsageError, match=message) as caught:
        call(week)
    assert caught.value.exit_code == 2
    assert book_state(week) == before


def test_a_back_dated_close_of_an_already_closed_quantity_is_refused(empty, tmp_path):
    import_book(empty, write(tmp_path, LEGS_HEADER, *WEEK), TODAY)
    close_position(empty, "IC-AUG", 1.0, date(2024, 8, 1), quantity=2)
    before = book_state(empty)
    # on 07-25 both were open, but the later close took them: a close then would go negative
    with pytest.raises(UsageError, match="0 are open"):
        close_position(empty, "IC-AUG", 1.0, date(2024, 7, 25), quantity=1)
    assert book_state(empty) == before


def test_a_roll_is_a_close_and_an_open_in_one_group_at_one_net_price(week):
    closed, opened = roll_position(
        week, "PCS-SEP", ROLL_TO, 0.40, date(2024, 7, 26), close_price=3.10
    )
    assert closed.group_id == opened.group_id is not None
    assert closed.cash + opened.cash == pytest.approx(0.40 * 300 - 12.0)  # 2 × 2 legs × 3 lots
    new = {p.position_id: p for p in open_positions(week, date(2024, 7, 26))}["PCS-SEP-R1"]
    assert (new.kind, new.quantity, new.entry_side) == ("vertical", 3, "credit")
    assert new.entry_price == pytest.approx(3.10 + 0.40)
    assert "PCS-SEP" not in {p.position_id for p in open_positions(week, date(2024, 7, 26))}
    # without --close-price, the close is booked at the model's mid on the 0.05 tick
    closed, _ = roll_position(week, "PUT-SEP", "+1 SPX 2024-09-20 4900 P", -1.0, date(2024, 7, 26))
    assert closed.price > 0 and closed.price == pytest.approx(round(closed.price / 0.05) * 0.05)


def test_hand_reconciliation_of_a_week_of_fills_a_close_and_a_roll(week):
    close_position(week, "IC-AUG", 1.35, date(2024, 7, 25), quantity=1)
    record_cash(week, "deposit", 5_000.0, date(2024, 7, 25))
    roll_position(week, "PCS-SEP", ROLL_TO, 0.40, date(2024, 7, 26), close_price=3.10)
    marks = mark_book(week, date(2024, 7, 26))
    t = marks.totals
    # cash by hand: deposits, premiums per contract, closes, the roll's net, fees
    deposits = 100_000 + 5_000
    premiums = (3.10 + 1.50 - 2.00 - 0.60) * 200 + (10.50 - 8.00) * 300 - 6.20 * 100
    premiums -= (1.10 - 0.45) * 1000
    closes = -1.35 * 100 + 0.40 * 300  # the early close, and the roll's net credit
    fees = 8 + 6 + 1 + 20 + 4 + 6 + 6
    assert t["cash"] - t["cash_interest"] == pytest.approx(deposits + premiums + closes - fees)
    assert t["cash"] - t["cash_interest"] == pytest.approx(104_814.0)
    assert 0 < t["cash_interest"] < 104_814 * 0.06 * 5 / 365  # a week of T-bill at most 6 %
    kinds = {m.position_id: m.kind for m in marks.positions}
    assert kinds == {
        "IC-AUG": "iron_condor",
        "PUT-SEP": "single",
        "VCS-AUG": "vix_call_spread",
        "PCS-SEP-R1": "vertical",
    }
    # book value = cash + every position's value; P&L since the start = value − deposits =
    # open P&L + realised P&L − fees + interest
    assert t["value"] == pytest.approx(t["cash"] + sum(m.value for m in marks.positions))
    realised = (2.00 - 1.35) * 100 + (2.50 - 3.10) * 300
    assert t["value"] - deposits == pytest.approx(
        sum(m.pnl for m in marks.positions) + realised - fees + t["cash_interest"]
    )
    # risk capital: the SPX positions' max losses, by hand
    assert t["risk_capital"] == pytest.approx((50 - 2.00) * 100 + 620 + (50 - 3.50) * 300)
    assert t["condor_value"] == pytest.approx(
        sum(m.value for m in marks.positions if m.sleeve == "condor")
    )
    trades = list_trades(week)
    assert trades["action"].tolist().count("open") == 5
    assert trades["action"].tolist().count("close") == 2
    assert trades["cash"].sum() == pytest.approx(104_814.0)


def _mark_days(con, days):
    for day in days:
        save_marks(con, mark_book(con, day))


def _stored(con):
    book = con.execute("SELECT * EXCLUDE (assumptions) FROM book_marks ORDER BY as_of").fetchall()
    positions = con.execute("SELECT * FROM position_marks ORDER BY ALL").fetchall()
    settled = con.execute(
        "SELECT position_id, entry_date, amount FROM cash_ledger WHERE kind = 'settlement' "
        "ORDER BY ALL"
    ).fetchall()
    return book, positions, settled


def test_re_marking_after_a_back_dated_close_equals_having_known_it(tmp_path, mini_snapshot):
    rows = [
        "IC-AUG,iron_condor,2024-08-16,2,2024-07-19,9.50,5150,5200,5750,5800,",
        "VX-AUG,vix_call,2024-08-21,5,2024-07-19,1.20,,,,,18",
    ]
    days = [date(2024, 8, 1), date(2024, 8, 15), date(2024, 8, 16), date(2024, 8, 22)]
    results = []
    for order in ("known", "back-dated"):
        home = tmp_path / order
        con = warehouse(home, mini_snapshot)
        import_book(con, write(home, ",".join(BOOK_COLUMNS), *rows), TODAY, opening_cash=1e5)
        if order == "known":
            close_position(con, "IC-AUG", 6.00, date(2024, 8, 1), quantity=1)
            _mark_days(con, days)
        else:
            _mark_days(con, days)  # settles both condors on 08-16
            close_position(con, "IC-AUG", 6.00, date(2024, 8, 1), quantity=1)
            assert stale_marks_from(con, date(2024, 8, 1)) == days
            _mark_days(con, days)
        results.append(_stored(con))
        settles = con.execute(
            "SELECT position_id, quantity FROM book_trades WHERE action = 'settle' ORDER BY 1"
        ).fetchall()
        assert settles == [("IC-AUG", 1), ("VX-AUG", 5)]
        con.close()
    known, back_dated = results
    assert back_dated[2] == known[2]  # the settlements, for the quantity then open
    assert back_dated[1] == known[1]
    assert back_dated[0] == known[0]


def test_settlement_of_a_vix_call_spread_and_an_spxw_position_at_their_proxies(
    mini_warehouse, tmp_path
):
    _, con = mini_warehouse
    rows = [
        "VCS,VIX,C,15,2024-08-21,4,2024-07-24,2.00,",
        "VCS,VIX,C,20,2024-08-21,-4,2024-07-24,0.80,",
        "WK,SPXW,P,5600,2024-08-09,-1,2024-07-24,60.00,",
        "WK,SPXW,P,5500,2024-08-09,1,2024-07-24,30.00,",
    ]
    import_book(con, write(tmp_path, LEGS_HEADER, *rows), TODAY)
    save_marks(con, mark_book(con, date(2024, 8, 22)))
    value = dict(
        con.execute(
            "SELECT series_id, value FROM observations WHERE (series_id = 'VIX_OPEN' AND "
            "obs_date = '2024-08-21') OR (series_id = 'SPX' AND obs_date = '2024-08-09')"
        ).fetchall()
    )
    vix, spx = value["VIX_OPEN"], value["SPX"]  # VIX at the open, SPXW (PM) at the close
    settled = dict(
        con.execute(
            "SELECT position_id, amount FROM cash_ledger WHERE kind = 'settlement'"
        ).fetchall()
    )
    assert settled["VCS"] == pytest.approx((max(vix - 15, 0) - max(vix - 20, 0)) * 400)
    assert settled["WK"] == pytest.approx((-max(5600 - spx, 0) + max(5500 - spx, 0)) * 100)
    # The report's hedge P&L counts the spread's flows (a hedge-sleeve position, though not a
    # `vix_call`), its premium and its settlement, and none of the SPXW put spread's.
    premiums = dict(
        con.execute(
            "SELECT position_id, sum(amount) FROM cash_ledger WHERE kind <> 'settlement' "
            "AND position_id IS NOT NULL GROUP BY ALL"
        ).fetchall()
    )
    hedge_flows = con.execute(report_sql()["hedge_flows_until"], {"as_of": date(2024, 8, 22)})
    assert hedge_flows.fetchone()[0] == pytest.approx(premiums["VCS"] + settled["VCS"])


def test_orders_execute_defaults_to_the_orders_day_and_refuses_impossible_dates(empty, tmp_path):
    settings = Settings(home=tmp_path)
    order = ProposedOrder("L1", "open", 22.0, date(2026, 9, 16), 20, 0.95, 1920.0, "test")
    with transaction(empty):
        (order_id,) = record_proposals(empty, date(2026, 8, 20), [order])
    approve(empty, order_id, "risk-manager", settings)
    before = book_state(empty)
    for on, message in ((date(2026, 8, 19), "was proposed on"), (date(2026, 9, 16), "expiring")):
        with pytest.raises(UsageError, match=message) as caught:
            execute(empty, order_id, 1.0, on)
        assert caught.value.exit_code == 2
        assert book_state(empty) == before
    summary = execute(empty, order_id, 1.0, None, CostModel())
    assert "on 2026-08-20" in summary
    (held,) = open_positions(empty, date(2026, 8, 20))
    assert (held.position_id, held.entry_date, held.quantity) == (order_id, date(2026, 8, 20), 20)
    trade = list_trades(empty).set_index("trade_id").loc[order_id]
    assert trade["cash"] == pytest.approx(-1.0 * 2000 - 20.0)


def test_reset_removes_the_whole_book(week):
    save_marks(week, mark_book(week, date(2024, 7, 24)))
    counts = reset_book(week)
    assert counts["positions"] == 4 and counts["marked_days"] == 1
    state = book_state(week)
    assert all(rows == [] for rows in state.values())
    assert week.execute("SELECT count(*) FROM book_marks").fetchall()[0][0] == 0


def test_a_roll_without_a_close_price_is_priced_with_the_configured_model(tmp_path, mini_snapshot):
    """`book roll` without --close-price books the close at the model the day's marks use: the
    `[model]` settings of alvh.toml, not the built-in defaults."""
    from test_cli import run_alvh

    env = {"ALVH_SNAPSHOT_DIR": str(mini_snapshot)}
    home = tmp_path / "home"
    assert run_alvh("init", "--no-sample", home=home, env=env).returncode == 0
    (home / "alvh.toml").write_text("[model]\natm_ratio = 1.2\n")
    book = write(tmp_path, LEGS_HEADER, *WEEK)
    assert run_alvh("book", "import", str(book), home=home, env=env).returncode == 0
    args = ("book", "roll", "PUT-SEP", "--to", "+1 SPX 2024-09-20 4900 P", "--price", "-1")
    rolled = run_alvh(*args, "--date", "2024-07-26", home=home, env=env)
    assert rolled.returncode == 0, rolled.stderr
    trades = json.loads(run_alvh("book", "trades", "--json", home=home, env=env).stdout)
    (booked,) = [t["price"] for t in trades if t["action"] == "close"]
    con = open_warehouse(home / "alvh.duckdb")
    try:
        put = positions_by_id(con, ["PUT-SEP"])["PUT-SEP"]
        on, costs = date(2024, 7, 26), CostModel()
        configured = model_close_price(con, put, on, costs, ModelParams(atm_ratio=1.2))
        built_in = model_close_price(con, put, on, costs)
    finally:
        con.close()
    assert booked == pytest.approx(configured) and configured > built_in + 0.5


def test_the_commands_as_a_user_runs_them(tmp_path, mini_snapshot):
    from test_cli import run_alvh

    env = {"ALVH_SNAPSHOT_DIR": str(mini_snapshot)}
    home = tmp_path / "home"
    assert run_alvh("init", "--no-sample", home=home, env=env).returncode == 0
    book = write(tmp_path, LEGS_HEADER, *WEEK)
    imported = run_alvh("book", "import", str(book), "--cash", "100000", home=home, env=env)
    assert imported.returncode == 0, imported.stderr
    assert "opening cash $100,000.00" in imported.stdout
    over = run_alvh(
        "book",
        "close",
        "IC-AUG",
        "--quantity",
        "5",
        "--price",
        "1",
        "--date",
        "2024-07-25",
        home=home,
        env=env,
    )
    assert over.returncode == 2 and "2 are open" in over.stderr
    closed = run_alvh(
        "book",
        "close",
        "IC-AUG",
        "--quantity",
        "1",
        "--price",
        "1.35",
        "--date",
        "2024-07-25",
        home=home,
        env=env,
    )
    assert closed.returncode == 0, closed.stderr
    rolled = run_alvh(
        "book",
        "roll",
        "PCS-SEP",
        "--to",
        ROLL_TO,
        "--price",
        "0.4",
        "--close-price",
        "3.1",
        "--date",
        "2024-07-26",
        home=home,
        env=env,
    )
    assert rolled.returncode == 0, rolled.stderr
    cash = run_alvh("cash", "deposit", "5000", "--date", "2024-07-25", home=home, env=env)
    assert cash.returncode == 0, cash.stderr
    trades = json.loads(run_alvh("book", "trades", "--json", home=home, env=env).stdout)
    assert sum(t["cash"] for t in trades) == pytest.approx(104_814.0)
    shown = json.loads(
        run_alvh("book", "show", "--as-of", "2024-07-26", "--json", home=home, env=env).stdout
    )
    assert {p["kind"] for p in shown["positions"]} == {
        "iron_condor",
        "single",
        "vix_call_spread",
        "vertical",
    }
    assert all(p["risk"] == "defined" for p in shown["positions"])
    assert run_alvh("book", "reset", home=home, env=env).returncode == 2
    reset = run_alvh("book", "reset", "--yes", home=home, env=env)
    assert reset.returncode == 0 and "5 positions" in reset.stdout

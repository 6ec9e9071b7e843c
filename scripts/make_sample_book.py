"""Write alvh/data/bundled/sample_book.csv: a small book opened at the snapshot's last marked close.

Entry prices are the model's fills (method §2 prices, §3.4 costs) on that day, so the sample
starts at a P&L of about minus its trading costs. Run from the repository root with a warehouse
loaded by `alvh init` in ALVH_HOME; the committed file is its output.
"""

from __future__ import annotations

import csv
from datetime import date

from alvh.book.costs import CostModel
from alvh.book.positions import BOOK_COLUMNS, Position, sample_book_path
from alvh.book.valuation import ModelParams, build_legs, leg_greeks
from alvh.core.settings import load_settings
from alvh.data.market_day import load_market
from alvh.store.warehouse import connect

ENTRY = date(2026, 8, 20)  # last close with both SPX and VIX in the bundled snapshot
DRAFT = [
    Position(
        "IC-2026-09",
        "iron_condor",
        date(2026, 9, 18),
        10,
        ENTRY,
        1.0,
        put_long=7200,
        put_short=7250,
        call_short=7900,
        call_long=7950,
    ),
    Position(
        "IC-2026-10",
        "iron_condor",
        date(2026, 10, 16),
        8,
        ENTRY,
        1.0,
        put_long=7100,
        put_short=7150,
        call_short=8050,
        call_long=8100,
    ),
    Position("VXC-2026-09-23", "vix_call", date(2026, 9, 16), 20, ENTRY, 1.0, strike=23),
    Position("VXC-2026-10-25", "vix_call", date(2026, 10, 21), 10, ENTRY, 1.0, strike=25),
]


def main() -> None:
    settings = load_settings()
    con = connect(settings.warehouse_path, read_only=True)
    snapshot = load_market(con, ENTRY)
    legs = build_legs(DRAFT)
    prices = leg_greeks(legs, snapshot, ModelParams()).greeks.price
    costs = CostModel()
    rows = []
    for index, position in enumerate(DRAFT):
        mine = prices[legs.position == index]
        if position.is_condor:
            fill, _ = costs.condor_entry_credit(mine.reshape(1, 4))
        else:
            fill, _ = costs.vix_call_fill(mine[0], "buy")
        price = round(float(fill.squeeze()), 2)
        row = {c: getattr(position, c) for c in BOOK_COLUMNS}
        row["entry_price"] = price
        rows.append({k: ("" if v is None else v) for k, v in row.items()})
    target = sample_book_path()
    with target.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=BOOK_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(target.read_text())


if __name__ == "__main__":
    main()

"""Stress replays: today's book through named months of the event catalogue (method §4.5)."""

from __future__ import annotations

import pandas as pd

from alvh.book.scenarios import event_catalogue, stress_replay
from alvh.core.numbers import finite_or_none
from alvh.report.day import Footnotes
from alvh.report.formatting import iso, money, number, percent

# Issue 6: today's book through these months of the event catalogue (method §4.5).
REPORT_EVENT_MONTHS = ("2008-10", "2015-08", "2018-02", "2020-03", "2024-08")


def stress_section(legs, snapshot, params, moves: pd.DataFrame, fn: Footnotes) -> list[dict]:
    if moves.empty:
        return []
    catalogue = event_catalogue()
    names: list[tuple[str, str]] = []
    for month in REPORT_EVENT_MONTHS:
        first = pd.Timestamp(f"{month}-01")
        last = first + pd.offsets.MonthEnd(0)
        # the catalogue event whose window covers the month
        hit = catalogue[(catalogue["start"] <= last) & (catalogue["end"] >= first)]
        if len(hit) and hit.iloc[0]["event"] not in [n for n, _ in names]:
            names.append((hit.iloc[0]["event"], month))
    table = moves.set_index("event").reindex([n for n, _ in names]).dropna(subset=["start"])
    if table.empty:
        return []
    labels = dict(names)
    table = table.reset_index()
    replay = stress_replay(legs, snapshot, params, table)
    note = fn.add(
        "stress",
        "Stress replay (method §4.5): each event's SPX return and VIX change from the close "
        "before its window to its worst SPX close, applied instantly to today's book; VIX "
        "futures follow by the model. The event's own VX1 change is shown beside it.",
    )
    rows = []
    for r in replay.itertuples():
        rows.append(
            {
                "event": labels[r.event],
                "catalogue": r.event,
                "description": r.description,
                "window": f"{iso(r.start)} → {iso(r.worst_day)}",
                "spx": percent(r.spx_return, 1, True),
                "vix": number(r.vix_change, 1, True) + " pts",
                "vx1": (number(r.vx1_change, 1, True) + " pts")
                if finite_or_none(r.vx1_change) is not None
                else "n/a (before 2007)",
                "condor": money(r.condor_pnl, signed=True),
                "hedge": money(r.hedge_pnl, signed=True),
                "net": money(r.net_pnl, signed=True),
                "net_css": "bad" if r.net_pnl < 0 else "good",
                "reduction": percent(r.loss_reduction, 0)
                if finite_or_none(r.loss_reduction) is not None
                else "n/a",
                "note": note,
            }
        )
    return rows

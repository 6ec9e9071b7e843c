"""Daily marks of the book (method §4.1, §4.2, §4.6): every leg priced by the model, dollar
greeks, P&L since entry and for the day, risk capital, VIX sensitivities, liquidity.

Conventions (method §1): dollar greeks for the whole position, delta per SPX point, gamma per
point², vega per volatility point, theta per calendar day. A VIX call's delta and gamma are per
point of its same-expiry VIX future and its vega per point of VIX-option vol, so book totals of
delta, gamma and vega are the condors' (SPX) greeks; the hedge enters through its VIX
sensitivity (§4.2), measured by repricing at VIX ± 1 point rather than by formula.

Two deltas are reported. `delta` ("BS delta") is the sticky-strike Black–Scholes delta of the
SPX legs. `model_delta` is ∂(full revaluation)/∂SPX under the §4.4 scenario dynamics (the smile
moves with moneyness, VIX follows SPX by the §2.4 fit), for every leg, hedges included: it is
the delta the scenario grid and the break-evens imply, and the one to hedge with.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import cached_property, lru_cache
from typing import Protocol

import duckdb
import numpy as np
import pandas as pd

from alvh.book.costs import CostModel
from alvh.book.legs import Leg, Position
from alvh.book.market_quotes import MarketLegs, market_legs
from alvh.book.positions import open_positions, positions_by_id
from alvh.book.scenarios import model_delta_moves, model_deltas, vix_response_fit
from alvh.book.valuation import Legs, ModelParams, build_legs, greeks_and_prices
from alvh.core import calendar
from alvh.core.errors import UsageError
from alvh.core.resources import read_sql_statements
from alvh.data import known as history
from alvh.data.market_day import MarketSnapshot, load_market
from alvh.model.market import VixResponse
from alvh.store.warehouse import transaction

MULTIPLIER = 100.0
NEAR_TERM_DAYS = 30  # §4.6: condors expiring within 30 days count against liquidity
CASH_RATE_SERIES = ("DTB3", "DGS3MO")  # method §1: the T-bill, the constant-maturity yield
CASH_RATE_LOOKBACK_DAYS = 30  # to fill the first sessions from a print just before them


class RangeBook(Protocol):
    """The book read once for a range of days (`alvh.book.range_book.BookHistory`): each
    day's open positions, pending settlements and cash, as `open_positions(con, as_of)`,
    `pending_settlements(con, as_of)` and `cash_balance(con, as_of, extra)` read them for that
    day alone."""

    def open_positions(self, as_of: date) -> list[Position]: ...

    def pending_settlements(self, as_of: date) -> pd.DataFrame: ...

    def cash_balance(
        self, as_of: date, extra: pd.DataFrame, rates: CashGrowth
    ) -> tuple[float, float]: ...


class CashGrowth(Protocol):
    """`rate_growth` of `cash_rates(con, first, as_of)`, from rates read once for a range
    (`alvh.book.range_marks.CashRateHistory`)."""

    def growth(self, first: date, as_of: date) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class PositionMark:
    position_id: str
    kind: str
    quantity: int
    expiry: date
    mark: float
    value: float
    pnl: float
    delta: float
    gamma: float
    vega: float
    theta: float
    vix_sensitivity: float
    max_loss: float | None
    breakevens: tuple[float, ...] | None
    model_delta: float  # $ per SPX point under the §4.4 dynamics (see the module docstring)
    mark_source: str  # market | model | mixed: what its legs were marked at
    model_mark: float  # the mark had every leg been priced by the model
    sleeve: str = "condor"  # SPX legs: condor sleeve; VIX legs: hedge sleeve
    risk: str = "defined"  # "undefined": the loss is unbounded, max_loss is None
    legs: tuple[str, ...] = ()  # '−1 SPX 2026-09-18 7250 P' per leg, per position unit

    def breakeven_bounds(self) -> tuple[float | None, float | None]:
        """(lowest, highest) break-even; a structure with one has (it, None)."""
        if not self.breakevens:
            return None, None
        if len(self.breakevens) == 1:
            return self.breakevens[0], None
        return self.breakevens[0], self.breakevens[-1]

    def as_json(self) -> dict[str, object]:
        out = asdict(self)
        out["expiry"] = self.expiry.isoformat()
        out["breakevens"] = list(self.breakevens) if self.breakevens else None
        out["legs"] = list(self.legs)
        del out["vix_sensitivity"]
        return out


@dataclass(frozen=True)
class BookMarks:
    as_of: date
    snapshot: MarketSnapshot
    positions: list[PositionMark]
    leg_columns: dict[str, object]  # the `legs` frame's columns (a backfill joins many days')
    totals: dict[str, float | None]
    day_pnl: dict[str, float] | None
    assumptions: dict[str, object] = field(default_factory=dict)

    @cached_property
    def legs(self) -> pd.DataFrame:
        """The day's `leg_marks` rows (every column of the table, `as_of` last)."""
        return pd.DataFrame(self.leg_columns)

    @property
    def leg_count(self) -> int:
        return len(self.leg_columns["leg"])

    def as_json(self) -> dict[str, object]:
        """interface.md's `book show` shape (plus `cash` and `day_pnl`)."""
        return {
            "as_of": self.as_of.isoformat(),
            "positions": [p.as_json() for p in self.positions],
            "totals": self.totals,
            "day_pnl": self.day_pnl,
        }


@dataclass(frozen=True)
class WhatIf:
    """Trades supposed done on top of the stored book, never written (a report's what-if):
    positions opened, units closed per position id, and the dollars they move."""

    opened: tuple[Position, ...] = ()
    closed: dict[str, int] = field(default_factory=dict)
    cash: float = 0.0
    pending_premium_done: float = 0.0  # pending order premium these trades settle


def _apply(positions: list[Position], what_if: WhatIf | None) -> list[Position]:
    if what_if is None:
        return positions
    out = []
    for p in positions:
        left = p.quantity - what_if.closed.get(p.position_id, 0)
        if left > 0:
            out.append(dataclasses.replace(p, quantity=left))
    return out + list(what_if.opened)


def _dollar_greeks(legs: Legs, greeks, index: np.ndarray) -> dict[str, float]:
    scale = legs.units[index] * legs.quantity[index] * MULTIPLIER
    return {
        "delta": float((greeks.delta[index] * scale).sum()),
        "gamma": float((greeks.gamma[index] * scale).sum()),
        "vega": float((greeks.vega[index] * scale).sum() * 0.01),
        "theta": float((greeks.theta[index] * scale).sum() / 365.0),
    }


def cash_rates(con: duckdb.DuckDBPyConnection, first: date, as_of: date) -> history.KnownPanel:
    """The 3-month rates on the sessions `first`..`as_of`, as known at each close."""
    return history.daily_panel(
        con, list(CASH_RATE_SERIES), as_of, start=first, lookback_days=CASH_RATE_LOOKBACK_DAYS
    )


def cash_balance(
    con: duckdb.DuckDBPyConnection, as_of: date, extra: pd.DataFrame | None = None
) -> tuple[float, float]:
    """Cash at the close of `as_of` and the interest in it (3-month T-bill, method §1).

    Each ledger amount grows from its date at the rate known each day (simple interest per
    calendar-day gap, compounded from session to session): `rate_growth`, `grown_cash`.
    """
    ledger = con.execute(read_sql_statements("book/marks.sql")["ledger"], {"as_of": as_of}).df()
    if extra is not None and len(extra):
        ledger = pd.concat([ledger, extra[["entry_date", "amount"]]], ignore_index=True)
    if ledger.empty:
        return 0.0, 0.0
    entry_dates = pd.to_datetime(ledger["entry_date"]).to_numpy(dtype="datetime64[D]")
    first = min(entry_dates.min().item(), as_of)
    days, growth = rate_growth(cash_rates(con, first, as_of))
    return grown_cash(entry_dates, ledger["amount"].to_numpy(dtype=float), days, growth)


def rate_growth(panel: history.KnownPanel) -> tuple[np.ndarray, np.ndarray]:
    """The panel's sessions and what a dollar held from the first has grown to at each: the
    3-month T-bill (the constant-maturity yield where it is missing, the last rate carried),
    simple interest per calendar-day gap, compounded from session to session. A panel cut at
    an earlier day gives a prefix of the same arrays, bit for bit (a backfill cuts once)."""
    rates = panel.values["DTB3"].fillna(panel.values["DGS3MO"]).ffill().fillna(0.0) / 100.0
    days = panel.values.index.to_numpy(dtype="datetime64[D]")
    gaps = np.diff(days).astype(float)
    growth = np.concatenate([[1.0], np.cumprod(1.0 + rates.to_numpy()[:-1] * gaps / 365.0)])
    return days, growth


def grown_cash(
    entry_dates: np.ndarray, amounts: np.ndarray, days: np.ndarray, growth: np.ndarray
) -> tuple[float, float]:
    """(balance, interest) at the last of `days` of ledger amounts dated `entry_dates`, each
    grown from its date's session (`rate_growth`'s `days` and `growth`)."""
    at = np.searchsorted(days, entry_dates, side="right") - 1
    at = np.clip(at, 0, len(days) - 1)
    balance = float((amounts * growth[-1] / growth[at]).sum())
    return balance, balance - float(amounts.sum())


def _settlement_level(row: dict, root: str) -> float | None:
    """Method §7's proxy: SPX (AM) at the expiry day's open, SPXW (PM) at its close, VIX at the
    VIX open; the close where no open exists; None while the day is not in the warehouse."""

    def first(*values):
        found = [v for v in values if v is not None and not pd.isna(v)]
        return float(found[0]) if found else None

    if root == "SPX":
        return first(row["spx_open"], row["spx_close"])
    if root == "SPXW":
        return first(row["spx_close"])
    return first(row["vix_open"], row["vix_close"])


def pending_settlements(con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """Cash from positions that expired by `as_of` and are not yet settled in the ledger: the
    legs' intrinsic value at the settlement level, for the quantity still open."""
    rows = con.execute(read_sql_statements("book/marks.sql")["unsettled"], {"as_of": as_of}).df()
    terms = positions_by_id(con, rows["position_id"].tolist()) if len(rows) else {}
    return settlement_rows(rows.to_dict("records"), terms)


SETTLEMENT_COLUMNS = (
    "entry_id",
    "entry_date",
    "amount",
    "kind",
    "position_id",
    "note",
    "quantity",
    "price",
)


def settlement_rows(unsettled: list[dict], terms: Mapping[str, Position]) -> pd.DataFrame:
    """The ledger rows settling `unsettled` (the `unsettled` statement's rows, in its order);
    `terms`: each position with its legs. A position whose expiry day is not in the warehouse
    yet has no settlement level and waits."""
    records = []
    for row in unsettled:
        position = terms[row["position_id"]]
        settle = _settlement_level(row, position.root)
        if settle is None:
            continue
        expiry = pd.Timestamp(row["expiry"]).date()
        quantity = int(row["open_quantity"])
        value = sum(leg.payoff(settle) for leg in position.legs)
        records.append(
            {
                "entry_id": f"settlement:{row['position_id']}",
                "entry_date": expiry,
                "amount": value * MULTIPLIER * quantity,
                "kind": "settlement",
                "position_id": row["position_id"],
                "note": f"expired {expiry}: settled at {settle:.2f} × {quantity}",
                "quantity": quantity,
                "price": value if position.entry_side == "debit" else -value,
            }
        )
    return pd.DataFrame(records, columns=list(SETTLEMENT_COLUMNS))


def mark_book(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    params: ModelParams | None = None,
    costs: CostModel | None = None,
    with_day_pnl: bool = True,
    vix_response: VixResponse | None = None,
    with_model_delta: bool = True,
    what_if: WhatIf | None = None,
    previous: BookMarks | None = None,
    snapshot: MarketSnapshot | None = None,
    rate_history: CashGrowth | None = None,
    book: RangeBook | None = None,
    quote_days: frozenset[date] | None = None,
    pending_premium: float | None = None,
) -> BookMarks:
    """Mark every open position at the close of `as_of` (method §4.1, §4.2, §4.6).

    `vix_response` is the §2.4 fit behind the model delta; by default fitted on the history
    known at `as_of`. Without `with_model_delta` the model deltas are NaN (the day-before marks
    behind the day P&L need only values, and the fit costs ~70 ms). `what_if` marks the book as
    if those trades were done (nothing is written; no day P&L). `previous`: the book's marks of
    the session before (a backfill has just made them), used for the day P&L instead of
    marking that day again. `snapshot`: `as_of`'s market as `load_market` reads it, from a
    panel read once for a range of days; `book`: the book's open positions, pending
    settlements and cash, read once for a range, with `rate_history` the cash rates it grows;
    `quote_days`: the dates with stored quotes (`alvh.book.market_quotes.quote_days`);
    `pending_premium`: the hedge premium proposed or approved and not executed at `as_of`, from
    orders a backfill holds in memory (`alvh.hedge.order_state.OrderState.pending_premium`),
    else read from the orders table.
    """
    params = params or ModelParams()
    costs = costs or CostModel()
    if snapshot is None:
        snapshot = load_market(con, as_of)
    elif snapshot.as_of != as_of:
        raise ValueError(f"market of {snapshot.as_of} passed to the marks of {as_of}")
    held = book.open_positions(as_of) if book else open_positions(con, as_of)
    positions = _apply(held, what_if)
    legs = build_legs(positions)
    # Legs quoted that day are marked at market (alvh.book.market_quotes); the VIX ±1 bumps
    # and the model delta stay the model's: they are its dynamics, not a price.
    # One pass of the model over today's close, VIX ± 1 (the VIX sensitivity, §4.2) and, with
    # the model delta, SPX ± its bump under the §2.4 fit.
    moves, shifts = np.zeros(0), np.zeros(0)
    if len(legs) and with_model_delta:
        moves, shifts = model_delta_moves(snapshot, vix_response or vix_response_fit(con, as_of))
    model, prices = greeks_and_prices(
        legs, snapshot, params, [0.0, 0.0, *moves], [1.0, -1.0, *shifts]
    )
    market = market_legs(con, as_of, legs, snapshot, model, quote_days)
    greeks = market.greeks
    bumped = prices[:2]
    model_delta = np.zeros(len(legs)) if with_model_delta else np.full(len(legs), np.nan)
    if len(moves):
        model_delta = model_deltas(prices[2], prices[3], snapshot)
    marks = _position_marks(positions, legs, greeks, bumped, model_delta, market)

    settlements = book.pending_settlements(as_of) if book else pending_settlements(con, as_of)
    if book is not None:
        cash, interest = book.cash_balance(as_of, settlements, rate_history)
    else:
        cash, interest = cash_balance(con, as_of, settlements)
    settled = 0.0
    if what_if is not None:
        cash, settled, with_day_pnl = cash + what_if.cash, what_if.pending_premium_done, False
    condor = [m for m in marks if m.sleeve == "condor"]
    hedge = [m for m in marks if m.sleeve == "hedge"]
    condor_sensitivity = sum(m.vix_sensitivity for m in condor)
    hedge_sensitivity = sum(m.vix_sensitivity for m in hedge)
    condor_idx = np.flatnonzero(legs.is_spx)
    totals: dict[str, float | None] = {
        "value": cash + sum(m.value for m in marks),
        **_dollar_greeks(legs, greeks.greeks, condor_idx),
        "model_delta": sum(m.model_delta for m in marks),
        "risk_capital": sum(m.max_loss or 0.0 for m in condor),
        "condor_vix_sensitivity": condor_sensitivity,
        "hedge_vix_sensitivity": hedge_sensitivity,
        "vega_offset_ratio": (
            hedge_sensitivity / abs(condor_sensitivity) if condor_sensitivity else None
        ),
        "liquidity_ratio": _liquidity_ratio(
            con, as_of, cash, hedge, condor, greeks, legs, costs, market, settled, pending_premium
        ),
        "cash": cash,
        "cash_interest": interest,
        "condor_value": sum(m.value for m in condor),
        "hedge_value": sum(m.value for m in hedge),
        "undefined_risk_positions": [m.position_id for m in marks if m.risk == "undefined"],
    }
    totals["theta"] += sum(m.theta for m in hedge)  # theta is dollars per day for every leg
    day_pnl = (
        _day_pnl(con, as_of, totals, settlements, params, costs, previous) if with_day_pnl else None
    )
    assumptions = {
        "market": snapshot.assumptions(),
        "model": params.as_dict(),
        "costs": costs.as_dict(),
        "vx_forward_sources": sorted(set(s for s in greeks.forwards.source if s)),
        "legs_marked_at_market": int((market.source == "market").sum()),
        "settlements_pending": int(len(settlements)),
    }
    return BookMarks(
        as_of,
        snapshot,
        marks,
        _leg_columns(as_of, positions, legs, market),
        totals,
        day_pnl,
        assumptions,
    )


def _position_marks(
    positions: list[Position],
    legs: Legs,
    greeks,
    bumped,
    model_delta: np.ndarray,
    market: MarketLegs,
) -> list[PositionMark]:
    """Each position's mark: `mark` per unit as a desk quotes it (what it costs to close a
    position opened for a credit, what one opened for a debit is worth), value and P&L in
    dollars, P&L against the entry premium."""
    units = legs.units
    scale = units * legs.quantity * MULTIPLIER
    g = greeks.greeks
    # per leg, what a position sums over its legs (each row summed as `x[mine].sum()` would)
    per_leg = np.stack(
        [
            g.delta * scale,
            g.gamma * scale,
            g.vega * scale,
            g.theta * scale,
            units * g.price,  # per unit, + an asset
            units * market.model_price,
            bumped[0] * units,
            bumped[1] * units,
            model_delta * scale,
        ]
    )
    bounds = np.searchsorted(legs.position, np.arange(len(positions) + 1)).tolist()
    marks = []
    for index, position in enumerate(positions):
        first, last = bounds[index], bounds[index + 1]  # build_legs: a position's legs in a run
        delta, gamma, vega, theta, worth, model_worth, up, down, mdelta = (
            per_leg[:, first:last].sum(axis=1).tolist()
        )
        sources = set(market.source[first:last])
        q = position.quantity
        side = 1.0 if position.entry_side == "debit" else -1.0
        marks.append(
            PositionMark(
                position.position_id,
                position.kind,
                q,
                position.expiry,
                side * worth,
                worth * MULTIPLIER * q,
                (worth - position.net_debit) * MULTIPLIER * q,
                delta,
                gamma,
                vega * 0.01,
                theta / 365.0,
                (up - down) / 2.0 * MULTIPLIER * q,
                position.max_loss(),
                position.breakevens(),
                mdelta,
                sources.pop() if len(sources) == 1 else "mixed",
                side * model_worth,
                position.sleeve,
                position.risk,
                _leg_labels(position.legs),
            )
        )
    return marks


@lru_cache(maxsize=4096)  # a position's legs are the same every day a backfill marks them
def _leg_labels(legs: tuple[Leg, ...]) -> tuple[str, ...]:
    return tuple(
        f"{leg.units:+d} {leg.root} {leg.expiry} {leg.strike:g} {leg.option_type}" for leg in legs
    )


def pending_total(costs: list[float]) -> float:
    """The pending hedge premium: the orders' costs summed in order-id order (the table's
    query and a backfill's in-memory orders give the same float)."""
    return float(sum(costs))


def _liquidity_ratio(
    con,
    as_of,
    cash,
    hedge,
    condor,
    greeks,
    legs,
    costs,
    market: MarketLegs,
    settled: float = 0.0,
    pending: float | None = None,
) -> float | None:
    """§4.6: (cash + liquidation value of hedges) / (near-term condor max loss + pending hedge
    premium); None when nothing is owed (the ratio is unbounded). A quoted hedge liquidates at
    its bid, others at the cost model's bid side of the mark."""
    vix_idx = np.flatnonzero(~legs.is_spx)
    liquidation = 0.0
    if len(vix_idx):
        # a long leg is sold at the bid side (its quoted bid where there is one), a short one
        # bought back at the ask side; a structure worth less than nothing counts as nothing
        price = greeks.greeks.price[vix_idx]
        sold, _ = costs.vix_call_fill(price, "sell")
        quoted = np.isfinite(market.bid[vix_idx])
        sold = np.where(quoted, market.bid[vix_idx], sold)
        bought, _ = costs.vix_call_fill(price, "buy")
        units = legs.units[vix_idx]
        dollars = np.where(units > 0, sold, bought) * units * legs.quantity[vix_idx] * MULTIPLIER
        per_position: dict[int, float] = {}
        for position, amount in zip(legs.position[vix_idx].tolist(), dollars.tolist(), strict=True):
            per_position[position] = per_position.get(position, 0.0) + amount
        worth = np.array([per_position[p] for p in sorted(per_position)])
        liquidation = float(np.maximum(worth, 0.0).sum())
    horizon = np.datetime64(as_of, "D") + np.timedelta64(NEAR_TERM_DAYS, "D")
    near = sum(m.max_loss or 0.0 for m in condor if np.datetime64(m.expiry, "D") <= horizon)
    if pending is None:
        rows = con.execute(
            read_sql_statements("book/marks.sql")["pending_premium"], {"as_of": as_of}
        ).fetchall()
        pending = pending_total([cost for (cost,) in rows])
    owed = near + max(float(pending) - settled, 0.0)
    return (cash + liquidation) / owed if owed > 0 else None


def _day_pnl(
    con, as_of: date, totals, settlements, params, costs, before: BookMarks | None = None
) -> dict[str, float] | None:
    """Day P&L per sleeve: the change in each sleeve's value plus its cash flows of the day
    (premiums, settlements, `settlements` being `as_of`'s pending ones); what remains of the
    equity change is the cash sleeve's interest."""
    previous = calendar.previous_trading_day(as_of)
    if before is None or before.as_of != previous:
        try:
            before = mark_book(
                con, previous, params, costs, with_day_pnl=False, with_model_delta=False
            )
        except UsageError:  # nothing to mark the day before (a data gap): no day P&L to show
            return None
    flows = dict(
        con.execute(
            read_sql_statements("book/marks.sql")["flows_between"],
            {"after": previous, "until": as_of},
        ).fetchall()
    )
    pending = settlements[pd.to_datetime(settlements["entry_date"]) > pd.Timestamp(previous)]
    if len(pending):
        sleeves = dict(con.execute(read_sql_statements("book/marks.sql")["sleeves"]).fetchall())
        for row in pending.itertuples():
            sleeve = sleeves.get(row.position_id, "hedge")
            flows[sleeve] = flows.get(sleeve, 0.0) + float(row.amount)
    return sleeve_pnl(totals, before.totals, flows)


def sleeve_pnl(today: Mapping, before: Mapping, flows: Mapping) -> dict[str, float]:
    """Day P&L per sleeve (method §4.1) from two days' book totals and the cash flows between
    them: each sleeve's change in value plus its flows; deposits and withdrawals (`external`)
    are not P&L; what remains of the equity change is the cash sleeve's interest. The one
    rule for marks computed now and for marks the daily run stored."""
    condor = today["condor_value"] - before["condor_value"] + flows.get("condor", 0.0)
    hedge = today["hedge_value"] - before["hedge_value"] + flows.get("hedge", 0.0)
    total = today["value"] - before["value"] - flows.get("external", 0.0)
    return {"condor": condor, "hedge": hedge, "cash": total - condor - hedge, "total": total}


def _leg_columns(
    as_of: date, positions: list[Position], legs: Legs, market: MarketLegs
) -> dict[str, object]:
    """The columns of the day's `leg_marks` rows: lists and arrays, one entry per leg."""
    greeks = market.greeks
    return {
        "position_id": [positions[i].position_id for i in legs.position],
        "leg": legs.name,
        "option_type": np.where(legs.is_call, "call", "put"),
        "strike": legs.strike,
        "expiry": legs.expiry,
        "units": (legs.units * legs.quantity).astype(int),
        "underlying": greeks.underlying,
        "vol": greeks.vol,
        "price": greeks.greeks.price,
        "delta": greeks.greeks.delta,
        "gamma": greeks.greeks.gamma,
        "vega": greeks.greeks.vega,
        "theta": greeks.greeks.theta,
        "mark_source": market.source,
        "model_price": market.model_price,
        "model_vol": market.model_vol,
        "as_of": [as_of] * len(legs),
    }


def leg_rows(*days: BookMarks) -> pd.DataFrame:
    """`leg_marks` rows of one or more days' marks, each with its `as_of`; a backfill builds
    a chunk of days' rows at once."""
    if len(days) == 1:
        return days[0].legs
    columns = {}
    for name in days[0].leg_columns:
        parts = [day.leg_columns[name] for day in days]
        joined = np.concatenate(parts) if isinstance(parts[0], np.ndarray) else sum(parts, [])
        columns[name] = joined
    return pd.DataFrame(columns)


_POSITION_COLUMNS = tuple(
    f.name
    for f in dataclasses.fields(PositionMark)
    if f.name not in ("breakevens", "sleeve", "risk", "legs")
)


def position_rows(*days: BookMarks) -> pd.DataFrame:
    """`position_marks` rows of one or more days' marks, each with its `as_of` (break-evens
    split into two columns); a backfill builds a chunk of days' rows at once."""
    marked = [(day.as_of, m) for day in days for m in day.positions]
    if not marked:
        return pd.DataFrame()
    columns = {k: [getattr(m, k) for _, m in marked] for k in _POSITION_COLUMNS}
    bounds = [m.breakeven_bounds() for _, m in marked]
    columns["breakeven_low"] = [low for low, _ in bounds]
    columns["breakeven_high"] = [high for _, high in bounds]
    columns["as_of"] = [as_of for as_of, _ in marked]
    return pd.DataFrame(columns)


BOOK_TOTALS = (
    "cash",
    "condor_value",
    "hedge_value",
    "value",
    "delta",
    "gamma",
    "vega",
    "theta",
    "risk_capital",
    "condor_vix_sensitivity",
    "hedge_vix_sensitivity",
    "vega_offset_ratio",
    "liquidity_ratio",
)


def book_row(marks: BookMarks) -> dict[str, object]:
    """The `book_marks` row of one day, in the table's column order."""
    s = marks.snapshot
    return {
        "as_of": marks.as_of,
        "spx": s.spx,
        "vix": s.vix,
        "rate": s.rate,
        "dividend_yield": s.dividend_yield,
        **{k: marks.totals[k] for k in BOOK_TOTALS},
        "assumptions": json.dumps(marks.assumptions, default=str, sort_keys=True),
    }


def save_marks(con: duckdb.DuckDBPyConnection, marks: BookMarks) -> dict[str, int]:
    """Replace `as_of`'s marks in one transaction, settling expired positions in the ledger."""
    sql = read_sql_statements("book/marks.sql")
    positions = position_rows(marks)
    settlements = pending_settlements(con, marks.as_of)
    with transaction(con):
        params = {"as_of": marks.as_of}
        for name in ("delete_legs", "delete_positions", "delete_book"):
            con.execute(sql[name], params)
        if len(settlements):
            con.register("settlements", settlements.assign(recorded_at=datetime.now()))
            con.execute(sql["insert_settlements"])
            con.execute(sql["insert_settlement_trades"])
            con.unregister("settlements")
        if len(marks.legs):
            con.register("legs", marks.legs)
            con.execute(sql["insert_legs"])
            con.unregister("legs")
        if len(positions):
            con.register("marked", positions)
            con.execute(sql["insert_positions"])
            con.unregister("marked")
        con.execute(sql["insert_book"], book_row(marks))
    return {"legs": len(marks.legs), "positions": len(positions), "settled": len(settlements)}

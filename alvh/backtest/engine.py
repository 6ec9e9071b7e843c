"""The backtest of method §7: condor book, hedge variants, metrics, events, claim check.

`run_backtest(inputs, config)` is a pure function of what `load_inputs` read and the
configuration: it prices the condor trades once and the candidate VIX calls once, walks each
variant's decisions (condor sizes and hedge trades), and derives every figure from the resulting
per-session arrays. All variants trade the same condors at the same prices on the same path
(method §7); they differ by their hedge and, through their equity, by how many condors they hold
(`BacktestConfig.condor_sizing`).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from alvh.backtest import metrics as m
from alvh.backtest.attribution import SIZE_CHANGES, attribution_summary, attribution_trades
from alvh.backtest.candidates import FORWARD_SOURCES, HedgeCandidates, hedge_candidates
from alvh.backtest.condors import CondorTrades, condor_trades
from alvh.backtest.events import (
    EventRules,
    claim_check,
    event_drawdowns,
    event_losses,
    event_table,
    reduction,
)
from alvh.backtest.hedges import (
    VARIANTS,
    HedgeRules,
    LayerArrays,
    VariantPath,
    parse_variants,
    simulate_variant,
)
from alvh.backtest.inputs import BacktestInputs
from alvh.backtest.presets import get_preset
from alvh.backtest.spikes import bootstrap_median_interval, largest_spikes
from alvh.book.costs import CostModel
from alvh.book.valuation import ModelParams
from alvh.core import calendar
from alvh.core.errors import UsageError
from alvh.hedge.layers import LayerConfig, layer_state_history

__all__ = ["BacktestConfig", "BacktestResult", "VariantResult", "run_backtest"]

REFERENCE = "unhedged"
CLAIM_VARIANT = "alvh"


@dataclass(frozen=True)
class BacktestConfig:
    """Everything that shapes a run besides the data; `run_id` fingerprints it."""

    preset: str = "cndr"
    variants: tuple[str, ...] = tuple(VARIANTS)
    initial_equity: float = 1_000_000.0
    costs: CostModel = field(default_factory=CostModel)
    params: ModelParams = field(default_factory=ModelParams)
    layers: LayerConfig = field(default_factory=LayerConfig)
    rules: HedgeRules = field(default_factory=HedgeRules)
    events: EventRules = field(default_factory=EventRules)
    # "own": each variant sizes the condors on its own equity (a portfolio that pays for its
    # hedge holds proportionally fewer condors); "shared": every variant holds the unhedged
    # variant's condors (a pure overlay: equity − unhedged equity = the hedge sleeve).
    condor_sizing: str = "own"

    def __post_init__(self) -> None:
        get_preset(self.preset)
        if self.condor_sizing not in ("own", "shared"):
            raise UsageError(f"condor_sizing is 'own' or 'shared', not {self.condor_sizing!r}")
        names = parse_variants(list(self.variants))
        # The unhedged book is every comparison's reference: always run it.
        object.__setattr__(self, "variants", tuple(dict.fromkeys([REFERENCE, *names])))
        if not self.initial_equity > 0:
            raise UsageError("initial_equity must be positive")

    def as_dict(self) -> dict[str, object]:
        return {
            "preset": self.preset,
            "preset_rules": get_preset(self.preset).as_dict(),
            "variants": list(self.variants),
            "initial_equity": self.initial_equity,
            "costs": self.costs.as_dict(),
            "model": self.params.as_dict(),
            "layers": self.layers.as_dict(),
            "hedge_rules": self.rules.as_dict(),
            "events": self.events.as_dict(),
            "condor_sizing": self.condor_sizing,
        }

    def run_id(self, start: date, end: date, signal_config: dict[str, object]) -> str:
        """Stable id of (configuration, dates, signal settings): re-running replaces the run."""
        payload = {**self.as_dict(), "start": str(start), "end": str(end), "signals": signal_config}
        text = json.dumps(payload, sort_keys=True, default=str)
        return "bt-" + hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class VariantResult:
    """One variant's path (sleeves, cash, equity), its drawdown series and metrics."""

    path: VariantPath
    drawdown: np.ndarray
    metrics: dict[str, object]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def equity(self) -> np.ndarray:
        return self.path.equity


@dataclass(frozen=True)
class BacktestResult:
    """Everything a run produced; `alvh.backtest.output` turns it into JSON and CSV files."""

    run_id: str
    config: BacktestConfig
    start: date
    end: date
    days: pd.DatetimeIndex
    condors: CondorTrades
    variants: dict[str, VariantResult]
    events: pd.DataFrame  # one row per event: event, start, end, kind, description, overlaps
    event_drawdowns: pd.DataFrame  # event × variant: max drawdown inside the window
    event_losses: pd.DataFrame  # event × variant: deepest close below the pre-event close
    claim: dict[str, object]
    attribution: pd.DataFrame
    attribution_summary: pd.DataFrame
    notes: dict[str, object]
    timings: dict[str, float]
    candidates: HedgeCandidates | None = None  # the calls the hedge variants chose from

    def equity_frame(self) -> pd.DataFrame:
        """equity.csv (interface.md): date, variant, equity, drawdown, condor_pnl, hedge_pnl,
        cash — one row per session and variant."""
        frames = [
            pd.DataFrame(
                {
                    "date": self.days.date,
                    "variant": v.name,
                    "equity": v.path.equity,
                    "drawdown": v.drawdown,
                    "condor_pnl": v.path.condor.pnl,
                    "hedge_pnl": v.path.hedge.pnl,
                    "cash": v.path.cash,
                }
            )
            for v in self.variants.values()
        ]
        return pd.concat(frames, ignore_index=True)

    def events_frame(self) -> pd.DataFrame:
        """events.csv: one row per event and variant with its drawdown and reduction."""
        rows = []
        claim_events = set(self.claim.get("events", []))
        for ev in self.events.itertuples():
            dd = self.event_drawdowns.loc[ev.event]
            loss = self.event_losses.loc[ev.event]
            for name in self.variants:
                rows.append(
                    {
                        "event": ev.event,
                        "kind": ev.kind,
                        "start": pd.Timestamp(ev.start).date(),
                        "end": pd.Timestamp(ev.end).date(),
                        "variant": name,
                        "drawdown": dd[name],
                        "reduction": float(reduction(dd[name], dd[REFERENCE]))
                        if name != REFERENCE
                        else np.nan,
                        "loss_from_start": loss[name],
                        "loss_reduction": float(reduction(loss[name], loss[REFERENCE]))
                        if name != REFERENCE
                        else np.nan,
                        "in_claim_check": ev.event in claim_events,
                        "overlaps": ev.overlaps,
                        "description": ev.description,
                    }
                )
        return pd.DataFrame(rows)


def _vix_expiry_sessions(days: pd.DatetimeIndex) -> np.ndarray:
    expiries = np.array(
        calendar.vix_expiries(days[0].date(), days[-1].date()), dtype="datetime64[ns]"
    )
    return np.isin(days.values, expiries)


def _variant_metrics(
    vp: VariantPath, days: pd.DatetimeIndex, risk_free: np.ndarray
) -> dict[str, object]:
    equity, sleeve = vp.equity, vp.hedge
    returns = m.simple_returns(equity)
    growth = m.cagr(equity, days)
    dd = m.max_drawdown(equity)
    month, month_return = m.worst_month(equity, days)
    years = (days[-1] - days[0]).days / m.DAYS_PER_YEAR
    prior = np.r_[equity[0], equity[:-1]]

    def per_year(daily: np.ndarray) -> float:
        # + 0.0 turns the unhedged variant's −0.0 into 0.0
        return float(np.sum(daily / prior) / years) + 0.0 if years > 0 else float("nan")

    decay, roll = per_year(-sleeve.decay), per_year(-sleeve.roll)
    spread, moves = per_year(sleeve.spread), per_year(sleeve.move)
    return {
        "cagr": growth,
        "vol": m.annual_volatility(returns),
        "sharpe": m.sharpe_ratio(returns, risk_free),
        "sortino": m.sortino_ratio(returns, risk_free),
        "max_drawdown": dd.depth,
        "max_drawdown_start": days[dd.peak].date(),
        "max_drawdown_end": days[dd.trough].date(),
        "calmar": m.calmar_ratio(growth, dd.depth),
        "worst_month": month,
        "worst_month_return": month_return,
        # method §7: premium − payoff, as a fraction of equity per year, and its split
        "hedge_cost_per_year": per_year(-sleeve.pnl),
        "hedge_cost_split": {
            "premium_decay": decay,
            "futures_roll_down": roll,
            "spread_cost": spread,
            "vix_move_payoff": moves,
        },
        "hedge_cost_per_year_usd": float(-sleeve.pnl.sum() / years) + 0.0 if years > 0 else np.nan,
        "premium_per_year": per_year(sleeve.premium),
        "final_equity": float(equity[-1]),
        "hedge_trades": int(sleeve.trades["action"].isin(SIZE_CHANGES).sum())
        if len(sleeve.trades)
        else 0,
        "budget_capped_days": int(sleeve.capped["day"].nunique()) if len(sleeve.capped) else 0,
        "budget_capped_usd": float((sleeve.capped["wanted"] - sleeve.capped["allowed"]).sum())
        if len(sleeve.capped)
        else 0.0,
    }


def _notes(inputs: BacktestInputs, cand: HedgeCandidates | None, trades: CondorTrades) -> dict:
    path = inputs.path
    settle_idx = trades.exit_day[trades.settles]
    notes: dict[str, object] = {
        "spx_settlement": {
            "expiries_settled": int(len(settle_idx)),
            "on_open": int(path.spx_settle_is_open[settle_idx].sum()),
            "open_equals_previous_close": int(path.spx_open_stale[settle_idx].sum()),
            "rule": "expiry day's SPX open (AM-settlement proxy), the close where no open exists",
        },
        "rate_sources": {
            str(k): int(v)
            for k, v in zip(*np.unique(path.rate_source, return_counts=True), strict=True)
        },
    }
    if cand is not None:
        counts = np.bincount(cand.forward_source[cand.row0], minlength=len(FORWARD_SOURCES))
        observed_days = path.days[np.flatnonzero(cand.forward_source[cand.row0] == 0)]
        notes["vx_forward"] = {
            "purchase_days_by_source": {
                name: int(c) for name, c in zip(FORWARD_SOURCES, counts, strict=True)
            },
            "first_observed": str(observed_days[0].date()) if len(observed_days) else None,
            "rule": (
                "observed VX settlement of the option's own contract (2007 on); between "
                "observations the last observed basis to the model, shrinking with time left; "
                "before 2007 the mean-reversion model θ + (VIX − θ)e^{−κτ}"
            ),
        }
    return notes


class RunCache:
    """Work shared by runs over the same inputs that differ only in cheap settings (a sweep).

    Condor trades, hedge candidates and the unhedged reference depend on the preset, the model,
    the costs and the days L2 reads sensitivities on — not on sizes, offsets or budgets — so a
    sweep over layer settings prices them once. Keys are the settings they depend on.
    """

    def __init__(self) -> None:
        self._entries: dict[object, object] = {}

    def get(self, key: object, compute):
        if key not in self._entries:
            self._entries[key] = compute()
        return self._entries[key]


def _days_key(days: np.ndarray | None) -> object:
    return None if days is None else hashlib.sha256(np.packbits(days).tobytes()).hexdigest()


def run_backtest(
    inputs: BacktestInputs,
    config: BacktestConfig | None = None,
    cache: RunCache | None = None,
    detail: bool = True,
) -> BacktestResult:
    """Simulate every variant of `config` over `inputs` (method §7).

    `cache` lets a sweep reuse what does not depend on the swept settings (see `RunCache`);
    `detail=False` skips what a sweep's table does not show (signal attribution, the claim
    measured on losses from each event's start).
    """
    config = config or BacktestConfig()
    cache = cache or RunCache()
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    path = inputs.path
    specs = [VARIANTS[name] for name in config.variants]
    n = len(path)
    if any(s.layered for s in specs):
        # The backtest trades on ACTIVE states only; L2's ARMED state (scheduled CPI/PPI/FOMC
        # days ahead) is never read here, so its look-ups are skipped (no scheduled events).
        # States depend on the layer settings that shape them, not on sizes, offsets or budgets.
        state_key = (
            "states",
            id(inputs),
            config.layers.l1_armed_band,
            config.layers.l2_hold_days,
            config.layers.l3_exit_fraction,
        )
        layers = cache.get(
            state_key,
            lambda: LayerArrays.from_states(
                layer_state_history(inputs.signals, config.layers, events=pd.Series(dtype=object)),
                inputs.signals,
                path.days,
            ),
        )
    else:
        layers = LayerArrays(
            np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool), np.full(n, "", object)
        )
    # VIX sensitivities are read by L2 only, on the sessions it is ACTIVE.
    l2_days = layers.l2_active if any(s.l2 for s in specs) else None
    timings["layer_states"] = time.perf_counter() - clock

    clock = time.perf_counter()
    preset = get_preset(config.preset)
    days_key = _days_key(l2_days)
    trades = cache.get(
        ("condors", id(inputs), config.preset, repr(config.params), repr(config.costs), days_key),
        lambda: condor_trades(path, preset, config.params, config.costs, sensitivity_days=l2_days),
    )
    timings["condor_trades"] = time.perf_counter() - clock

    clock = time.perf_counter()
    cand = None
    if any(s.hedged for s in specs):
        cand = cache.get(
            (
                "candidates",
                id(inputs),
                repr(config.params),
                config.layers.min_days_new,
                config.layers.target_delta,
                config.layers.strike_listing_multiple,
                repr(config.costs),
                days_key,
            ),
            lambda: hedge_candidates(
                path,
                inputs.futures,
                config.params,
                config.layers.min_days_new,
                config.layers.target_delta,
                config.costs,
                sensitivity_days=l2_days,
                listing_multiple=config.layers.strike_listing_multiple,
            ),
        )
    timings["hedge_candidates"] = time.perf_counter() - clock

    clock = time.perf_counter()
    expiry_days = _vix_expiry_sessions(path.days)
    risk_free = path.growth[1:] / path.growth[:-1] - 1.0
    results: dict[str, VariantResult] = {}

    def simulate(spec, quantity) -> VariantResult:
        vp = simulate_variant(
            spec,
            path,
            trades,
            cand,
            layers,
            expiry_days,
            config.layers,
            config.rules,
            config.costs,
            config.params,
            config.initial_equity,
            quantity=quantity,
        )
        return VariantResult(
            vp, m.drawdown_series(vp.equity), _variant_metrics(vp, path.days, risk_free)
        )

    shared = None
    for spec in specs:
        if spec.name == REFERENCE:
            # The unhedged book ignores every hedge and layer setting.
            reference_key = (
                "reference",
                id(inputs),
                config.preset,
                repr(config.params),
                repr(config.costs),
                config.initial_equity,
                days_key,
            )
            reference = cache.get(reference_key, lambda spec=spec: simulate(spec, None))
            results[spec.name] = reference
            if config.condor_sizing == "shared":
                shared = reference.path.condor.quantity
            continue
        results[spec.name] = simulate(spec, shared)
    timings["variants"] = time.perf_counter() - clock

    clock = time.perf_counter()
    events = cache.get(
        ("events", id(inputs), repr(config.events)),
        lambda: event_table(path.days, path.vix, config.events),
    )
    curves = {k: v.equity for k, v in results.items()}
    drawdowns = event_drawdowns(curves, path.days, events)
    losses = event_losses(curves, path.days, events)
    hedged = [name for name in results if name != REFERENCE]
    claim_variant = CLAIM_VARIANT if CLAIM_VARIANT in results else (hedged or [REFERENCE])[-1]

    def check(table: pd.DataFrame, name: str, keys: tuple[str, ...] | None = None) -> dict:
        cost = float(results[name].metrics["hedge_cost_per_year"])
        out = claim_check(table, events, name, cost, config.events)
        return out if keys is None else {k: out[k] for k in keys}

    claim = check(drawdowns, claim_variant)
    # The same check on the loss from the pre-event close (a hedge gain given back inside
    # the window does not count against it): reported beside the method's drawdown reading.
    if detail:
        claim["on_loss_from_event_start"] = check(
            losses, claim_variant, ("median", "min", "max", "verdict", "n_events")
        )
    by_variant = ("median", "min", "max", "verdict", "drawdown_saved_per_1pct_cost")
    claim["by_variant"] = {name: check(drawdowns, name, by_variant) for name in hedged}
    # How sure the median is: a bootstrap over the claim's events (issue 13), per variant too.
    used = claim["events"]
    for name, entry in [(claim_variant, claim), *claim["by_variant"].items()]:
        entry["median_interval_90"] = bootstrap_median_interval(
            reduction(drawdowns.loc[used, name], drawdowns.loc[used, REFERENCE])
        )
    claim["largest_spikes"] = largest_spikes(
        {k: v.path for k, v in results.items()}, path.days, events, drawdowns, used
    )
    fee = config.costs.fee_per_contract
    attribution = (
        pd.concat(
            [attribution_trades(results[v].path, path.days, fee) for v in hedged]
            or [attribution_trades(results[REFERENCE].path, path.days, fee)],
            ignore_index=True,
        )
        if detail
        else pd.DataFrame()
    )
    summary = attribution_summary(attribution)  # an empty table when not `detail`
    timings["events_and_attribution"] = time.perf_counter() - clock

    run_id = config.run_id(inputs.start, inputs.end, inputs.signals.config.as_dict())
    return BacktestResult(
        run_id=run_id,
        config=config,
        start=path.days[0].date(),
        end=path.days[-1].date(),
        days=path.days,
        condors=trades,
        variants=results,
        events=events,
        event_drawdowns=drawdowns,
        event_losses=losses,
        claim=claim,
        attribution=attribution,
        attribution_summary=summary,
        notes=_notes(inputs, cand, trades),
        timings=timings,
        candidates=cand,
    )

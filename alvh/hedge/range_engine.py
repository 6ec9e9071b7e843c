"""Signals and layer states over a range of days, computed once (method §5–§6.3), each day's
slice exactly what `alvh.hedge.day.run_layers` would compute for that day alone.

The signals are point-in-time by construction (`alvh.data.known`), so one history read at the
range's end gives every day's values. The layer states are too, except L2's scheduled events:
a CPI release's actual date is known only once it is published, so before that the day's
state uses the typical release day, as the daily run did. Days are therefore grouped by the
CPI releases known at their close and each group's states come from its own event calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from alvh.core.settings import Settings
from alvh.hedge.day import SIGNAL_LOOKBACK_DAYS, configs
from alvh.hedge.layers import (
    EVENT_HORIZON_DAYS,
    arm_for_events,
    layer_state_history,
    scheduled_event_days,
)
from alvh.hedge.signals import SignalHistory, compute_signals, load_signal_inputs


@dataclass(frozen=True)
class RangeDecisionInputs:
    """The signal history over the range and each day's layer-state row (indexed by day)."""

    signals: SignalHistory
    states: pd.DataFrame

    def states_on(self, day: date) -> pd.Series:
        """The day's layer-state row, as `layer_state_history(...).loc[day]` gives it."""
        return self.states.loc[pd.Timestamp(day)]


def range_decision_inputs(
    con: duckdb.DuckDBPyConnection, days: list[date], settings: Settings
) -> RangeDecisionInputs:
    """Signals and layer states for every day of `days` (sorted), read and computed once."""
    signal_config, layer_config, _ = configs(settings)
    start = days[0] - timedelta(days=SIGNAL_LOOKBACK_DAYS)
    signals = compute_signals(load_signal_inputs(con, days[-1], start=start), signal_config)
    return RangeDecisionInputs(signals, _states_as_known(signals, layer_config, days))


def _states_as_known(signals: SignalHistory, layer_config, days: list[date]) -> pd.DataFrame:
    cpi = signals.inputs.releases.get("CPIAUCSL")
    known = (
        pd.to_datetime(cpi["known_date"]).dt.normalize().sort_values()
        if cpi is not None
        else pd.Series(dtype="datetime64[ns]")
    )
    wanted = pd.DatetimeIndex([pd.Timestamp(d) for d in days])
    # per day, how many CPI releases are known at its close: days with the same count share an
    # event calendar (one group a month), so the state history is computed once per group
    known_count = known.searchsorted(wanted, side="right")
    # everything but L2's scheduled events is the same for every group: computed once
    unarmed = layer_state_history(signals, layer_config, pd.Series(dtype=object))
    fomc = signals.inputs.fomc
    fomc_days = pd.to_datetime(fomc["event_date"]).dt.normalize()
    parts = []
    for count in sorted(set(known_count)):
        group = wanted[known_count == count]
        # the calendar of the group's own months and the horizon after them (whole months, so
        # a month's listed CPI date still stands in for its typical day): the days it arms
        # L2 on are those of the whole calendar, at a group's cost instead of the history's
        lo = group[0].to_period("M").start_time
        hi = (group[-1] + pd.Timedelta(days=EVENT_HORIZON_DAYS)).to_period("M").end_time
        cpi = known.iloc[:count]
        events = scheduled_event_days(
            fomc[((fomc_days >= lo) & (fomc_days <= hi)).to_numpy()],
            cpi[(cpi >= lo) & (cpi <= hi)],
            group,
        )
        parts.append(arm_for_events(unarmed.loc[group], events, layer_config))
    return pd.concat(parts).sort_index()

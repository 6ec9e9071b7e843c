"""Signals panel: S1–S6 with value, rule and a one-year sparkline each (method §5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date, timedelta
from typing import Any

import numpy as np

from alvh.core.settings import Settings
from alvh.hedge.day import configs
from alvh.hedge.signals import (
    SIGNALS,
    TITLES,
    SignalConfig,
    compute_signals,
    load_signal_inputs,
)
from alvh.report import charts
from alvh.report.day import DayDecision, Footnotes
from alvh.report.formatting import iso, number, percent

SPARKLINE_DAYS = 366


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def decided_signal_config(decision: DayDecision, settings: Settings) -> SignalConfig:
    """The signal settings the day was decided with (stored with its states), else those in
    force now: the report's rule text says what the engine applied."""
    stored = decision.parameters.get("signals") if decision.parameters else None
    if not stored:
        return configs(settings)[0]
    known = {f.name for f in fields(SignalConfig)}
    return SignalConfig.from_mapping({k: v for k, v in stored.items() if k in known})


def signal_value_text(
    name: str, reading: Mapping[str, Any], config: SignalConfig
) -> tuple[str, str]:
    """(value, rule) of one signal for the strip and the panel; the rule's constants come from
    `config`, the settings in force (method.md: the report prints the values used)."""
    value, threshold = reading.get("value"), reading.get("threshold")
    if not reading.get("available", False):
        detail = str(reading.get("detail", ""))
        why = detail.removeprefix("unavailable: ").split(" (")[0] if detail else ""
        return (f"unavailable ({why})" if why else "unavailable"), ""
    if name == "S1":
        rule = f"≥ {number(threshold)} and VIX < {config.s1_vix_max:g}"
        return f"CAPE percentile {number(value)}", rule
    if name == "S2":
        if value is None:
            return "no release today", f"|z| ≥ {number(threshold, 1)} on a CPI/PPI release"
        return f"z {number(value, 2, True)}", f"|z| ≥ {number(threshold, 1)}"
    if name == "S3":
        return f"max |z| {number(value)}", f"≥ {number(threshold, 1)}"
    if name == "S4":
        return f"RSI({config.s4_rsi_period}) {number(value, 1)}", (
            f"≥ {number(threshold, 0)} or VIX ≥ {config.s4_min_multiple:g} × "
            f"{config.s4_min_window}-day min"
        )
    if name == "S5":
        return f"MACD gap {number(value)}", "< 0 at a new high (bearish divergence)"
    if name == "S6":
        pct = _ordinal(round(config.s6_percentile * 100))
        return f"ERP {percent(value, 2, True)}", f"< {percent(threshold, 2, True)} ({pct} pct)"
    return number(value), number(threshold)


SPARK_STYLE = {
    "S1": {},
    "S2": {"symmetric": True, "markers": True},
    "S3": {},
    "S4": {},
    "S5": {},
    "S6": {"percent": True},
}


def signals_section(
    con, as_of: date, settings: Settings, decision: DayDecision, fn: Footnotes
) -> list:
    signal_config = decided_signal_config(decision, settings)
    start = as_of - timedelta(days=SPARKLINE_DAYS)
    history = compute_signals(load_signal_inputs(con, as_of, start=start), signal_config)
    panel = []
    for name in SIGNALS:
        frame = history.frame(name)
        reading = decision.signals.get(name, {})
        value_text, rule = signal_value_text(name, reading, signal_config)
        values = frame["value"].to_numpy(dtype=float)
        chart = None
        if np.isfinite(values).any():
            chart = charts.sparkline(
                f"spark-{name}",
                frame.index.to_numpy(),
                values,
                frame["threshold"].to_numpy(dtype=float),
                frame["active"].to_numpy(dtype=bool),
                **SPARK_STYLE[name],
            )
        available_share = float(frame["available"].mean()) if len(frame) else 0.0
        panel.append(
            {
                "name": name,
                "title": TITLES[name],
                "state": (
                    "ACTIVE"
                    if reading.get("active")
                    else ("off" if reading.get("available") else "unavailable")
                ),
                "css": (
                    "on" if reading.get("active") else ("off" if reading.get("available") else "na")
                ),
                "value": value_text,
                "rule": rule,
                "detail": reading.get("detail", ""),
                "chart": chart,
                "active_days": int(frame["active"].sum()),
                "sessions": len(frame),
                "available_share": percent(available_share, 0),
                "window": f"{iso(frame.index[0])} to {iso(frame.index[-1])}",
            }
        )
    return panel

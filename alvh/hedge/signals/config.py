"""The signals' names and every threshold and window of method §5 (docs/signals.md)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alvh.core.errors import UsageError

SIGNALS = ("S1", "S2", "S3", "S4", "S5", "S6")
TITLES = {
    "S1": "complacency",
    "S2": "macro surprise",
    "S3": "rate-differential / carry spike",
    "S4": "volatility momentum",
    "S5": "breadth divergence",
    "S6": "equity risk premium",
}


class SignalConfigError(UsageError, ValueError):
    """A signal setting that does not exist or has an impossible value (exit 2)."""


@dataclass(frozen=True)
class SignalConfig:
    """Every threshold and window of method §5, with its default (docs/signals.md)."""

    # Staleness: beyond these, an input is stale and its signal unavailable.
    daily_max_stale_sessions: int = 5
    monthly_max_lag_months: int = 3
    # S1 complacency
    s1_vix_max: float = 25.0
    s1_valuation_percentile: float = 0.70
    s1_valuation_window_years: int = 30
    # S2 macro surprise
    s2_z: float = 1.5
    s2_trend_months: int = 12
    s2_std_months: int = 24
    s2_min_trend_months: int = 10
    s2_min_std_months: int = 20
    s2_confirm_sessions: int = 5
    # S3 rate-differential / carry spike
    s3_z: float = 2.0
    s3_z_near_fomc: float = 1.5
    s3_fomc_sessions: int = 2
    s3_change_sessions: int = 5
    s3_z_window: int = 252
    # S4 volatility momentum
    s4_rsi_period: int = 14
    s4_rsi_threshold: float = 70.0
    s4_min_window: int = 20
    s4_min_multiple: float = 1.5
    # S5 breadth divergence
    s5_fast: int = 12
    s5_slow: int = 26
    s5_signal: int = 9
    s5_high_window: int = 63
    s5_near_high_window: int = 252
    s5_near_high_pct: float = 0.03
    s5_hold_sessions: int = 10
    s5_breadth_warmup_sessions: int = 60
    # S6 equity risk premium
    s6_percentile: float = 0.20
    s6_window_sessions: int = 2520

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SignalConfigError(f"signal setting {f.name} must be a number, got {value!r}")
            if f.type == "int":
                if int(value) != value:
                    raise SignalConfigError(
                        f"signal setting {f.name} must be an integer: {value!r}"
                    )
                object.__setattr__(self, f.name, int(value))
            else:
                object.__setattr__(self, f.name, float(value))
            if value <= 0 and f.name != "daily_max_stale_sessions":
                raise SignalConfigError(f"signal setting {f.name} must be > 0, got {value!r}")
            if value < 0:
                raise SignalConfigError(f"signal setting {f.name} must be >= 0, got {value!r}")
        for name in ("s1_valuation_percentile", "s6_percentile", "s5_near_high_pct"):
            if not 0 < getattr(self, name) < 1:
                raise SignalConfigError(f"signal setting {name} must lie in (0, 1)")
        if self.s5_fast >= self.s5_slow:
            raise SignalConfigError("s5_fast must be shorter than s5_slow")
        if self.s3_z_near_fomc > self.s3_z:
            raise SignalConfigError("s3_z_near_fomc must not exceed s3_z")
        if self.s2_min_trend_months > self.s2_trend_months:
            raise SignalConfigError("s2_min_trend_months must not exceed s2_trend_months")
        if self.s2_min_std_months > self.s2_std_months or self.s2_min_std_months < 2:
            raise SignalConfigError("s2_min_std_months must lie in [2, s2_std_months]")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SignalConfig:
        """Defaults overridden by `values`; an unknown key is an error naming the known ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SignalConfigError(
                f"unknown signal setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**dict(values))

    def as_dict(self) -> dict[str, float | int]:
        """The values in force, for reports."""
        return dataclasses.asdict(self)

"""Parameter sweeps over the backtest (issue 7): a TOML grid expanded into configurations, run in
batches that share one read of the warehouse and one `RunCache`, and tabulated.

A grid file:

    preset = "cndr"                  # or a list: ["cndr", "retail45"]
    variants = ["alvh"]              # the unhedged reference always runs too
    start = "1990-01-02"             # optional (a string or a TOML date); end likewise
    [grid]
    "layers.l1_pct" = [0.10, 0.125, 0.15]
    "layers.l2_offset" = [0.2, 0.4, 0.6]
    "costs.slippage_four_legs" = [0.56, 0.66]

Keys under [grid] name a field of `LayerConfig` (`layers.`), `CostModel` (`costs.`) or the
top-level `preset` / `condor_sizing`; every combination is one configuration. Batching matters:
a Prefect task costs 5–20 ms here, a configuration ~0.1 s, so each task runs many of them.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import fields, replace
from datetime import date
from pathlib import Path

import pandas as pd

from alvh.backtest.engine import BacktestConfig, RunCache, run_backtest
from alvh.backtest.inputs import FIRST_VIX_DAY, load_inputs
from alvh.book.costs import CostModel
from alvh.core import calendar
from alvh.core.errors import UsageError
from alvh.hedge.layers import LayerConfig
from alvh.store.warehouse import connect

SECTIONS = {"layers": LayerConfig, "costs": CostModel}
TOP_LEVEL = ("preset", "condor_sizing")
METRICS = ("cagr", "vol", "sharpe", "max_drawdown", "calmar", "hedge_cost_per_year")


def load_grid(path: Path) -> dict:
    """Read and check a grid file; every problem names the file and the key."""
    try:
        grid = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"{path}: no such grid file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from exc
    axes = grid.get("grid")
    if not isinstance(axes, dict) or not axes:
        raise UsageError(f"{path}: needs a [grid] table with at least one key")
    for key, values in axes.items():
        section, _, name = key.partition(".")
        if key in TOP_LEVEL:
            pass
        elif section not in SECTIONS or name not in {f.name for f in fields(SECTIONS[section])}:
            known = ", ".join([*TOP_LEVEL, *(f"{s}.<field>" for s in SECTIONS)])
            raise UsageError(f"{path}: unknown grid key {key!r} (use {known})")
        if not isinstance(values, list) or not values:
            raise UsageError(f"{path}: grid key {key!r} needs a non-empty list of values")
    # `start` / `end` may be TOML dates or ISO strings; either way they leave here as dates.
    for key in ("start", "end"):
        if key in grid:
            try:
                grid[key] = calendar.as_date(grid[key])
            except (TypeError, ValueError) as exc:
                raise UsageError(f"{path}: {key} {grid[key]!r} is not a date (YYYY-MM-DD)") from exc
    return grid


def expand(grid: dict) -> list[dict[str, object]]:
    """Every combination of the grid's values (plus the file's fixed settings), in order."""
    axes = grid["grid"]
    presets = grid.get("preset", "cndr")
    base = {
        "preset": presets if isinstance(presets, str) else None,
        "variants": tuple(grid.get("variants", ("alvh",))),
    }
    keys = list(axes)
    if isinstance(presets, list):
        keys.insert(0, "preset")
        axes = {"preset": presets, **axes}
    return [
        {**base, **dict(zip(keys, combo, strict=True))}
        for combo in itertools.product(*(axes[k] for k in keys))
    ]


def build_config(point: dict[str, object]) -> BacktestConfig:
    """A BacktestConfig for one grid point (validated by the dataclasses themselves)."""
    sections: dict[str, dict[str, object]] = {name: {} for name in SECTIONS}
    top: dict[str, object] = {}
    for key, value in point.items():
        section, _, name = key.partition(".")
        if section in SECTIONS and name:
            sections[section][name] = value
        elif key in (*TOP_LEVEL, "variants"):
            top[key] = value
    config = BacktestConfig(**{k: v for k, v in top.items() if v is not None})
    return replace(
        config,
        layers=replace(config.layers, **sections["layers"]),
        costs=replace(config.costs, **sections["costs"]),
    )


def run_batch(
    warehouse: Path,
    points: list[dict[str, object]],
    start: date | None = None,
    end: date | None = None,
) -> list[dict[str, object]]:
    """Run grid points over one read of the warehouse; one row per point and variant."""
    con = connect(warehouse, read_only=True)
    try:
        inputs = load_inputs(con, start=start or FIRST_VIX_DAY, end=end)
    finally:
        con.close()
    cache = RunCache()
    rows = []
    for point in points:
        result = run_backtest(inputs, build_config(point), cache, detail=False)
        for name, variant in result.variants.items():
            row = {k: v for k, v in point.items() if k != "variants"}
            row.update({"run_id": result.run_id, "variant": name})
            row.update({k: variant.metrics.get(k) for k in METRICS})
            claim = result.claim.get("by_variant", {}).get(name, {})
            row["claim_median"] = claim.get("median")
            rows.append(row)
    return rows


def batches(points: list[dict[str, object]], count: int) -> list[list[dict[str, object]]]:
    """Split points into `count` batches of nearly equal size, keeping each batch's points
    adjacent so configurations that share cached work run in the same task."""
    count = max(1, min(count, len(points)))
    size, extra = divmod(len(points), count)
    out, at = [], 0
    for i in range(count):
        take = size + (1 if i < extra else 0)
        out.append(points[at : at + take])
        at += take
    return out


def tabulate(rows: list[dict[str, object]]) -> pd.DataFrame:
    """The sweep's table: one row per configuration and variant, best Calmar first."""
    frame = pd.DataFrame(rows)
    return frame.sort_values(["variant", "calmar"], ascending=[True, False], ignore_index=True)

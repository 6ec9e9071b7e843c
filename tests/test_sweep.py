"""`alvh sweep`: grid files, batching, and the flow on Prefect's engine (threads and Dask)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from alvh.backtest.sweep import batches, build_config, expand, load_grid, tabulate
from alvh.core.errors import UsageError

pytest_plugins = ["conftest_flows"]

GRID = """
preset = "cndr"
variants = ["l1"]
start = "2015-01-02"
end = "2016-12-30"
[grid]
"layers.l1_pct" = [0.10, 0.15]
"costs.slippage_four_legs" = [0.56, 0.66]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "grid.toml"
    path.write_text(text)
    return path


def test_a_grid_expands_to_every_combination(tmp_path):
    grid = load_grid(write(tmp_path, GRID))
    points = expand(grid)
    assert len(points) == 4
    config = build_config(points[-1])
    assert config.layers.l1_pct == 0.15 and config.costs.slippage_four_legs == 0.66
    assert config.variants == ("unhedged", "l1")
    listed = expand(
        load_grid(write(tmp_path, GRID.replace('preset = "cndr"', 'preset = ["cndr", "retail45"]')))
    )
    assert len(listed) == 8 and {p["preset"] for p in listed} == {"cndr", "retail45"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[grid]\n"layers.l1_percent" = [0.1]\n', "unknown grid key"),
        ('[grid]\n"layers.l1_pct" = []\n', "non-empty list"),
        ('preset = "cndr"\n', "needs a \\[grid\\]"),
        ("[grid\n", "not valid TOML"),
        ('start = "2015-13-01"\n[grid]\n"layers.l1_pct" = [0.1]\n', "start '2015-13-01' is not"),
        ('end = 20151231\n[grid]\n"layers.l1_pct" = [0.1]\n', "end 20151231 is not a date"),
    ],
)
def test_bad_grid_files_are_refused_by_name(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(UsageError, match=message) as refused:
        load_grid(path)
    assert str(refused.value).startswith(f"{path}: ")


def test_grid_dates_may_be_strings_or_toml_dates(tmp_path):
    as_strings = load_grid(write(tmp_path, GRID))
    as_dates = load_grid(write(tmp_path, GRID.replace('"2015-01-02"', "2015-01-02")))
    for grid in (as_strings, as_dates):
        assert grid["start"] == date(2015, 1, 2) and grid["end"] == date(2016, 12, 30)


def test_out_of_range_values_are_refused_when_the_config_is_built(tmp_path):
    (point,) = expand(load_grid(write(tmp_path, '[grid]\n"layers.l1_pct" = [0.5]\n')))
    with pytest.raises(UsageError, match="l1_pct"):
        build_config(point)


def test_batches_split_evenly_and_keep_order():
    points = [{"i": i} for i in range(10)]
    split = batches(points, 4)
    assert [len(b) for b in split] == [3, 3, 2, 2]
    assert [p for b in split for p in b] == points
    assert batches(points[:1], 4) == [points[:1]]


@pytest.mark.parametrize("runner", ["local", "dask"])
def test_the_sweep_flow_runs_batches_and_tabulates(
    prefect_api, snapshot_warehouse, tmp_path, runner
):
    from flows.sweep import run_sweep

    rows = run_sweep(write(tmp_path, GRID), snapshot_warehouse, runner, workers=2)
    table = tabulate(rows)
    assert len(table) == 8  # 4 configurations × (l1 + the unhedged reference)
    assert table["run_id"].nunique() == 4
    reference = table[table["variant"] == "unhedged"]
    # The reference ignores every swept layer setting but not the costs.
    assert reference.groupby("costs.slippage_four_legs")["cagr"].nunique().eq(1).all()
    hedged = table[table["variant"] == "l1"]
    assert hedged["hedge_cost_per_year"].gt(0).all()
    by_size = hedged.sort_values("layers.l1_pct")
    cheaper = by_size[by_size["costs.slippage_four_legs"] == 0.56]["cagr"].to_numpy()
    dearer = by_size[by_size["costs.slippage_four_legs"] == 0.66]["cagr"].to_numpy()
    assert (cheaper >= dearer).all()  # costs only lower returns

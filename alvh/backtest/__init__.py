"""The §7 backtest: condor presets × hedge variants over the bundled history.

    inputs = load_inputs(con)                         # warehouse read, as known at each close
    result = run_backtest(inputs, BacktestConfig())   # condors, hedges, metrics, events, claim
    summary_json(result); write_outputs(result, out_dir); store_result(con, result)

Modules, one idea each: `presets` (condor rules and their schedule), `inputs` (the market path),
`condors` (strikes, marks, exits per unit), `candidates` (the VIX calls every hedge buys, priced
once), `hedges` (the variants' decisions and sleeves), `metrics`, `events` (catalogue, detected
spikes, claim check), `attribution`, `engine` (the run), `output` (JSON and CSV), `store`
(warehouse), `cli` (what `alvh backtest` calls). docs/backtest.md describes the rules.
"""

from alvh.backtest.engine import BacktestConfig, BacktestResult, run_backtest
from alvh.backtest.hedges import VARIANTS, HedgeRules, VxthRule, parse_variants
from alvh.backtest.inputs import BacktestInputs, load_inputs
from alvh.backtest.presets import PRESETS, CondorPreset

__all__ = [
    "PRESETS",
    "VARIANTS",
    "BacktestConfig",
    "BacktestInputs",
    "BacktestResult",
    "CondorPreset",
    "HedgeRules",
    "VxthRule",
    "load_inputs",
    "parse_variants",
    "run_backtest",
]

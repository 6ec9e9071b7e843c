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

from importlib import import_module

# Names are resolved on first use (PEP 562), so `alvh --help` and the CLI do not pay
# for importing the whole engine.
_EXPORTS = {
    "BacktestConfig": "engine",
    "BacktestResult": "engine",
    "run_backtest": "engine",
    "VARIANTS": "hedges",
    "HedgeRules": "hedges",
    "VxthRule": "hedges",
    "parse_variants": "hedges",
    "BacktestInputs": "inputs",
    "load_inputs": "inputs",
    "PRESETS": "presets",
    "CondorPreset": "presets",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f"alvh.backtest.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'alvh.backtest' has no attribute {name!r}")

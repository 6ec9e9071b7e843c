"""What a backtest run hands over: the JSON summary (interface.md `backtest`) and its CSV files.

The JSON carries exactly interface.md's keys plus extras (worst month, the split of the hedge
cost, the claim check per variant, the configuration, the data notes, the attribution summary).
Numbers that do not exist (a Sharpe ratio without dispersion, a reduction where the unhedged
book did not fall) are null, never NaN.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from alvh.backtest.engine import REFERENCE, BacktestResult
from alvh.backtest.events import reduction
from alvh.core.csvsafe import write_csv

__all__ = ["summary_json", "write_outputs"]

EQUITY_COLUMNS = ("date", "variant", "equity", "drawdown", "condor_pnl", "hedge_pnl", "cash")


def _clean(value):
    """JSON-ready: NaN/inf → None, numpy scalars → Python, dates → ISO strings."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    return value


def summary_json(result: BacktestResult) -> dict[str, object]:
    """interface.md's `backtest` shape, plus extra keys."""
    variants = {name: dict(v.metrics) for name, v in result.variants.items()}
    claim_events = set(result.claim.get("events", []))
    events = []
    for ev in result.events.itertuples():
        dd = result.event_drawdowns.loc[ev.event]
        loss = result.event_losses.loc[ev.event]
        events.append(
            {
                "event": ev.event,
                "start": pd.Timestamp(ev.start).date(),
                "end": pd.Timestamp(ev.end).date(),
                "drawdown": {name: dd[name] for name in result.variants},
                "reduction": {
                    name: float(reduction(dd[name], dd[REFERENCE]))
                    for name in result.variants
                    if name != REFERENCE
                },
                "loss_from_start": {name: loss[name] for name in result.variants},
                "kind": ev.kind,
                "description": ev.description,
                "overlaps": ev.overlaps or None,
                "in_claim_check": ev.event in claim_events,
            }
        )
    summary = result.attribution_summary
    return _clean(
        {
            "preset": result.config.preset,
            "start": result.start,
            "end": result.end,
            "variants": variants,
            "events": events,
            "claim_check": result.claim,
            "run_id": result.run_id,
            "initial_equity": result.config.initial_equity,
            "condor_trades": int(len(result.condors)),
            "attribution": summary.assign(
                first=summary["first"].astype(str), last=summary["last"].astype(str)
            ).to_dict("records")
            if len(summary)
            else [],
            "notes": result.notes,
            "config": json.loads(json.dumps(result.config.as_dict(), default=str)),
            "timings_seconds": result.timings,
        }
    )


def write_outputs(result: BacktestResult, out_dir: Path) -> dict[str, Path]:
    """equity.csv, events.csv (interface.md), plus attribution.csv, condor_trades.csv,
    hedge_trades.csv and backtest.json; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    equity = result.equity_frame()[list(EQUITY_COLUMNS)]
    # every CSV through write_csv: text cells cannot start a spreadsheet formula
    written["equity"] = write_csv(equity, out_dir / "equity.csv", float_format="%.6f")
    written["events"] = write_csv(
        result.events_frame(), out_dir / "events.csv", float_format="%.6f"
    )
    written["attribution"] = write_csv(
        result.attribution, out_dir / "attribution.csv", float_format="%.6f"
    )
    frames = []
    for name, v in result.variants.items():
        frames.append(
            result.condors.frame(v.path.condor.quantity, result.days).assign(variant=name)
        )
    written["condor_trades"] = write_csv(
        pd.concat(frames, ignore_index=True), out_dir / "condor_trades.csv", float_format="%.6f"
    )
    hedge = []
    for name, v in result.variants.items():
        t = v.path.hedge.trades
        if len(t):
            hedge.append(
                t.assign(variant=name, date=result.days[t["day"].to_numpy()].date).drop(
                    columns="day"
                )
            )
    written["hedge_trades"] = write_csv(
        pd.concat(hedge, ignore_index=True) if hedge else pd.DataFrame(),
        out_dir / "hedge_trades.csv",
        float_format="%.6f",
    )
    written["json"] = out_dir / "backtest.json"
    written["json"].write_text(json.dumps(summary_json(result), indent=2) + "\n", encoding="utf-8")
    return written

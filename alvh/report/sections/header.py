"""Report header: data freshness per series, the ingest run that served the day, the code."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from alvh import __version__
from alvh.core.settings import Settings
from alvh.data.status import sessions_stale, stale_tolerance
from alvh.report.day import Footnotes, records
from alvh.report.formatting import iso
from alvh.store.runs import git_commit


def header_section(con, as_of: date, settings: Settings, run_id: str | None, fn: Footnotes) -> dict:
    freshness = []
    stale_count = 0
    tolerance = stale_tolerance(settings)
    for r in records(con, "freshness", as_of=as_of):
        last = pd.Timestamp(r["last_date"]).date()
        monthly = r["frequency"] == "monthly"
        sessions = sessions_stale(last, r["frequency"], as_of)
        stale = sessions > tolerance[r["frequency"]]
        stale_count += stale
        freshness.append(
            {
                "series": r["series_id"],
                "description": r["description"],
                "publisher": r["publisher"],
                "last": last.strftime("%Y-%m") if monthly else last.isoformat(),
                "sessions": sessions,
                "stale_text": (
                    "current" if sessions == 0 else f"{sessions} session{'s' * (sessions != 1)}"
                ),
                "stale": stale,
                "css": "stale" if stale else "fresh",
                "source": r["source"],
                "frequency": r["frequency"],
                "ingest_run_id": r["ingest_run_id"],
            }
        )
    ingest = records(con, "latest_ingest", as_of=as_of)
    banner = None
    ingest_info: dict[str, Any] = {"run_id": "none", "mode": "none", "items": []}
    if not ingest:
        banner = {
            "level": "warn",
            "title": "No ingest run is recorded in this warehouse",
            "lines": ["Run 'alvh ingest' (or 'alvh init') before relying on this report."],
        }
    else:
        run = ingest[0]
        items = records(con, "ingest_items", run_id=run["run_id"])
        ingest_info = {
            "run_id": run["run_id"],
            "mode": run["source_mode"],
            "started": iso(run["started_at"]),
            "items": items,
        }
        fallback = [i for i in items if i["status"] == "fallback"]
        failed = [i for i in items if i["status"] in ("failed", "unreachable")]
        served = [i for i in items if i["source"] == "snapshot"]
        if run["source_mode"] == "snapshot":
            banner = {
                "level": "warn",
                "title": "OFFLINE SNAPSHOT — not live publisher data",
                "lines": [
                    f"The latest ingest ran in snapshot mode: all {len(served)} items came from "
                    "the bundled offline snapshot, not from Cboe or FRED. Its newest "
                    "observations may lag the market: check the data freshness list.",
                ],
            }
        elif fallback or failed:
            lines = [f"{i['item']}: {i['note'] or i['status']}" for i in [*fallback, *failed]][:12]
            banner = {
                "level": "warn" if not failed else "bad",
                "title": (
                    f"OFFLINE SNAPSHOT served for {len(fallback)} item(s): live publishers "
                    "unreachable"
                    if fallback
                    else f"{len(failed)} item(s) failed to load"
                ),
                "lines": lines,
            }
    code = {"version": __version__, "git_commit": git_commit() or "unknown", "flow_run_id": ""}
    if run_id:
        runs = records(con, "pipeline_run", run_id=run_id)
        if runs:
            code["git_commit"] = runs[0]["git_commit"] or code["git_commit"]
            code["flow_run_id"] = runs[0]["flow_run_id"] or ""
    return {
        "freshness": freshness,
        "stale_count": stale_count,
        "banner": banner,
        "ingest": ingest_info,
        "code": code,
    }

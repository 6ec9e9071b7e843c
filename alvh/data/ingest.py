"""Load market and macro data into the warehouse: read, validate, date, write (foundation issue).

Each item — a series, the VIX futures table, an event calendar — is read from its publisher (or
the bundled snapshot), validated by `alvh.data.validation`, tagged with the date each value became
known
(`alvh.data.publication`), and written in its own transaction together with its quarantined rows and
its line in the run's record. A file that fails as a whole changes nothing for its item.

Source modes: `snapshot` reads only the bundled files; `live` reads Cboe and FRED and fails an
item whose publisher cannot be reached; `auto` tries the live publisher and falls back to the
snapshot per series, saying so.

An item whose input is exactly what an earlier run loaded cleanly — same file bytes, catalogue
entry, release calendar and ingest code (its fingerprint), no row quarantined then, as many
stored rows as it loaded, and that run's day no later than this one — is recorded as
unchanged without being validated and written again: loading it again could not change a row.
That keeps a daily run on unchanged data quick (offline on the bundled snapshot, or the monthly
series that FRED republishes as they were). `revalidate=True` (`alvh ingest --revalidate`)
checks every file regardless.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from alvh.core.resources import read_sql_statements, sql_dir
from alvh.core.settings import Settings
from alvh.data.catalogue import (
    CPI_RELEASE_FILE,
    FOMC_FILE,
    SERIES,
    VIX_FUTURES_FILE,
    SeriesSpec,
)
from alvh.data.publication import known_dates
from alvh.data.sources.base import BadFile, RawTable, SourceUnavailable
from alvh.data.sources.snapshot import read_snapshot_file
from alvh.data.status import sessions_stale, stale_tolerance
from alvh.data.validation import (
    MAX_REJECTED_ROWS_PER_FILE,
    REJECT_COLUMNS,
    reject_where,
    require_columns,
    validate_dated_rows,
    validate_secondary_dates,
    validate_values,
)
from alvh.store import runs
from alvh.store.warehouse import transaction

Mode = Literal["auto", "snapshot", "live"]
MODES: tuple[str, ...] = ("auto", "snapshot", "live")

VX_SETTLE_LOW, VX_SETTLE_HIGH = 5.0, 200.0
_EMPTY = pd.DataFrame({"_": pd.Series(dtype="int64")})
# How an item's note starts the part saying its input was reused (bookkeeping of this run, not
# a fact about the data: the report leaves it out so re-runs render identically).
REUSED_NOTE = "same input as ingest run"


@dataclass
class ItemResult:
    """What one item of a run did."""

    item: str
    source: str
    origin: str
    status: str  # loaded | fallback | failed | unreachable
    note: str = ""
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    missing: int = 0
    withheld: int = 0
    duration: float = 0.0
    reject_messages: list[str] = field(default_factory=list)
    content_hash: str | None = None  # the input's fingerprint (None: unknown, never reused)


@dataclass(frozen=True)
class _Loaded:
    """An item's most recent record from an earlier run, with what its rows look like now."""

    content_hash: str | None
    status: str
    rejected: int
    rows: int
    missing: int
    withheld: int
    run_id: str
    as_of: date
    stored_rows: int
    last_date: date | None


@dataclass
class IngestReport:
    """The whole run: its items, totals, and the exit code interface.md assigns to it."""

    run_id: str
    as_of: date
    mode: str
    items: list[ItemResult]
    duration: float

    def total(self, name: str) -> int:
        return sum(getattr(item, name) for item in self.items)

    @property
    def reject_messages(self) -> list[str]:
        return [m for item in self.items for m in item.reject_messages]

    @property
    def unreachable(self) -> list[ItemResult]:
        return [item for item in self.items if item.status == "unreachable"]

    @property
    def status(self) -> str:
        if self.total("rejected"):
            return "rejected"
        if self.unreachable:
            return "unreachable"
        return "ok"

    @property
    def exit_code(self) -> int:
        """3 when anything was rejected, else 4 when a publisher failed with no fallback."""
        return {"rejected": 3, "unreachable": 4, "ok": 0}[self.status]


class _Reader:
    """Fetches each file once per run, whichever series ask for it."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._cache: dict[tuple[str, str], RawTable | Exception] = {}

    def snapshot(self, relative: str) -> RawTable:
        return self._once(
            ("snapshot", relative),
            lambda: read_snapshot_file(self.settings.snapshot_path, relative),
        )

    def live(self, publisher: str, key: str) -> RawTable:
        if publisher == "cboe":
            from alvh.data.sources.cboe import read_cboe

            return self._once(("cboe", key), lambda: read_cboe(key, self.settings))
        from alvh.data.sources.fred import read_fred

        return self._once(("fred", key), lambda: read_fred(key, self.settings))

    def _once(self, key: tuple[str, str], read) -> RawTable:
        if key not in self._cache:
            try:
                self._cache[key] = read()
            except (SourceUnavailable, BadFile) as exc:
                self._cache[key] = exc
        found = self._cache[key]
        if isinstance(found, Exception):
            raise found
        return found


def ingest(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    as_of: date,
    mode: Mode = "auto",
    *,
    revalidate: bool = False,
) -> IngestReport:
    """Load every catalogued item for `as_of`; see the module docstring for the modes and for
    when an unchanged item is not loaded again (never with `revalidate`)."""
    if mode not in MODES:
        raise ValueError(f"unknown source mode {mode!r}; expected one of {MODES}")
    started = time.perf_counter()
    run_id = f"ingest-{datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    sql = read_sql_statements("ingest/bookkeeping.sql")
    with transaction(con):
        con.register("catalogue", _catalogue_frame())
        con.execute(sql["catalogue"])
        con.unregister("catalogue")
        runs.abandon_stale_ingests(con)
        con.execute(
            sql["start_run"],
            {"run_id": run_id, "started_at": datetime.now(), "as_of": as_of, "mode": mode},
        )
    try:
        report = _ingest_items(con, settings, as_of, mode, run_id, sql, revalidate)
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a broken connection: the next ingest abandons it
            runs.fail_ingest(con, run_id)
        raise
    report.duration = time.perf_counter() - started
    con.execute(
        sql["finish_run"],
        {
            "run_id": run_id,
            "finished_at": datetime.now(),
            "status": report.status,
            "inserted": report.total("inserted"),
            "updated": report.total("updated"),
            "unchanged": report.total("unchanged"),
            "rejected": report.total("rejected"),
            "duration": report.duration,
        },
    )
    return report


def _ingest_items(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    as_of: date,
    mode: Mode,
    run_id: str,
    sql: dict[str, str],
    revalidate: bool,
) -> IngestReport:
    reader = _Reader(settings)
    writer = _Writer(con, run_id, sql, reuse=not revalidate)
    items = [
        _ingest_fomc(reader, writer, as_of),
        _ingest_cpi_calendar(reader, writer, as_of),
    ]
    release_calendars = {
        event: con.execute(sql["cpi_release_calendar"], {"event_type": event}).df()
        for event in ("CPI", "PPI")
    }
    stale_after = stale_tolerance(settings)
    for spec in SERIES:
        calendar_for = {"cpi_release": "CPI", "ppi_release": "PPI"}.get(spec.known)
        items.append(
            _ingest_series(
                reader, writer, spec, as_of, mode, release_calendars.get(calendar_for), stale_after
            )
        )
    items.append(_ingest_vix_futures(reader, writer, as_of))
    return IngestReport(run_id, as_of, mode, items, 0.0)


class _Writer:
    """Writes one item's rows, quarantine and record in a single transaction."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, run_id: str, sql: dict[str, str], reuse: bool
    ):
        self.con = con
        self.run_id = run_id
        self.sql = sql
        self.reuse = reuse
        self._statements: dict[str, dict[str, str]] = {}
        self._loaded: dict[str, _Loaded] | None = None

    def loaded_before(self, item: str, fingerprint: str | None, as_of: date) -> _Loaded | None:
        """The earlier load of exactly this input, when loading it again could change nothing.

        Its run's day must be no later than `as_of` (no row it took can be "future" now), it
        must have quarantined nothing (those rows are checked and reported again), and the
        item's stored rows must still number what it loaded (only ingest writes them; the count
        catches rows deleted behind its back).
        """
        if not self.reuse or fingerprint is None:
            return None
        if self._loaded is None:
            latest = self.con.execute(self.sql["latest_items"], {"run_id": self.run_id})
            # latest_items' columns are the item name, then _Loaded's fields in order
            self._loaded = {row[0]: _Loaded(*row[1:]) for row in latest.fetchall()}
        found = self._loaded.get(item)
        if (
            found is None
            or found.content_hash != fingerprint
            or found.status not in ("loaded", "fallback")
            or found.rejected
            or found.as_of > as_of
            or found.stored_rows != found.rows
        ):
            return None
        return found

    def unchanged(self, result: ItemResult, loaded: _Loaded, started: float) -> ItemResult:
        """Record `result` as the same input as `loaded`: every row unchanged, none written."""
        result.unchanged = loaded.rows
        result.missing, result.withheld = loaded.missing, loaded.withheld
        result.note = _join(
            result.note,
            f"{REUSED_NOTE} {loaded.run_id}: not validated or written again",
        )
        self._record_item(result, started)  # one statement: atomic on its own
        return result

    def stored_values(self, spec: SeriesSpec) -> pd.Series:
        """The series' stored values by date (what a new value's move is judged against)."""
        frame = self.con.execute(self.sql["stored_values"], {"series_id": spec.series_id}).df()
        return pd.Series(
            frame["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(frame["obs_date"])
        )

    def write(
        self,
        result: ItemResult,
        sql_file: str | None,
        incoming: pd.DataFrame | None,
        rejects: pd.DataFrame,
        started: float,
    ) -> ItemResult:
        if len(rejects) > MAX_REJECTED_ROWS_PER_FILE:
            refused = BadFile(
                result.origin,
                "too_many_rejects",
                f"{len(rejects):,} rows broke the rules (more than "
                f"{MAX_REJECTED_ROWS_PER_FILE:,}: not a usable file); the first: "
                f"{rejects['message'].iloc[0][:300]}",
            )
            return self.whole_file_failed(result.item, result.source, refused, started)
        con = self.con
        now = datetime.now()
        result.rejected = len(rejects)
        result.reject_messages = rejects["message"].tolist() if len(rejects) else []
        has_rows = sql_file is not None and incoming is not None and len(incoming) > 0
        # Frames are registered outside the transaction: unregistering inside an aborted one
        # would raise and hide the error that aborted it.
        con.register("incoming", incoming if has_rows else _EMPTY)
        con.register("rejects", rejects[REJECT_COLUMNS] if len(rejects) else _no_rejects())
        try:
            with transaction(con):
                if has_rows:
                    self._write_rows(result, sql_file, len(incoming), now)
                if len(rejects):
                    con.execute(
                        self.sql["rejects"],
                        {
                            "run_id": self.run_id,
                            "item": result.item,
                            "origin": result.origin,
                            "rejected_at": now,
                        },
                    )
                self._record_item(result, started)
        finally:
            con.unregister("incoming")
            con.unregister("rejects")
        return result

    def _write_rows(self, result: ItemResult, sql_file: str, n_rows: int, now: datetime) -> None:
        con = self.con
        statements = self._statements.setdefault(sql_file, read_sql_statements(sql_file))
        params = {"run_id": self.run_id, "revised_at": now}
        new_rows, changed_rows = con.execute(statements["diff"]).fetchall()[0]
        if changed_rows:
            if "revisions" in statements:
                con.execute(statements["revisions"], params)
            update = statements["update"]
            result.updated = _count(con.execute(update, _params_for(update, params)))
        if new_rows:
            insert = statements["insert"]
            result.inserted = _count(con.execute(insert, _params_for(insert, params)))
        result.unchanged = n_rows - result.updated - result.inserted

    def _record_item(self, result: ItemResult, started: float) -> None:
        con = self.con
        result.duration = time.perf_counter() - started
        con.execute(
            self.sql["item"],
            {
                "run_id": self.run_id,
                "item": result.item,
                "source": result.source,
                "origin": result.origin,
                "status": result.status,
                "note": result.note,
                "inserted": result.inserted,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "rejected": result.rejected,
                "missing": result.missing,
                "withheld": result.withheld,
                "duration": result.duration,
                "content_hash": result.content_hash,
            },
        )
        return result

    def whole_file_failed(
        self,
        item: str,
        source: str,
        exc: BadFile,
        started: float,
        status: str = "failed",
        note: str = "",
    ) -> ItemResult:
        rejects = pd.DataFrame(
            [
                {
                    "line": None,
                    "column_name": exc.column,
                    "rule": exc.rule,
                    "raw_value": None,
                    "message": f"{exc.origin}: the whole file was refused: {exc.detail} "
                    f"(rule: {exc.rule}); nothing was loaded for {item}",
                }
            ]
        )
        result = ItemResult(item, source, exc.origin, status, note or exc.detail)
        return self.write(result, None, None, rejects, started)


def _count(cursor: duckdb.DuckDBPyConnection) -> int:
    # DuckDB reports a DML statement's row count as its single result row; fetch it whole.
    rows = cursor.fetchall()
    return int(rows[0][0]) if rows else 0


def _params_for(statement: str, params: dict[str, object]) -> dict[str, object]:
    # DuckDB refuses named parameters a statement does not use.
    return {k: v for k, v in params.items() if f"${k}" in statement}


def _catalogue_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "series_id": s.series_id,
                "description": s.description,
                "unit": s.unit,
                "frequency": s.frequency,
                "publisher": s.publisher,
                "source_url": s.source_url,
                "low": s.low,
                "high": s.high,
                "known_rule": s.known,
            }
            for s in SERIES
        ]
    )


def _resolve_raw(
    reader: _Reader, spec: SeriesSpec, mode: Mode, item_started: float, writer: _Writer
) -> tuple[RawTable, str, str | None, str] | ItemResult:
    """The table to read `spec` from: live, or snapshot (by mode and fallback)."""
    note = ""
    if mode != "snapshot" and spec.live is not None:
        live = spec.live
        try:
            raw = reader.live(live.publisher, live.key)
            if live.column not in raw.frame.columns:
                raise BadFile(
                    raw.origin, "missing_column", f"no '{live.column}' column", column=live.column
                )
            return raw, live.column, None, ""
        except SourceUnavailable as exc:
            if mode == "live":
                result = ItemResult(
                    spec.series_id,
                    live.publisher,
                    exc.origin,
                    "unreachable",
                    f"{live.publisher} unreachable: {exc.reason}",
                )
                return writer.write(result, None, None, _no_rejects(), item_started)
            note = f"{live.publisher} unreachable ({exc.reason}); served from the bundled snapshot"
        except BadFile as exc:
            if mode == "live":
                return writer.whole_file_failed(spec.series_id, live.publisher, exc, item_started)
            note = (
                f"{live.publisher} sent a bad file ({exc.detail}); served from the bundled snapshot"
            )
    elif mode == "live":
        note = "no live publisher for this series; bundled snapshot"
    raw = reader.snapshot(spec.snapshot.file)
    missing = require_columns(raw, [spec.snapshot.column, *_flag(spec)])
    if missing:
        raise BadFile(raw.origin, "missing_column", f"no '{missing}' column", column=missing)
    return raw, spec.snapshot.column, spec.snapshot.withhold_flag, note


def _flag(spec: SeriesSpec) -> list[str]:
    return [spec.snapshot.withhold_flag] if spec.snapshot.withhold_flag else []


def _ingest_series(
    reader: _Reader,
    writer: _Writer,
    spec: SeriesSpec,
    as_of: date,
    mode: Mode,
    release_calendar: pd.DataFrame | None,
    stale_after: dict[str, int],
) -> ItemResult:
    started = time.perf_counter()
    try:
        resolved = _resolve_raw(reader, spec, mode, started, writer)
    except BadFile as exc:
        return writer.whole_file_failed(spec.series_id, "snapshot", exc, started)
    if isinstance(resolved, ItemResult):
        return resolved
    raw, column, withhold_flag, note = resolved
    status = "fallback" if note and raw.publisher == "snapshot" and mode == "auto" else "loaded"
    fingerprint = _fingerprint(raw, spec, column, withhold_flag, release_calendar)
    loaded = writer.loaded_before(spec.series_id, fingerprint, as_of)
    if loaded is not None:
        note = _join(
            note,
            _withheld_note(loaded.withheld, withhold_flag),
            _staleness_note(spec, loaded.last_date, as_of, stale_after),
        )
        result = ItemResult(
            spec.series_id, raw.publisher, raw.origin, status, note, content_hash=fingerprint
        )
        return writer.unchanged(result, loaded, started)

    dates, date_rejects = validate_dated_rows(raw, as_of)
    withhold = None
    if withhold_flag:
        withhold = raw.frame[withhold_flag].str.strip().str.lower().eq("true")
    stored = writer.stored_values(spec) if spec.frequency == "daily" and spec.low > 0 else None
    checked = validate_values(raw, dates, column, spec.low, spec.high, withhold, stored)
    good = checked.good
    incoming = pd.DataFrame(
        {
            "series_id": spec.series_id,
            "obs_date": good["date"],
            "value": good["value"],
            "known_date": known_dates(good["date"], spec.known, release_calendar),
            "source": raw.publisher,
        }
    )
    newest = good["date"].max().date() if len(good) else None
    note = _join(
        note,
        _withheld_note(checked.withheld, withhold_flag),
        _staleness_note(spec, newest, as_of, stale_after),
    )
    result = ItemResult(
        spec.series_id,
        raw.publisher,
        raw.origin,
        status,
        note,
        missing=checked.missing,
        withheld=checked.withheld,
        content_hash=fingerprint,
    )
    rejects = pd.concat([date_rejects, checked.rejected], ignore_index=True)
    return writer.write(result, "ingest/observations_write.sql", incoming, rejects, started)


def _staleness_note(
    spec: SeriesSpec, last: date | None, as_of: date, stale_after: dict[str, int]
) -> str:
    """A feed whose newest value (`last`) is older than its tolerance is loaded but called stale."""
    if last is None:
        return f"stale feed: no values up to {as_of}"
    lag = sessions_stale(last, spec.frequency, as_of)
    if lag > stale_after[spec.frequency]:
        return f"stale feed: newest value {last}, {lag} sessions before {as_of}"
    return ""


def _withheld_note(withheld: int, flag: str | None) -> str:
    if not withheld:
        return ""
    return f"{withheld} rows withheld: flagged '{flag}' in the snapshot's provenance"


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


# The code and libraries that turn a file into rows: a change to any of them changes every
# fingerprint, so the first run after an upgrade validates every file again.
_RULES_MODULES = (
    "alvh.data.ingest",
    "alvh.data.validation",
    "alvh.data.publication",
    "alvh.core.calendar",
    "alvh.data.catalogue",
    "alvh.data.sources.base",
    "alvh.data.sources.http",
    "alvh.data.sources.snapshot",
    "alvh.data.sources.cboe",
    "alvh.data.sources.fred",
)
_RULES_PACKAGES = ("pandas", "exchange_calendars")


@functools.cache
def _rules_fingerprint() -> str:
    digest = hashlib.sha256()
    for module in _RULES_MODULES:
        digest.update(Path(importlib.util.find_spec(module).origin).read_bytes())
    for sql_file in sorted((sql_dir() / "ingest").glob("*.sql")):
        digest.update(sql_file.read_bytes())
    for package in _RULES_PACKAGES:
        digest.update(f"{package}=={importlib.metadata.version(package)}".encode())
    return digest.hexdigest()


def _fingerprint(raw: RawTable, *inputs: object) -> str | None:
    """What decides an item's rows: the file's bytes, what it is read with, the ingest code.

    None when the reader could not say what the bytes were (such an item is always loaded).
    """
    if not raw.digest:
        return None
    digest = hashlib.sha256(f"{_rules_fingerprint()}|{raw.publisher}|{raw.digest}".encode())
    for part in inputs:
        if isinstance(part, pd.DataFrame):  # a release calendar: its content, not its repr
            digest.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
        else:
            digest.update(f"|{part!r}".encode())
    return digest.hexdigest()


def _no_rejects() -> pd.DataFrame:
    return pd.DataFrame(columns=REJECT_COLUMNS)


def _ingest_vix_futures(reader: _Reader, writer: _Writer, as_of: date) -> ItemResult:
    """VIX futures per contract and day (CFE settlements); only the snapshot carries them."""
    started = time.perf_counter()
    item = "VIX_FUTURES"
    try:
        raw = reader.snapshot(VIX_FUTURES_FILE)
        missing = require_columns(raw, ["contract_month", "expiry", "settle"])
        if missing:
            raise BadFile(raw.origin, "missing_column", f"no '{missing}' column", column=missing)
    except BadFile as exc:
        return writer.whole_file_failed(item, "snapshot", exc, started)
    fingerprint = _fingerprint(raw, item, VX_SETTLE_LOW, VX_SETTLE_HIGH)
    loaded = writer.loaded_before(item, fingerprint, as_of)
    if loaded is not None:
        result = ItemResult(item, "snapshot", raw.origin, "loaded", content_hash=fingerprint)
        return writer.unchanged(result, loaded, started)
    frame = raw.frame
    dates, date_rejects = validate_dated_rows(raw, as_of, key_columns=("contract_month",))
    expiry, expiry_rejects = validate_secondary_dates(raw, dates, "expiry")
    month, month_rejects = validate_secondary_dates(raw, dates, "contract_month", month_only=True)
    extra = [expiry_rejects, month_rejects]
    bad_expiry, bad_month = expiry.isna().to_numpy(), month.isna().to_numpy()
    # A contract cannot trade after it expired: such rows are mislabelled (PROVENANCE.md).
    after_expiry = (dates.notna() & expiry.notna() & (dates > expiry)).to_numpy()
    if after_expiry.any():
        extra.append(
            reject_where(
                raw, after_expiry, "date", "after_expiry", "trade date after the contract's expiry"
            )
        )
    dates = dates.mask(bad_expiry | bad_month | after_expiry)
    checked = validate_values(raw, dates, "settle", VX_SETTLE_LOW, VX_SETTLE_HIGH)
    kept = dates.notna().to_numpy()
    settle = pd.to_numeric(frame["settle"].where(kept), errors="coerce")
    ok = kept & settle.between(VX_SETTLE_LOW, VX_SETTLE_HIGH).to_numpy()

    def optional(column: str, kind: str = "float64") -> pd.Series:
        if column not in frame.columns:
            return pd.Series(np.nan, index=frame.index)[ok]
        return pd.to_numeric(frame[column][ok], errors="coerce").astype(kind)

    incoming = pd.DataFrame(
        {
            "trade_date": dates[ok],
            "contract_month": frame["contract_month"][ok].str.strip(),
            "expiry": expiry[ok],
            "open": optional("open"),
            "high": optional("high"),
            "low": optional("low"),
            "close": optional("close"),
            "settle": settle[ok],
            "volume": optional("volume", "Int64"),
            "open_interest": optional("open_interest", "Int64"),
            "source": "snapshot",
        }
    )
    result = ItemResult(
        item, "snapshot", raw.origin, "loaded", missing=checked.missing, content_hash=fingerprint
    )
    rejects = pd.concat([date_rejects, *extra, checked.rejected], ignore_index=True)
    return writer.write(result, "ingest/vix_futures_write.sql", incoming, rejects, started)


def _calendar_rows(
    reader: _Reader, writer: _Writer, item: str, relative: str, as_of: date, required: list[str]
) -> tuple[RawTable, str | None, pd.Series, pd.DataFrame] | ItemResult:
    """The calendar (with its fingerprint) and its validated dates, or the item's result when
    it is refused or unchanged."""
    started = time.perf_counter()
    try:
        raw = reader.snapshot(relative)
        missing = require_columns(raw, required)
        if missing:
            raise BadFile(raw.origin, "missing_column", f"no '{missing}' column", column=missing)
    except BadFile as exc:
        return writer.whole_file_failed(item, "snapshot", exc, started)
    fingerprint = _fingerprint(raw, item)
    loaded = writer.loaded_before(item, fingerprint, as_of)
    if loaded is not None:
        result = ItemResult(item, "snapshot", raw.origin, "loaded", content_hash=fingerprint)
        return writer.unchanged(result, loaded, started)
    scheduled = raw.frame.get("status", pd.Series("", index=raw.frame.index)).str.startswith(
        "scheduled"
    )
    dates, rejects = validate_dated_rows(raw, as_of, future_allowed=scheduled)
    return raw, fingerprint, dates, rejects


def _ingest_fomc(reader: _Reader, writer: _Writer, as_of: date) -> ItemResult:
    """FOMC decision dates; scheduled future meetings are allowed past `as_of`."""
    started = time.perf_counter()
    item = "FOMC_CALENDAR"
    rows = _calendar_rows(reader, writer, item, FOMC_FILE, as_of, ["unscheduled"])
    if isinstance(rows, ItemResult):
        return rows
    raw, fingerprint, dates, rejects = rows
    ok = dates.notna()
    status = raw.frame.get("status", pd.Series("", index=raw.frame.index))
    incoming = pd.DataFrame(
        {
            "event_type": "FOMC",
            "event_date": dates[ok],
            "reference_month": pd.NaT,
            "unscheduled": raw.frame["unscheduled"][ok].str.strip().str.lower().eq("true"),
            "status": np.where(status[ok].str.startswith("scheduled"), "scheduled", "held"),
            "source": "snapshot",
        }
    )
    result = ItemResult(item, "snapshot", raw.origin, "loaded", content_hash=fingerprint)
    return writer.write(result, "ingest/event_calendar_write.sql", incoming, rejects, started)


def _ingest_cpi_calendar(reader: _Reader, writer: _Writer, as_of: date) -> ItemResult:
    """BLS CPI release dates with the month each release describes."""
    started = time.perf_counter()
    item = "CPI_CALENDAR"
    rows = _calendar_rows(reader, writer, item, CPI_RELEASE_FILE, as_of, ["reference_month"])
    if isinstance(rows, ItemResult):
        return rows
    raw, fingerprint, dates, rejects = rows
    month, month_rejects = validate_secondary_dates(raw, dates, "reference_month", month_only=True)
    rejects = pd.concat([rejects, month_rejects], ignore_index=True)
    bad = month.isna().to_numpy()
    ok = dates.notna() & ~bad
    incoming = pd.DataFrame(
        {
            "event_type": "CPI",
            "event_date": dates[ok],
            "reference_month": month[ok],
            "unscheduled": False,
            "status": "held",
            "source": "snapshot",
        }
    )
    result = ItemResult(item, "snapshot", raw.origin, "loaded", content_hash=fingerprint)
    return writer.write(result, "ingest/event_calendar_write.sql", incoming, rejects, started)

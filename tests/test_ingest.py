"""Ingest: validation rules, quarantine, transactions, revisions, publication dates.

Every bad-input test works on a small snapshot cut from the real bundled files, breaks one rule
in one file, and checks the rule's name, the file row, the column, and that nothing else moved.
"""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from alvh.core.resources import snapshot_dir
from alvh.core.settings import Settings
from alvh.data import catalogue
from alvh.data.ingest import ingest
from alvh.store.warehouse import open_warehouse

AS_OF = date(2026, 11, 25)


@pytest.fixture
def settings(tmp_path, mini_snapshot) -> Settings:
    return Settings(home=tmp_path / "home", snapshot_dir=mini_snapshot)


def _load(settings: Settings, mode="snapshot", as_of=AS_OF):
    con = open_warehouse(settings.warehouse_path)
    try:
        return ingest(con, settings, as_of, mode=mode), _snapshot_of_tables(con)
    finally:
        con.close()


def _snapshot_of_tables(con) -> dict[str, pd.DataFrame]:
    tables = {}
    for name in ("observations", "vix_futures", "event_calendar"):
        tables[name] = con.execute(f"SELECT * EXCLUDE (ingest_run_id) FROM {name}").df()  # noqa: S608
    return tables


def _query(settings: Settings, sql: str, params=None) -> pd.DataFrame:
    con = open_warehouse(settings.warehouse_path)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def _edit(path: Path, edit) -> None:
    """Rewrite one snapshot CSV through `edit(frame) -> frame` (all cells text)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = edit(frame)
    if path.suffix == ".gz":
        with gzip.open(path, "wt", newline="") as handle:
            frame.to_csv(handle, index=False)
    else:
        frame.to_csv(path, index=False)


def _line_of(path: Path, on_date: str) -> int:
    """File line number (header = 1) of the first row dated `on_date`."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return int(frame.index[frame["date"] == on_date][0]) + 2


def _item(report, name):
    return next(i for i in report.items if i.item == name)


# --- the happy path ---------------------------------------------------------------------------


def test_clean_snapshot_loads_every_item_without_rejects(settings):
    report, tables = _load(settings)
    assert report.exit_code == 0, report.reject_messages[:3]
    loaded = {i.item for i in report.items if i.status == "loaded"}
    assert {s.series_id for s in catalogue.SERIES} <= loaded
    assert {"VIX_FUTURES", "FOMC_CALENDAR", "CPI_CALENDAR"} <= loaded
    observations = tables["observations"]
    spx = observations[observations["series_id"] == "SPX"]
    assert spx["obs_date"].min() == pd.Timestamp("2024-01-02")
    assert spx["value"].gt(0).all()
    assert report.total("inserted") == len(observations) + len(tables["vix_futures"]) + len(
        tables["event_calendar"]
    )


def test_ingesting_twice_changes_nothing(settings):
    first, before = _load(settings)
    second, after = _load(settings)
    assert second.total("inserted") == 0
    assert second.total("updated") == 0
    assert second.total("unchanged") == first.total("inserted")
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])
    runs = _query(settings, "SELECT status, inserted, updated FROM ingest_runs ORDER BY started_at")
    assert runs["status"].tolist() == ["ok", "ok"]
    assert runs["inserted"].tolist() == [first.total("inserted"), 0]


def test_full_bundled_snapshot_covers_what_the_method_needs(snapshot_con):
    rows = snapshot_con.execute(
        "SELECT series_id, min(obs_date), max(obs_date), count(*) FROM observations GROUP BY 1"
    ).fetchall()
    coverage = {r[0]: (r[1], r[2], r[3]) for r in rows}
    assert coverage["SPX"][0] <= date(1990, 1, 2) and coverage["VIX"][0] == date(1990, 1, 2)
    for series in (
        "DTB3",
        "DGS3MO",
        "DGS2",
        "DGS10",
        "DFF",
        "DEXJPUS",
        "CPIAUCSL",
        "PPIFIS",
        "PPIACO",
        "CAPE",
        "VIX9D",
        "VIX3M",
        "VIX6M",
        "VVIX",
        "SKEW",
    ):
        assert coverage[series][2] > 100, series
    assert {spec.series_id for spec in catalogue.SERIES} <= set(coverage)
    first_future = snapshot_con.execute("SELECT min(trade_date) FROM vix_futures").fetchall()
    assert first_future[0][0].year == 2007


# --- publication dates (no look-ahead) ----------------------------------------------------------


def test_values_carry_the_date_they_became_known(settings):
    _load(settings)
    known = _query(
        settings,
        "SELECT series_id, obs_date, known_date FROM observations "
        "WHERE (series_id = 'CPIAUCSL' AND obs_date IN ('2024-01-01', '2025-11-01')) "
        "   OR (series_id = 'DFF' AND obs_date = '2024-03-28') "
        "   OR (series_id = 'CAPE' AND obs_date = '2024-01-01') "
        "   OR (series_id = 'PPIFIS' AND obs_date = '2024-01-01') "
        "   OR (series_id = 'SPX' AND obs_date = '2024-03-28')",
    )
    by_key = {
        (r.series_id, str(r.obs_date.date())): r.known_date.date() for r in known.itertuples()
    }
    # January 2024 CPI: BLS released it on 2024-02-13 (bundled calendar).
    assert by_key[("CPIAUCSL", "2024-01-01")] == date(2024, 2, 13)
    # November 2025 CPI (released 2025-12-18) is past the calendar: the conservative 27th,
    # a Saturday, so the next session.
    assert by_key[("CPIAUCSL", "2025-11-01")] == date(2025, 12, 29)
    # PPI has no bundled calendar: the conservative day (27 Feb 2024 was a Tuesday session).
    assert by_key[("PPIFIS", "2024-01-01")] == date(2024, 2, 27)
    # Fed funds for Thursday 2024-03-28 is published the next session (Good Friday closed).
    assert by_key[("DFF", "2024-03-28")] == date(2024, 4, 1)
    assert by_key[("CAPE", "2024-01-01")] == date(2024, 2, 1)
    assert by_key[("SPX", "2024-03-28")] == date(2024, 3, 28)


def test_no_observation_is_known_before_it_happened(snapshot_con):
    early = snapshot_con.execute(
        "SELECT count(*) FROM observations WHERE known_date < obs_date"
    ).fetchall()[0][0]
    assert early == 0


def test_future_scheduled_fomc_meetings_are_kept_but_past_rows_may_not_be_in_the_future(
    settings, mini_snapshot
):
    report, tables = _load(settings, as_of=date(2026, 8, 21))
    assert report.exit_code == 0
    fomc = tables["event_calendar"].query("event_type == 'FOMC'")
    scheduled = fomc[fomc["status"] == "scheduled"]
    assert scheduled["event_date"].min() == pd.Timestamp("2026-09-16")


def test_a_monthly_value_is_stale_from_the_end_of_its_month():
    """October 2025 CPI on 31 Dec 2025: 19 November sessions (Thanksgiving closed) and 22 in
    December (Christmas closed) after 31 Oct — 41, inside the 45-session tolerance. Counted from
    1 October it would be 22 October sessions more (63): stale."""
    from alvh.data.status import sessions_stale

    assert sessions_stale(date(2025, 10, 1), "monthly", date(2025, 12, 31)) == 41
    assert sessions_stale(date(2025, 10, 1), "daily", date(2025, 12, 31)) == 63
    assert 41 <= Settings.model_fields["stale_after_trading_days_monthly"].default < 63
    assert sessions_stale(date(2025, 12, 31), "daily", date(2025, 12, 31)) == 0


# --- bad input: one test per rule ---------------------------------------------------------------


def _assert_rejected(report, item, rule, column, line, origin_name):
    result = _item(report, item)
    assert report.exit_code == 3
    assert result.rejected >= 1
    matching = [m for m in result.reject_messages if f"rule: {rule}" in m]
    assert matching, result.reject_messages
    assert any(f"row {line}," in m for m in matching), matching
    assert all(origin_name in m and f"column '{column}'" in m for m in matching)


@pytest.mark.parametrize(
    ("cell", "rule"),
    [
        ("nan", "not_finite"),
        ("inf", "not_finite"),
        ("-12.5", "out_of_range"),
        ("500", "out_of_range"),
        ("2.1", "out_of_range"),
        ("abc", "not_a_number"),
    ],
)
def test_bad_vix_value_is_quarantined_and_the_rest_loads(settings, mini_snapshot, cell, rule):
    path = mini_snapshot / "cboe_vol_indices_daily.csv"
    line = _line_of(path, "2024-08-05")

    def edit(frame):
        frame.loc[frame["date"] == "2024-08-05", "vix"] = cell
        return frame

    _edit(path, edit)
    report, tables = _load(settings)
    _assert_rejected(report, "VIX", rule, "vix", line, "cboe_vol_indices_daily.csv")
    vix = tables["observations"].query("series_id == 'VIX'")
    assert pd.Timestamp("2024-08-05") not in set(vix["obs_date"])
    assert pd.Timestamp("2024-08-02") in set(vix["obs_date"])
    quarantined = _query(settings, "SELECT * FROM rejected_rows WHERE item = 'VIX'")
    assert quarantined[["line", "column_name", "rule", "raw_value"]].values.tolist() == [
        [line, "vix", rule, cell]
    ]
    # The other series of the same file are untouched by VIX's bad cell.
    assert _item(report, "VVIX").rejected == 0


def test_negative_spx_price_is_rejected(settings, mini_snapshot):
    path = mini_snapshot / "spx_daily.csv"
    line = _line_of(path, "2025-04-07")
    _edit(path, lambda f: f.assign(close=f["close"].where(f["date"] != "2025-04-07", "-5000")))
    report, _ = _load(settings)
    _assert_rejected(report, "SPX", "out_of_range", "close", line, "spx_daily.csv")
    assert _item(report, "SPX_OPEN").rejected == 0


def test_rate_outside_minus5_to_25_percent_is_rejected(settings, mini_snapshot):
    path = mini_snapshot / "macro" / "DGS2.csv"
    line = _line_of(path, "2024-08-05")
    _edit(path, lambda f: f.assign(DGS2=f["DGS2"].where(f["date"] != "2024-08-05", "38.0")))
    report, _ = _load(settings)
    _assert_rejected(report, "DGS2", "out_of_range", "dgs2", line, "DGS2.csv")


def test_duplicate_dates_reject_every_copy(settings, mini_snapshot):
    path = mini_snapshot / "macro" / "DEXJPUS.csv"

    def edit(frame):
        row = frame[frame["date"] == "2024-08-05"].assign(DEXJPUS="150.0")
        return pd.concat([frame, row], ignore_index=True)

    _edit(path, edit)
    report, tables = _load(settings)
    result = _item(report, "DEXJPUS")
    assert report.exit_code == 3
    assert [m for m in result.reject_messages if "duplicate_date" in m].__len__() == 2
    dex = tables["observations"].query("series_id == 'DEXJPUS'")
    assert pd.Timestamp("2024-08-05") not in set(dex["obs_date"])


def test_future_dates_are_rejected(settings, mini_snapshot):
    path = mini_snapshot / "macro" / "DGS10.csv"

    def edit(frame):
        extra = pd.DataFrame({"date": ["2027-01-04"], "DGS10": ["4.1"]})
        return pd.concat([frame, extra], ignore_index=True)

    _edit(path, edit)
    line = len(pd.read_csv(path)) + 1
    report, _ = _load(settings)
    _assert_rejected(report, "DGS10", "future_date", "date", line, "DGS10.csv")


def test_unparseable_dates_are_rejected(settings, mini_snapshot):
    path = mini_snapshot / "vix_daily.csv"
    line = _line_of(path, "2024-03-01")
    _edit(path, lambda f: f.assign(date=f["date"].where(f["date"] != "2024-03-01", "2024-13-01")))
    report, _ = _load(settings)
    _assert_rejected(report, "VIX_OPEN", "unparseable_date", "date", line, "vix_daily.csv")


def test_futures_rows_after_expiry_are_rejected(settings, mini_snapshot):
    path = mini_snapshot / "vix_futures_contracts_daily.csv.gz"

    def edit(frame):
        late = frame[frame["contract_month"] == "2024-08"].tail(1).assign(date="2024-08-23")
        return pd.concat([frame, late], ignore_index=True)

    _edit(path, edit)
    report, tables = _load(settings)
    result = _item(report, "VIX_FUTURES")
    assert report.exit_code == 3
    assert any("rule: after_expiry" in m for m in result.reject_messages)
    futures = tables["vix_futures"]
    late = futures[
        (futures["contract_month"] == "2024-08") & (futures["trade_date"] > "2024-08-21")
    ]
    assert late.empty


def test_flagged_rows_are_withheld_not_loaded(settings, mini_snapshot):
    path = mini_snapshot / "vix_daily.csv"

    def edit(frame):
        frame.loc[frame["date"] == "2024-05-01", "ohlc_inconsistent"] = "True"
        return frame

    _edit(path, edit)
    report, tables = _load(settings)
    assert report.exit_code == 0
    assert _item(report, "VIX_OPEN").withheld == 1
    opens = tables["observations"].query("series_id == 'VIX_OPEN'")
    assert pd.Timestamp("2024-05-01") not in set(opens["obs_date"])


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not_csv"),
        (b"DATE,PRICE\n2024-01-02,4.1\n", "missing_column"),
    ],
)
def test_a_file_that_fails_as_a_whole_changes_nothing_for_its_series(
    settings, mini_snapshot, content, rule
):
    _load(settings)
    before = _query(settings, "SELECT * FROM observations WHERE series_id = 'DGS2' ORDER BY 2")
    (mini_snapshot / "macro" / "DGS2.csv").write_bytes(content)
    report, _ = _load(settings)
    result = _item(report, "DGS2")
    assert report.exit_code == 3
    assert result.status == "failed"
    assert f"rule: {rule}" in result.reject_messages[0]
    assert "DGS2.csv" in result.reject_messages[0]
    after = _query(settings, "SELECT * FROM observations WHERE series_id = 'DGS2' ORDER BY 2")
    pd.testing.assert_frame_equal(before, after)
    assert _item(report, "DGS10").status == "loaded"


def test_hostile_cell_text_is_stored_verbatim_as_data(settings, mini_snapshot):
    path = mini_snapshot / "macro" / "DGS2.csv"
    hostile = "1'); DROP TABLE observations; --<script>"
    _edit(path, lambda f: f.assign(DGS2=f["DGS2"].where(f["date"] != "2024-08-05", hostile)))
    report, _ = _load(settings)
    assert report.exit_code == 3
    stored = _query(settings, "SELECT raw_value, rule FROM rejected_rows WHERE item = 'DGS2'")
    assert stored.values.tolist() == [[hostile, "not_a_number"]]
    assert _query(settings, "SELECT count(*) AS n FROM observations")["n"][0] > 0


# --- revisions and transactions ---------------------------------------------------------------


def test_a_changed_value_is_revised_and_the_old_value_kept(settings, mini_snapshot):
    first, _ = _load(settings)
    path = mini_snapshot / "macro" / "CPIAUCSL.csv"
    _edit(
        path, lambda f: f.assign(CPIAUCSL=f["CPIAUCSL"].where(f["date"] != "2025-06-01", "999.5"))
    )
    second, tables = _load(settings)
    assert _item(second, "CPIAUCSL").updated == 1
    assert second.total("updated") == 1 and second.total("inserted") == 0
    revisions = _query(settings, "SELECT * FROM observation_revisions")
    assert len(revisions) == 1
    revision = revisions.iloc[0]
    assert revision["series_id"] == "CPIAUCSL"
    original = pd.read_csv(snapshot_dir() / "macro" / "CPIAUCSL.csv").set_index("date")
    assert revision["old_value"] == original.loc["2025-06-01", "CPIAUCSL"]
    assert revision["new_value"] == 999.5
    assert revision["old_ingest_run_id"] == first.run_id
    assert revision["revised_by_run_id"] == second.run_id
    observations = tables["observations"]
    current = observations[
        (observations["series_id"] == "CPIAUCSL")
        & (observations["obs_date"] == pd.Timestamp("2025-06-01"))
    ]
    assert current["value"].tolist() == [999.5]


def test_a_failure_mid_write_leaves_the_series_as_it_was(settings, mini_snapshot, monkeypatch):
    _load(settings)
    before = _query(settings, "SELECT * FROM observations ORDER BY series_id, obs_date")
    path = mini_snapshot / "macro" / "DGS2.csv"
    _edit(path, lambda f: f.assign(DGS2=f["DGS2"].where(f["date"] != "2024-08-05", "9.99")))
    # A new row and a changed row, then the insert statement fails after the update ran.
    _edit(path, lambda f: pd.concat([f, pd.DataFrame({"date": ["2026-09-01"], "DGS2": ["3.5"]})]))

    import alvh.data.ingest as ingest_module

    real = ingest_module.read_sql_statements

    def failing(relative):
        statements = dict(real(relative))
        if relative == "ingest/observations_write.sql":
            statements["insert"] = "SELECT error('simulated crash during insert')"
        return statements

    monkeypatch.setattr(ingest_module, "read_sql_statements", failing)
    con = open_warehouse(settings.warehouse_path)
    with pytest.raises(Exception, match="simulated crash"):
        ingest(con, settings, AS_OF, mode="snapshot")
    con.close()
    after = _query(settings, "SELECT * FROM observations ORDER BY series_id, obs_date")
    pd.testing.assert_frame_equal(before, after)
    assert _query(settings, "SELECT count(*) AS n FROM observation_revisions")["n"][0] == 0


# --- unchanged input is recorded, not loaded again ---------------------------------------------

REUSED = "same input as ingest run"


def test_an_unchanged_file_is_recorded_as_unchanged_without_being_validated_again(
    settings, monkeypatch
):
    first, before = _load(settings)
    import alvh.data.ingest as ingest_module

    def no_validation(*args, **kwargs):
        raise AssertionError("an unchanged file was validated again")

    with monkeypatch.context() as patched:
        patched.setattr(ingest_module, "validate_dated_rows", no_validation)
        second, after = _load(settings)
    assert all(f"{REUSED} {first.run_id}" in item.note for item in second.items), [
        (i.item, i.note) for i in second.items if REUSED not in i.note
    ]
    assert second.total("unchanged") == first.total("inserted")
    assert second.total("inserted") == second.total("updated") == second.total("rejected") == 0
    # Apart from naming the run it reused, each item says what the full load said (staleness,
    # withheld rows) and counts the same rows.
    for full, reused in zip(first.items, second.items, strict=True):
        kept = "; ".join(p for p in reused.note.split("; ") if not p.startswith(REUSED))
        assert (reused.item, kept, reused.status, reused.source) == (
            full.item,
            full.note,
            full.status,
            full.source,
        )
        assert (reused.unchanged, reused.missing, reused.withheld) == (
            full.inserted,
            full.missing,
            full.withheld,
        ), full.item
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])
    # the record says what was read, as a full load would
    hashes = _query(
        settings,
        "SELECT run_id, item, content_hash FROM ingest_run_items ORDER BY item, run_id",
    ).pivot(index="item", columns="run_id", values="content_hash")
    assert hashes.notna().all().all()
    assert (hashes[first.run_id] == hashes[second.run_id]).all()

    con = open_warehouse(settings.warehouse_path)
    try:
        third = ingest(con, settings, AS_OF, mode="snapshot", revalidate=True)
    finally:
        con.close()
    assert not any(REUSED in item.note for item in third.items)
    assert third.total("unchanged") == first.total("inserted")


def test_a_changed_file_is_loaded_and_the_others_are_not(settings, mini_snapshot):
    _load(settings)
    path = mini_snapshot / "macro" / "DGS2.csv"
    _edit(path, lambda f: f.assign(DGS2=f["DGS2"].where(f["date"] != "2024-08-05", "3.99")))
    second, tables = _load(settings)
    changed = _item(second, "DGS2")
    assert REUSED not in changed.note and changed.updated == 1
    assert all(REUSED in i.note for i in second.items if i.item != "DGS2")
    dgs2 = tables["observations"].query("series_id == 'DGS2'").set_index("obs_date")
    assert dgs2.loc[pd.Timestamp("2024-08-05"), "value"] == 3.99


def test_a_new_release_date_redates_the_series_it_dates(settings, mini_snapshot):
    """CPIAUCSL's file is unchanged but the calendar that dates it is not: it is loaded again."""
    _load(settings)
    november = _query(
        settings,
        "SELECT known_date FROM observations "
        "WHERE series_id = 'CPIAUCSL' AND obs_date = DATE '2025-11-01'",
    )["known_date"][0]
    assert november > pd.Timestamp("2025-12-18")  # no listed release: the conservative day
    path = mini_snapshot / catalogue.CPI_RELEASE_FILE
    with path.open("a", encoding="utf-8") as handle:
        handle.write("2025-12-18,2025-11,,BLS CPI release schedule\n")
    second, tables = _load(settings)
    assert _item(second, "CPI_CALENDAR").inserted == 1
    cpi = _item(second, "CPIAUCSL")
    assert REUSED not in cpi.note and cpi.updated >= 1
    observations = tables["observations"].query("series_id == 'CPIAUCSL'").set_index("obs_date")
    assert observations.loc[pd.Timestamp("2025-11-01"), "known_date"] == pd.Timestamp("2025-12-18")
    assert REUSED in _item(second, "SPX").note


def test_input_is_validated_again_when_reuse_could_differ(settings, mini_snapshot):
    _load(settings)
    # an earlier day: rows after it are "future" now, so the files must be checked
    earlier, _ = _load(settings, as_of=date(2025, 6, 30))
    assert not any(REUSED in item.note for item in earlier.items)
    assert _item(earlier, "SPX").rejected > 0

    # a file with quarantined rows is checked (and its rows reported) on every run
    path = mini_snapshot / "cboe_vol_indices_daily.csv"
    _edit(path, lambda f: f.assign(vix=f["vix"].where(f["date"] != "2024-03-01", "abc")))
    first, _ = _load(settings)
    second, _ = _load(settings)
    for report in (first, second):
        assert _item(report, "VIX").rejected == 1 and REUSED not in _item(report, "VIX").note

    # rows changed behind ingest's back: the count no longer matches what was loaded
    _load(settings)
    con = open_warehouse(settings.warehouse_path)
    try:
        con.execute("DELETE FROM observations WHERE series_id = 'DFF' AND obs_date > '2026-01-01'")
    finally:
        con.close()
    restored, _ = _load(settings)
    assert REUSED not in _item(restored, "DFF").note and _item(restored, "DFF").inserted > 0


def test_a_change_in_the_ingest_code_checks_every_file_again(settings, monkeypatch):
    _load(settings)
    import alvh.data.ingest as ingest_module

    monkeypatch.setattr(ingest_module, "_rules_fingerprint", lambda: "a newer ingest")
    report, _ = _load(settings)
    assert not any(REUSED in item.note for item in report.items)


def test_a_rescheduled_release_dates_its_month_no_earlier_than_any_listed_day(
    settings, mini_snapshot
):
    """The calendar file moves June 2025's CPI release two days earlier; the old row stays in
    the warehouse (rows a publisher stops sending are kept). Of the two listed days the later
    one dates the value, whatever order the rows come back in: never known too early."""
    _load(settings)
    path = mini_snapshot / catalogue.CPI_RELEASE_FILE
    text = path.read_text(encoding="utf-8")
    assert "2025-07-15,2025-06," in text
    path.write_text(text.replace("2025-07-15,2025-06,", "2025-07-11,2025-06,"), encoding="utf-8")
    report, tables = _load(settings)
    assert _item(report, "CPI_CALENDAR").inserted == 1
    releases = tables["event_calendar"].query("event_type == 'CPI'")
    june = releases[releases["reference_month"] == pd.Timestamp("2025-06-01")]
    assert sorted(june["event_date"].dt.date.astype(str)) == ["2025-07-11", "2025-07-15"]
    cpi = tables["observations"].query("series_id == 'CPIAUCSL'").set_index("obs_date")
    assert cpi.loc[pd.Timestamp("2025-06-01"), "known_date"] == pd.Timestamp("2025-07-15")


def test_a_corrected_futures_close_or_volume_is_written_not_called_unchanged(
    settings, mini_snapshot
):
    _load(settings)
    path = mini_snapshot / catalogue.VIX_FUTURES_FILE
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = frame.index[frame["date"] >= "2024-03-01"][0]
    day, month = frame.at[row, "date"], frame.at[row, "contract_month"]
    frame.at[row, "close"] = "99.5"
    frame.at[row, "volume"] = "123456"
    _edit(path, lambda f: frame)
    report, tables = _load(settings)
    assert _item(report, "VIX_FUTURES").updated == 1
    futures = tables["vix_futures"]
    stored = futures[
        (futures["trade_date"] == pd.Timestamp(day)) & (futures["contract_month"] == month)
    ].iloc[0]
    assert (stored["close"], stored["volume"]) == (99.5, 123456)
    again, _ = _load(settings)
    assert _item(again, "VIX_FUTURES").updated == 0  # written once, then unchanged

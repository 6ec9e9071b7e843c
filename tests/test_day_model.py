"""The day-fitted surface in use (issue 11): a daily run via the CLI on a home with imported
quotes prices the quoted day with the surface fitted to them — the model column, the unquoted
leg, the stored fit — and the day after with the defaults; the report says which, in the HTML
and the PDF; `quotes residuals` shows the defaults' error and the day fit's beside it."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from test_cli import run_alvh

from alvh.book.day_model import stored_day_params, surface_params
from alvh.book.valuation import ModelParams
from alvh.model import market as mm
from alvh.store.warehouse import connect

FIXTURES = Path(__file__).parent / "fixtures" / "option_chains"
QUOTED, NEXT = date(2020, 9, 4), date(2020, 9, 8)  # 2020-09-07 is Labor Day
CHAIN = FIXTURES / "cboe_quote_table_spx_2020-09-04_cut.dat"
# one condor fully quoted, one whose 3700 call the cut file does not quote (model-priced)
BOOK = """\
position_id,kind,expiry,quantity,entry_date,entry_price,put_long,put_short,call_short,call_long,strike
QUOTED,iron_condor,2020-10-16,2,2020-09-01,20.0,3105,3205,3605,3695,
HALF,iron_condor,2020-10-16,1,2020-09-01,20.0,3105,3205,3605,3700,
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """`alvh init --no-sample`, the book, the 2020-09-04 quotes, then `alvh run` for the quoted
    day and the session after it."""
    home = tmp_path_factory.mktemp("day_model_home")
    assert run_alvh("init", "--no-sample", home=home).returncode == 0
    (home / "book.csv").write_text(BOOK)
    done = run_alvh("book", "import", str(home / "book.csv"), home=home)
    assert done.returncode == 0, done.stderr
    done = run_alvh("quotes", "import", str(CHAIN), home=home)
    assert done.returncode in (0, 3), done.stderr  # 3: rows the rules quarantine
    for day in (QUOTED, NEXT):
        ran = run_alvh(
            "run",
            "--as-of",
            str(day),
            "--no-email",
            "--source",
            "snapshot",
            home=home,
            timeout=300,
        )
        assert ran.returncode in (0, 3), ran.stderr
        (home / f"run-{day}.txt").write_text(ran.stdout)
    return home


def _rows(home: Path, sql: str, *params) -> list[tuple]:
    con = connect(home / "alvh.duckdb", read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _spx_vol(params: ModelParams, as_of: date, strike: float, expiry: date, home: Path) -> float:
    """The §2.1 vol of one SPX leg under `params`, from the day's stored market inputs."""
    ((spx, rate, dividend, assumptions),) = _rows(
        home, "SELECT spx, rate, dividend_yield, assumptions FROM book_marks WHERE as_of = ?", as_of
    )
    market = json.loads(assumptions)["market"]
    tau = (expiry - as_of).days / mm.DAYS_PER_YEAR
    forward = spx * np.exp((rate - dividend) * tau)
    family = [market[k] if market[k] is not None else np.nan for k in ("vix9d", "vix3m", "vix6m")]
    atm = params.atm_vol(tau, market["vix"], *family)
    return float(mm.spx_implied_vol(strike, forward, tau, atm, market["vix"], params.skew))


def test_the_quoted_day_is_priced_with_its_fit_and_the_next_day_with_the_defaults(home):
    (row,) = _rows(
        home,
        "SELECT status, n_options, n_slices, median_abs_iv_err_defaults, "
        "median_abs_iv_err_fitted, run_id, sources FROM day_surfaces",
    )
    status, n_options, n_slices, before, after, run_id, sources = row
    assert status == "fitted" and n_slices == 2 and n_options >= 40
    assert after < before and after < 0.4
    assert sources.endswith("_cut.dat") and run_id
    said = (home / f"run-{QUOTED}.txt").read_text()
    assert f"SPX surface: surface fitted to {n_options} quotes of {QUOTED}" in said
    assert f"defaults (no quotes stored for {NEXT})" in (home / f"run-{NEXT}.txt").read_text()
    # the run's closing audit event records it too
    audited = _rows(
        home,
        "SELECT json_extract_string(details, '$.surface') FROM audit_log "
        "WHERE json_extract_string(details, '$.surface') IS NOT NULL ORDER BY seq",
    )
    assert [text.split(" (")[0] for (text,) in audited] == [
        f"surface fitted to {n_options} quotes of {QUOTED}",
        "defaults",
    ]

    defaults = ModelParams()
    con = connect(home / "alvh.duckdb", read_only=True)
    try:
        fitted = stored_day_params(con, QUOTED, defaults)
        assert stored_day_params(con, NEXT, defaults) == defaults
    finally:
        con.close()
    assert surface_params(fitted) != surface_params(defaults)
    legs = {
        (day, pid, strike, kind): (source, vol, model_vol)
        for day, pid, strike, kind, source, vol, model_vol in _rows(
            home,
            "SELECT as_of, position_id, strike, option_type, mark_source, vol, model_vol "
            "FROM leg_marks",
        )
    }
    # the quoted day: the unquoted leg is marked by the fitted surface, the quoted ones keep
    # their market vol with the fitted surface's beside it (the model column)
    source, vol, model_vol = legs[(QUOTED, "HALF", 3700.0, "call")]
    assert source == "model" and vol == model_vol
    expiry = date(2020, 10, 16)
    assert vol == pytest.approx(_spx_vol(fitted, QUOTED, 3700.0, expiry, home), rel=1e-9)
    assert abs(vol - _spx_vol(defaults, QUOTED, 3700.0, expiry, home)) > 1e-4
    source, vol, model_vol = legs[(QUOTED, "QUOTED", 3205.0, "put")]
    assert source == "market"
    assert model_vol == pytest.approx(_spx_vol(fitted, QUOTED, 3205.0, expiry, home), rel=1e-9)
    # the day after has no quotes: every leg by the defaults
    source, vol, _ = legs[(NEXT, "HALF", 3700.0, "call")]
    assert source == "model"
    assert vol == pytest.approx(_spx_vol(defaults, NEXT, 3700.0, expiry, home), rel=1e-9)
    surfaces = {
        day: json.loads(a)["surface"]["status"]
        for day, a in _rows(home, "SELECT as_of, assumptions FROM book_marks")
    }
    assert surfaces == {QUOTED: "fitted", NEXT: "defaults"}


def test_re_marking_the_day_replaces_its_fit(home):
    (first,) = _rows(home, "SELECT run_id, recorded_at FROM day_surfaces")
    ran = run_alvh(
        "run", "--as-of", str(QUOTED), "--no-email", "--source", "snapshot", home=home, timeout=300
    )
    assert ran.returncode in (0, 3), ran.stderr
    rows = _rows(home, "SELECT as_of, run_id, recorded_at FROM day_surfaces")
    assert len(rows) == 1 and rows[0][0] == QUOTED
    assert rows[0][1] != first[0] and rows[0][2] > first[1]


def test_the_report_says_which_surface_priced_the_day(home):
    from pypdf import PdfReader

    ((n_options, before, after),) = _rows(
        home,
        "SELECT n_options, median_abs_iv_err_defaults, median_abs_iv_err_fitted FROM day_surfaces",
    )
    fitted = (
        f"surface fitted to {n_options} quotes of {QUOTED} (median |IV err| defaults "
        f"{before:.2f} → fitted {after:.2f} vol pts)"
    )
    unquoted = f"defaults (no quotes stored for {NEXT})"
    for day, text in ((QUOTED, fitted), (NEXT, unquoted)):
        folder = home / "reports" / str(day)
        html = (folder / f"alvh-{day}.html").read_text()
        section = html[html.index('id="model-vs-market"') :]
        assert text in section[: section.index("</section>")], day
        pdf = PdfReader(io.BytesIO((folder / f"alvh-{day}.pdf").read_bytes()))
        words = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
        assert " ".join(text.split()) in words, day
    html = (home / "reports" / str(QUOTED) / f"alvh-{QUOTED}.html").read_text()
    assert "SPX surface (§2.1)" in html  # the model assumptions list it too
    assert "the day-fitted surface: median |error|" in html


def test_residuals_keep_the_defaults_error_and_add_the_day_fit(home):
    shown = run_alvh("quotes", "residuals", "--as-of", str(QUOTED), "--json", home=home)
    assert shown.returncode == 0, shown.stderr
    summary = json.loads(shown.stdout)["summary"]
    fit = summary["day_fit"]
    (n_options,) = _rows(home, "SELECT n_options FROM day_surfaces")[0]
    assert fit["n_options"] == n_options and fit["n"] == summary["SPX"]["n"]
    assert fit["fit"]["origin"] == "stored when the day was marked"
    assert fit["median_abs_iv_err"] < summary["SPX"]["median_abs_error"]
    assert set(fit["params"]) >= {"atm_ratio", "atm_ratio_tenor", "s", "c", "floor"}
    # the defaults' model IVs, as before: the JSON's model_iv are not the fitted surface's
    options = json.loads(shown.stdout)["options"]
    assert summary["model"]["atm_ratio"] == ModelParams().atm_ratio
    assert options and fit["params"]["atm_ratio"] != summary["model"]["atm_ratio"]


def test_the_day_after_a_fitted_day_is_compared_with_the_fitted_marks(home):
    """The day P&L of the session after the quoted day, marked now, is the change from the
    stored (fitted) marks of the quoted day — as the report takes it from the two stored days
    — not from that day re-priced with the next day's defaults."""
    from alvh.book.costs import CostModel
    from alvh.book.day_model import mark_day
    from alvh.report.day import records, stored_day_pnl

    con = connect(home / "alvh.duckdb", read_only=True)
    try:
        stored, _ = stored_day_pnl(con, NEXT, records(con, "stored_book", as_of=NEXT)[0])
        marks, model = mark_day(con, NEXT, ModelParams(), CostModel())
    finally:
        con.close()
    assert model.surface is None and stored is not None
    assert marks.day_pnl["condor"] == pytest.approx(stored["condor"], abs=0.01)
    assert marks.day_pnl["total"] == pytest.approx(stored["total"], abs=0.01)


def test_the_day_surfaces_table_keeps_one_row_per_day_and_refuses_an_unknown_status(tmp_path):
    """Migration 0012: one row per day, replaced on re-marking; a day without quotes none."""
    import duckdb

    from alvh.book.day_model import DayModel, save_day_surface
    from alvh.model.day_surface import DaySurface
    from alvh.store.warehouse import migrate

    con = connect(tmp_path / "alvh.duckdb")
    try:
        assert "0012_day_surfaces" in migrate(con)
        defaults = ModelParams()
        surface = surface_params(defaults)
        refused = DaySurface(QUOTED, "refused", surface, surface, 12, 1, 0, 0.8, None, "12 …")
        assert save_day_surface(con, DayModel(QUOTED, defaults, refused, "a.csv"), "run-1") == 1
        assert save_day_surface(con, DayModel(QUOTED, defaults, refused, "b.csv"), "run-2") == 1
        rows = con.execute("SELECT as_of, status, sources, run_id FROM day_surfaces").fetchall()
        assert rows == [(QUOTED, "refused", "b.csv", "run-2")]
        assert save_day_surface(con, DayModel(QUOTED, defaults, None), "run-3") == 0
        assert con.execute("SELECT count(*) FROM day_surfaces").fetchone()[0] == 0
        with pytest.raises(duckdb.ConstraintException, match="status"):
            con.execute(
                "INSERT INTO day_surfaces VALUES ('2020-09-04', 'guessed', '', 0, 0, 0, '{}', "
                "NULL, NULL, '', NULL, now())"
            )
    finally:
        con.close()


def test_residuals_of_a_day_not_marked_yet_leave_the_fit_to_the_mark_step(home, tmp_path):
    """Without a stored fit `quotes residuals` shows the defaults' error alone (the fit is the
    mark step's, 0.6–0.9 s); a report computing the day on the spot fits it and shows it."""
    from alvh.book.residuals import quote_residuals

    copy = tmp_path / "alvh.duckdb"
    copy.write_bytes((home / "alvh.duckdb").read_bytes())
    con = connect(copy)
    try:
        con.execute("DELETE FROM day_surfaces WHERE as_of = ?", [QUOTED])
        unmarked = quote_residuals(con, QUOTED)
        assert unmarked.summary["day_fit"] is None
        assert unmarked.summary["SPX"]["n"] > 0
        fitted = quote_residuals(con, QUOTED, fit_unmarked=True).summary["day_fit"]
        assert fitted["fit"]["origin"] == "fitted now (the day is not marked yet)"
        assert fitted["median_abs_iv_err"] < unmarked.summary["SPX"]["median_abs_error"]
    finally:
        con.close()

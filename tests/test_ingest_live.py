"""`alvh ingest` against live publishers, played by a loopback HTTP server.

auto falls back to the snapshot per series and says so; live refuses to fall back (exit 4 when
a publisher cannot be reached, exit 3 when it sends a file that fails as a whole).
"""

from __future__ import annotations

from datetime import date

import pytest
from publisher_server import PUBLISHER_FIXTURES, Body, Status, Truncated, html_page

from alvh.core.settings import Settings
from alvh.data import catalogue
from alvh.data.ingest import ingest
from alvh.store.warehouse import open_warehouse

AS_OF = date(2026, 11, 25)


@pytest.fixture
def live_settings(tmp_path, mini_snapshot, publisher_server) -> Settings:
    return Settings(
        home=tmp_path / "home",
        snapshot_dir=mini_snapshot,
        cboe_url_template=publisher_server.cboe_url_template,
        fred_url_template=publisher_server.fred_url_template,
        http_timeout_seconds=2.0,
    )


def _run(settings, mode):
    con = open_warehouse(settings.warehouse_path)
    try:
        report = ingest(con, settings, AS_OF, mode=mode)
        sources = dict(
            con.execute(
                "SELECT series_id, arg_max(source, obs_date) FROM observations GROUP BY 1"
            ).fetchall()
        )
        return report, sources
    finally:
        con.close()


def _item(report, name):
    return next(i for i in report.items if i.item == name)


def test_auto_uses_live_publishers_and_falls_back_per_series(live_settings, publisher_server):
    snapshot_report, _ = _run(live_settings, "snapshot")
    assert snapshot_report.exit_code == 0
    publisher_server.cboe("VIX", Body.file(PUBLISHER_FIXTURES / "VIX_History.csv"))
    publisher_server.cboe("SPX", Body.file(PUBLISHER_FIXTURES / "SPX_History.csv"))
    publisher_server.fred("DGS2", Body.file(PUBLISHER_FIXTURES / "fredgraph_DGS2.csv"))
    publisher_server.cboe("VVIX", Status(500))
    publisher_server.fred("DGS10", html_page())
    report, sources = _run(live_settings, "auto")

    assert report.exit_code == 0, report.reject_messages[:3]
    assert _item(report, "VIX").source == "cboe" and _item(report, "VIX").status == "loaded"
    assert _item(report, "VIX_OPEN").source == "cboe"
    assert _item(report, "DGS2").source == "fred"
    # Missing "." cells are skipped, not rejected.
    assert _item(report, "DGS2").missing == 2 and _item(report, "DGS2").rejected == 0
    vvix = _item(report, "VVIX")
    assert vvix.status == "fallback" and vvix.source == "snapshot" and "500" in vvix.note
    dgs10 = _item(report, "DGS10")
    assert dgs10.status == "fallback" and "served from the bundled snapshot" in dgs10.note
    # Unrouted series (404) fall back as well.
    assert _item(report, "DGS3MO").status == "fallback"
    # Cboe's and FRED's files parse to exactly the snapshot's values: nothing is revised.
    assert report.total("updated") == 0 and report.total("inserted") == 0
    # All 39 fixture rows, Cboe's two NYSE-holiday prints included, match the snapshot.
    assert _item(report, "VIX").unchanged == 39
    assert sources["VIX"] == "snapshot"  # the snapshot runs past the fixture's end


def test_live_mode_with_an_unreachable_publisher_exits_4(live_settings, publisher_server):
    publisher_server.cboe("VIX", Body.file(PUBLISHER_FIXTURES / "VIX_History.csv"))
    report, _ = _run(live_settings, "live")
    assert report.exit_code == 4
    assert _item(report, "VIX").status == "loaded"
    assert _item(report, "VVIX").status == "unreachable"
    assert _item(report, "VVIX").inserted == 0
    # Series with no live publisher still load from the snapshot, saying so.
    assert "no live publisher" in _item(report, "CAPE").note


@pytest.mark.parametrize(
    ("behaviour", "rule"),
    [
        (html_page(), "not_csv"),
        (Body.text("DATE,OPEN,HIGH,LOW,PRICE\n01/02/1990,1,1,1,1\n"), "missing_column"),
    ],
)
def test_live_mode_with_a_bad_file_exits_3_and_loads_nothing(
    live_settings, publisher_server, behaviour, rule
):
    for spec in catalogue.SERIES:
        if spec.live is not None and spec.live.publisher == "fred":
            publisher_server.fred(spec.live.key, Status(503))
    publisher_server.cboe("VIX", behaviour)
    report, sources = _run(live_settings, "live")
    assert report.exit_code == 3
    vix = _item(report, "VIX")
    assert vix.status == "failed" and vix.inserted == 0
    assert f"rule: {rule}" in vix.reject_messages[0]
    # VIX_OPEN reads the same refused file: neither series has a row in the fresh warehouse.
    assert _item(report, "VIX_OPEN").status == "failed"
    assert "VIX" not in sources and "VIX_OPEN" not in sources
    assert "SPX_OPEN" in sources  # series with no live publisher still load from the snapshot


def test_a_truncated_transfer_falls_back_in_auto(live_settings, publisher_server):
    publisher_server.cboe("VIX", Truncated(b"DATE,OPEN,HIGH,LOW,CLOSE\n01/02/1990,17.24,17.24"))
    report, _ = _run(live_settings, "auto")
    assert report.exit_code == 0
    assert _item(report, "VIX").status == "fallback"
    assert (
        "truncated" in _item(report, "VIX").note.lower()
        or "incomplete" in _item(report, "VIX").note.lower()
    )


def test_each_file_is_fetched_once_per_run(live_settings, publisher_server):
    publisher_server.cboe("VIX", Body.file(PUBLISHER_FIXTURES / "VIX_History.csv"))
    _run(live_settings, "auto")
    vix_requests = [r for r in publisher_server.requests if r.path == "/cboe/VIX_History.csv"]
    assert len(vix_requests) == 1  # VIX and VIX_OPEN share the file


def test_a_stale_live_feed_loads_but_is_called_stale(live_settings, publisher_server):
    # The VIX fixture ends 2026-07-23: four months before as_of.
    publisher_server.cboe("VIX", Body.file(PUBLISHER_FIXTURES / "VIX_History.csv"))
    report, _ = _run(live_settings, "auto")
    vix = _item(report, "VIX")
    assert vix.status == "loaded" and report.exit_code == 0
    assert "stale feed: newest value 2026-07-23" in vix.note


# ---------------------------------------------------------------------------------------------
# issue 15: a cut transfer, an implausible move, a flood of bad rows, a trickling publisher


def _spx_close(settings, day: str) -> float:
    con = open_warehouse(settings.warehouse_path)
    try:
        return con.execute(
            "SELECT value FROM observations WHERE series_id = 'SPX' AND obs_date = ?", [day]
        ).fetchone()[0]
    finally:
        con.close()


def _spx_file(settings, last_close: str) -> bytes:
    """Cboe's SPX file for the three sessions to 2026-08-21, as stored, the last close replaced."""
    con = open_warehouse(settings.warehouse_path)
    try:
        rows = con.execute(
            "SELECT strftime(obs_date, '%m/%d/%Y'), value FROM observations "
            "WHERE series_id = 'SPX' AND obs_date BETWEEN '2026-08-18' AND '2026-08-20' "
            "ORDER BY obs_date"
        ).fetchall()
    finally:
        con.close()
    lines = ["DATE,SPX", *(f"{d},{v}" for d, v in rows), f"08/21/2026,{last_close}"]
    return "\n".join(lines).encode()


def _only_spx_live(publisher_server) -> None:
    for spec in catalogue.SERIES:
        if spec.live is not None and spec.live.publisher == "fred":
            publisher_server.fred(spec.live.key, Status(503))


def test_a_transfer_cut_mid_row_revises_nothing_and_exits_3(live_settings, publisher_server):
    from publisher_server import Unframed

    assert _run(live_settings, "snapshot")[0].exit_code == 0
    before = _spx_close(live_settings, "2026-08-21")
    assert before == pytest.approx(7674.37)
    _only_spx_live(publisher_server)
    publisher_server.cboe("SPX", Unframed(_spx_file(live_settings, "76")))
    report, _ = _run(live_settings, "live")
    assert report.exit_code == 3
    spx = _item(report, "SPX")
    assert spx.status == "failed" and spx.updated == 0 and spx.rejected == 1
    assert "rule: truncated" in spx.reject_messages[0]
    assert _spx_close(live_settings, "2026-08-21") == before


def test_an_implausible_one_day_move_is_refused_and_revises_nothing(
    live_settings, publisher_server
):
    assert _run(live_settings, "snapshot")[0].exit_code == 0
    before = _spx_close(live_settings, "2026-08-21")
    _only_spx_live(publisher_server)
    # a complete, well-framed file whose last close is 1/100 of the stored one
    publisher_server.cboe("SPX", Body(_spx_file(live_settings, "76.0") + b"\n"))
    report, _ = _run(live_settings, "live")
    assert report.exit_code == 3
    spx = _item(report, "SPX")
    assert spx.updated == 0 and spx.rejected == 1
    assert "row 5, column 'close'" in spx.reject_messages[0]
    assert "rule: implausible_move" in spx.reject_messages[0]
    assert _spx_close(live_settings, "2026-08-21") == before
    # the same file with the true close passes: the rule judges moves, not the file
    publisher_server.cboe("SPX", Body(_spx_file(live_settings, f"{before}") + b"\n"))
    report, _ = _run(live_settings, "live")
    assert _item(report, "SPX").rejected == 0 and _item(report, "SPX").updated == 0


def test_a_move_is_judged_against_the_value_that_stands_not_a_refused_spike():
    import numpy as np
    import pandas as pd

    from alvh.data.validation import implausible_moves

    days = pd.to_datetime(["2026-08-17", "2026-08-18", "2026-08-19", "2026-08-20"])
    stored = pd.Series([7600.0, 7610.0], index=days[:2])
    # a spike on the 19th, a normal close on the 20th: only the spike is refused
    refused = implausible_moves(pd.Series(days[2:]), np.array([76.0, 7620.0]), stored)
    assert refused.tolist() == [True, False]
    # a genuine crash day (−20 %) and a VIX-like doubling pass
    assert not implausible_moves(pd.Series(days[2:]), np.array([6100.0, 12000.0]), stored).any()
    # values already stored are not judged again
    assert not implausible_moves(pd.Series(days[:2]), np.array([7600.0, 7610.0]), stored).any()


def test_a_file_of_mostly_bad_rows_is_refused_as_one_rejected_row(live_settings, publisher_server):
    from alvh.data.validation import MAX_REJECTED_ROWS_PER_FILE

    _only_spx_live(publisher_server)
    garbage = "DATE,SPX\n" + "".join(
        f"{i:02d}/xx/2026,abc\n" for i in range(MAX_REJECTED_ROWS_PER_FILE * 3)
    )
    publisher_server.cboe("SPX", Body.text(garbage))
    report, _ = _run(live_settings, "live")
    spx = _item(report, "SPX")
    assert report.exit_code == 3 and spx.status == "failed" and spx.inserted == 0
    assert spx.rejected == 1 and "rule: too_many_rejects" in spx.reject_messages[0]
    con = open_warehouse(live_settings.warehouse_path)
    try:
        stored = con.execute(
            "SELECT count(*), max(length(message)) FROM rejected_rows WHERE item = 'SPX'"
        ).fetchone()
    finally:
        con.close()
    assert stored[0] == 1 and stored[1] < 1000


def test_a_trickling_publisher_is_cut_off_and_auto_falls_back(live_settings, publisher_server):
    import time

    from publisher_server import Trickle

    settings = live_settings.model_copy(update={"http_transfer_timeout_seconds": 1.0})
    vix_file = (PUBLISHER_FIXTURES / "VIX_History.csv").read_bytes()
    publisher_server.cboe("VIX", Trickle(vix_file, 0.05))
    started = time.monotonic()
    report, sources = _run(settings, "auto")
    elapsed = time.monotonic() - started
    vix = _item(report, "VIX")
    assert vix.status == "fallback" and "took longer than 1 s" in vix.note
    assert sources["VIX"] == "snapshot"
    assert elapsed < 15  # one bounded transfer, not a byte-a-second wait per series

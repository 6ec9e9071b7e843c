"""The Cboe and FRED readers against a loopback publisher (no internet)."""

from __future__ import annotations

import gzip
import time

import pytest
from publisher_server import (
    PUBLISHER_FIXTURES,
    Body,
    HangUp,
    Slow,
    Status,
    Truncated,
    closed_port_url,
    html_page,
)

from alvh.core.settings import Settings
from alvh.data.sources.base import BadFile, RawTable, SourceUnavailable
from alvh.data.sources.cboe import read_cboe
from alvh.data.sources.fred import read_fred
from alvh.data.sources.http import USER_AGENT, fetch_text

VIX_TEXT = (PUBLISHER_FIXTURES / "VIX_History.csv").read_text()


@pytest.fixture
def settings_for(tmp_path, monkeypatch):
    """Build Settings pointing both URL templates at a publisher server (or any base URL)."""
    monkeypatch.delenv("ALVH_CONFIG", raising=False)
    monkeypatch.setenv("ALVH_HOME", str(tmp_path))

    def build(server=None, *, timeout: float = 2.0, cboe: str = "", fred: str = "") -> Settings:
        return Settings(
            home=tmp_path,
            cboe_url_template=cboe or server.cboe_url_template,
            fred_url_template=fred or server.fred_url_template,
            http_timeout_seconds=timeout,
        )

    return build


def assert_text_cells(table: RawTable) -> None:
    for column in table.frame.columns:
        assert all(type(cell) is str for cell in table.frame[column]), column


# --- happy paths: each fixture in the publisher's real format --------------------------------


def test_cboe_ohlc_file(publisher_server, settings_for):
    url = publisher_server.cboe("VIX", Body.file(PUBLISHER_FIXTURES / "VIX_History.csv"))

    table = read_cboe("VIX", settings_for(publisher_server))

    assert (table.origin, table.publisher, table.first_line) == (url, "cboe", 2)
    frame = table.frame
    assert list(frame.columns) == ["date", "open", "high", "low", "close"]
    assert len(frame) == 39
    assert frame.iloc[0].tolist() == [
        "06/01/2026",
        "15.880000",
        "16.340000",
        "15.710000",
        "16.050000",
    ]
    assert frame.iloc[-1].tolist() == [
        "07/23/2026",
        "17.670000",
        "20.310000",
        "17.320000",
        "18.700000",
    ]
    # Cboe publishes VIX on US holidays since 2022 (global trading hours): rows kept as published.
    assert {"06/19/2026", "07/03/2026"} <= set(frame["date"])
    assert table.line_of(len(frame) - 1) == 40
    assert_text_cells(table)


@pytest.mark.parametrize(
    ("symbol", "rows", "first", "last"),
    [
        ("VVIX", 43, ("06/22/2026", "91.720000"), ("08/20/2026", "89.860000")),
        ("SPX", 44, ("06/22/2026", "7472.79"), ("08/21/2026", "7674.37")),
    ],
)
def test_cboe_single_value_file(publisher_server, settings_for, symbol, rows, first, last):
    publisher_server.cboe(symbol, Body.file(PUBLISHER_FIXTURES / f"{symbol}_History.csv"))

    table = read_cboe(symbol, settings_for(publisher_server))

    assert list(table.frame.columns) == ["date", "close"]
    assert len(table.frame) == rows
    assert tuple(table.frame.iloc[0]) == first
    assert tuple(table.frame.iloc[-1]) == last
    assert_text_cells(table)


def test_fred_new_observation_date_format(publisher_server, settings_for):
    url = publisher_server.fred("DGS2", Body.file(PUBLISHER_FIXTURES / "fredgraph_DGS2.csv"))

    table = read_fred("DGS2", settings_for(publisher_server))

    assert (table.origin, table.publisher, table.first_line) == (url, "fred", 2)
    frame = table.frame
    assert list(frame.columns) == ["date", "value"]
    assert len(frame) == 59
    assert tuple(frame.iloc[0]) == ("2026-06-01", "4.05")
    assert tuple(frame.iloc[-1]) == ("2026-08-20", "4.19")
    assert frame.loc[frame["value"] == ".", "date"].tolist() == ["2026-06-19", "2026-07-03"]
    assert_text_cells(table)


def test_fred_old_date_format(publisher_server, settings_for):
    publisher_server.fred("DEXJPUS", Body.file(PUBLISHER_FIXTURES / "fredgraph_DEXJPUS.csv"))

    table = read_fred("DEXJPUS", settings_for(publisher_server))

    frame = table.frame
    assert list(frame.columns) == ["date", "value"]
    assert len(frame) == 43
    assert tuple(frame.iloc[0]) == ("2024-06-03", "156.04")
    assert tuple(frame.iloc[-1]) == ("2024-07-31", "150.38")
    assert frame.loc[frame["value"] == ".", "date"].tolist() == ["2024-06-19", "2024-07-04"]
    assert_text_cells(table)


def test_fred_series_column_matched_without_case(publisher_server, settings_for):
    publisher_server.fred("dgs2", Body.file(PUBLISHER_FIXTURES / "fredgraph_DGS2.csv"))

    table = read_fred("dgs2", settings_for(publisher_server))

    assert list(table.frame.columns) == ["date", "value"]
    assert len(table.frame) == 59


def test_requests_name_alvh_risk(publisher_server, settings_for):
    publisher_server.cboe("VIX", Body.text(VIX_TEXT))

    read_cboe("VIX", settings_for(publisher_server))

    (request,) = publisher_server.requests
    assert request.path == "/cboe/VIX_History.csv"
    assert request.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("alvh-risk/")


def test_bom_and_crlf_are_tolerated(publisher_server, settings_for):
    body = "\ufeff" + VIX_TEXT.replace("\n", "\r\n")
    publisher_server.cboe("VIX", Body(body.encode("utf-8")))

    frame = read_cboe("VIX", settings_for(publisher_server)).frame

    assert list(frame.columns) == ["date", "open", "high", "low", "close"]
    assert len(frame) == 39
    assert frame.iloc[-1]["close"] == "18.700000"


def test_blank_lines_keep_line_numbers(publisher_server, settings_for):
    body = "DATE,VVIX\n06/22/2026,91.72\n\n06/24/2026,95.58\n\n\n"
    publisher_server.cboe("VVIX", Body.text(body))

    table = read_cboe("VVIX", settings_for(publisher_server))

    # The blank line 3 stays as an empty row (validation rejects it, naming line 3);
    # trailing blank lines are dropped.
    assert table.frame["date"].tolist() == ["06/22/2026", "", "06/24/2026"]
    assert table.line_of(2) == 4


def test_gzip_content_encoding_is_decoded(publisher_server, settings_for):
    encoded = gzip.compress(VIX_TEXT.encode())
    url = publisher_server.cboe("VIX", Body(encoded, headers=(("Content-Encoding", "gzip"),)))

    assert fetch_text(url, 2.0) == VIX_TEXT


# --- the transfer fails: SourceUnavailable ---------------------------------------------------


@pytest.mark.parametrize("reader", ["cboe", "fred"])
def test_http_500_is_unavailable(publisher_server, settings_for, reader):
    if reader == "cboe":
        url = publisher_server.cboe("VIX", Status(500))
        call = lambda s: read_cboe("VIX", s)  # noqa: E731
    else:
        url = publisher_server.fred("DGS2", Status(500))
        call = lambda s: read_fred("DGS2", s)  # noqa: E731

    with pytest.raises(SourceUnavailable) as caught:
        call(settings_for(publisher_server))

    assert caught.value.origin == url
    assert "500" in caught.value.reason
    assert "500" in str(caught.value)


def test_unknown_file_404_is_unavailable(publisher_server, settings_for):
    with pytest.raises(SourceUnavailable, match="404"):
        read_cboe("NOSUCH", settings_for(publisher_server))


def test_truncated_body_is_a_bad_file(publisher_server, settings_for):
    # issue 15: a body shorter than its Content-Length is refused as a file (exit 3 in live
    # mode, the snapshot in auto), no longer reported as an unreachable publisher (exit 4)
    publisher_server.cboe("VIX", Truncated(VIX_TEXT.encode()[:300]))

    with pytest.raises(BadFile, match="truncated") as caught:
        read_cboe("VIX", settings_for(publisher_server))

    assert caught.value.rule == "truncated"
    assert "300 of 601 bytes" in caught.value.detail


def test_connection_dropped_without_response_is_unavailable(publisher_server, settings_for):
    publisher_server.fred("DGS2", HangUp())

    with pytest.raises(SourceUnavailable, match="closed the connection"):
        read_fred("DGS2", settings_for(publisher_server))


def test_slow_publisher_times_out(publisher_server, settings_for):
    publisher_server.cboe("VIX", Slow(5.0, Body.text(VIX_TEXT)))
    settings = settings_for(publisher_server, timeout=0.5)

    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match="timed out"):
        read_cboe("VIX", settings)
    elapsed = time.monotonic() - started

    assert 0.4 <= elapsed < 2.0


def test_connection_refused_is_unavailable(settings_for):
    base = closed_port_url()
    settings = settings_for(
        cboe=base + "cboe/{symbol}_History.csv", fred=base + "fred?id={series}", timeout=1.0
    )

    with pytest.raises(SourceUnavailable, match="refused") as caught:
        read_cboe("VIX", settings)
    assert caught.value.origin == base + "cboe/VIX_History.csv"

    with pytest.raises(SourceUnavailable):
        read_fred("DGS2", settings)


# --- the file arrives but is wrong: BadFile --------------------------------------------------

NOT_CSV_BODIES = {
    "html": html_page(),
    "xml": Body(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code></Error>\n',
        content_type="application/xml",
    ),
    "html_after_blank_lines": Body(b"\n\n  <html><body>Service Unavailable</body></html>"),
    "json": Body(b'{"error": "not found"}', content_type="application/json"),
    "binary": Body(b"\x1f\x8b\x08\x00\xff\xfe\x00garbage"),
}


@pytest.mark.parametrize("kind", sorted(NOT_CSV_BODIES))
@pytest.mark.parametrize("reader", ["cboe", "fred"])
def test_not_csv_is_a_bad_file(publisher_server, settings_for, kind, reader):
    if reader == "cboe":
        url = publisher_server.cboe("VIX", NOT_CSV_BODIES[kind])
        call = lambda s: read_cboe("VIX", s)  # noqa: E731
    else:
        url = publisher_server.fred("DGS2", NOT_CSV_BODIES[kind])
        call = lambda s: read_fred("DGS2", s)  # noqa: E731

    with pytest.raises(BadFile) as caught:
        call(settings_for(publisher_server))

    assert caught.value.rule == "not_csv"
    assert caught.value.origin == url


def test_html_error_page_with_error_status_is_unavailable(publisher_server, settings_for):
    publisher_server.cboe("VIX", html_page("Bad Gateway", status=502))

    with pytest.raises(SourceUnavailable, match="502"):
        read_cboe("VIX", settings_for(publisher_server))


def test_renamed_close_column(publisher_server, settings_for):
    body = VIX_TEXT.replace("DATE,OPEN,HIGH,LOW,CLOSE", "DATE,OPEN,HIGH,LOW,PRICE")
    url = publisher_server.cboe("VIX", Body.text(body))

    with pytest.raises(BadFile) as caught:
        read_cboe("VIX", settings_for(publisher_server))

    error = caught.value
    assert (error.rule, error.column, error.origin) == ("missing_column", "close", url)
    assert "CLOSE" in error.detail and "price" in error.detail


def test_single_value_column_must_be_named_after_the_symbol(publisher_server, settings_for):
    publisher_server.cboe("VVIX", Body.text("DATE,PRICE\n06/22/2026,91.720000\n"))

    with pytest.raises(BadFile) as caught:
        read_cboe("VVIX", settings_for(publisher_server))

    assert (caught.value.rule, caught.value.column) == ("missing_column", "close")
    assert "VVIX" in caught.value.detail


def test_cboe_missing_date_column(publisher_server, settings_for):
    publisher_server.cboe("VIX", Body.text(VIX_TEXT.replace("DATE,", "DAY,", 1)))

    with pytest.raises(BadFile) as caught:
        read_cboe("VIX", settings_for(publisher_server))

    assert (caught.value.rule, caught.value.column) == ("missing_column", "date")


def test_fred_wrong_series_column(publisher_server, settings_for):
    publisher_server.fred("DGS10", Body.file(PUBLISHER_FIXTURES / "fredgraph_DGS2.csv"))

    with pytest.raises(BadFile) as caught:
        read_fred("DGS10", settings_for(publisher_server))

    assert (caught.value.rule, caught.value.column) == ("missing_column", "value")
    assert "DGS10" in caught.value.detail


def test_fred_missing_date_column(publisher_server, settings_for):
    publisher_server.fred("DGS2", Body.text("when,DGS2\n2026-06-01,4.05\n"))

    with pytest.raises(BadFile) as caught:
        read_fred("DGS2", settings_for(publisher_server))

    assert (caught.value.rule, caught.value.column) == ("missing_column", "date")


@pytest.mark.parametrize(
    "body", [b"", b"\n\n", b"\xef\xbb\xbf", b"DATE,OPEN,HIGH,LOW,CLOSE\n"], ids=repr
)
def test_empty_file(publisher_server, settings_for, body):
    publisher_server.cboe("VIX", Body(body))

    with pytest.raises(BadFile) as caught:
        read_cboe("VIX", settings_for(publisher_server))

    assert caught.value.rule == "empty"


def test_fred_header_only_is_empty(publisher_server, settings_for):
    publisher_server.fred("DGS2", Body.text("observation_date,DGS2\n"))

    with pytest.raises(BadFile) as caught:
        read_fred("DGS2", settings_for(publisher_server))

    assert caught.value.rule == "empty"


@pytest.mark.parametrize(
    "body",
    [
        "DATE,CLOSE\n06/22/2026,91.72,1\n06/23/2026,99.50,2\n",  # every row one field too many
        "DATE,CLOSE\n06/22/2026,91.72\n06/23/2026,99.50,2\n",  # one row too long
        'DATE,CLOSE\n"06/22/2026,91.72\n',  # unterminated quote
    ],
    ids=["rows_longer_than_header", "one_long_row", "open_quote"],
)
def test_malformed_csv_is_not_csv(publisher_server, settings_for, body):
    publisher_server.cboe("VIX", Body.text(body))

    with pytest.raises(BadFile) as caught:
        read_cboe("VIX", settings_for(publisher_server))

    assert caught.value.rule == "not_csv"


def test_short_rows_are_padded_with_empty_cells(publisher_server, settings_for):
    publisher_server.cboe("VIX", Body.text("DATE,OPEN,HIGH,LOW,CLOSE\n06/01/2026,15.88\n"))

    frame = read_cboe("VIX", settings_for(publisher_server)).frame

    assert frame.iloc[0].tolist() == ["06/01/2026", "15.88", "", "", ""]


# ---------------------------------------------------------------------------------------------
# issue 15: a transfer cut mid-row, bodies beyond any real file, a publisher that trickles


def test_a_last_row_without_its_line_end_and_no_length_is_refused_as_cut(
    publisher_server, settings_for
):
    from publisher_server import Unframed

    publisher_server.cboe("SPX", Unframed(b"DATE,SPX\n08/20/2026,7650.11\n08/21/2026,76"))
    with pytest.raises(BadFile) as caught:
        read_cboe("SPX", settings_for(publisher_server))
    assert caught.value.rule == "truncated"
    assert "'08/21/2026,76' has no line end" in caught.value.detail


def test_an_unframed_body_that_ends_its_last_line_or_a_framed_one_without_it_loads(
    publisher_server, settings_for
):
    from publisher_server import Unframed

    publisher_server.cboe("SPX", Unframed(b"DATE,SPX\n08/20/2026,7650.11\n08/21/2026,7674.37\n"))
    table = read_cboe("SPX", settings_for(publisher_server))
    assert table.frame["close"].tolist() == ["7650.11", "7674.37"]
    # Content-Length says where the body ends: a missing final line end is the publisher's style
    publisher_server.cboe("SPX", Body(b"DATE,SPX\n08/20/2026,7650.11\n08/21/2026,7674.37"))
    assert read_cboe("SPX", settings_for(publisher_server)).frame["close"].iloc[-1] == "7674.37"


def test_a_gzip_body_that_expands_beyond_the_cap_is_refused_without_expanding_it(
    publisher_server, settings_for
):
    import gzip
    import tracemalloc

    from alvh.data.sources.http import MAX_BODY_BYTES

    bomb = gzip.compress(b"DATE,CLOSE\n" + b"0" * (MAX_BODY_BYTES + 1024), compresslevel=9)
    assert len(bomb) < 100_000
    publisher_server.cboe("VIX", Body(bomb, headers=(("Content-Encoding", "gzip"),)))
    tracemalloc.start()
    try:
        with pytest.raises(BadFile, match="expands beyond") as caught:
            read_cboe("VIX", settings_for(publisher_server))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.rule == "too_large"
    assert peak < 2 * MAX_BODY_BYTES + 10_000_000


@pytest.mark.parametrize("framed", [True, False])
def test_a_body_larger_than_the_cap_is_refused(publisher_server, settings_for, framed):
    from publisher_server import Unframed

    from alvh.data.sources.http import MAX_BODY_BYTES

    huge = b"DATE,CLOSE\n" + b"01/02/1990,17.24\n" * (MAX_BODY_BYTES // 17 + 10)
    publisher_server.cboe("VIX", Body(huge) if framed else Unframed(huge))
    with pytest.raises(BadFile, match="larger than|declares") as caught:
        read_cboe("VIX", settings_for(publisher_server))
    assert caught.value.rule == "too_large"


def test_a_publisher_trickling_bytes_is_cut_off_after_the_whole_transfer_bound(
    publisher_server, settings_for
):
    from publisher_server import Trickle

    publisher_server.cboe("VIX", Trickle(VIX_TEXT.encode(), interval=0.05))
    settings = settings_for(publisher_server, timeout=2.0).model_copy(
        update={"http_transfer_timeout_seconds": 1.0}
    )
    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match="took longer than 1 s"):
        read_cboe("VIX", settings)
    assert time.monotonic() - started < 1.8  # each read (0.05 s apart) is well within 2 s


def test_a_publisher_trickling_its_headers_is_cut_off_too(publisher_server, settings_for):
    from publisher_server import Behaviour

    class SlowHeaders(Behaviour):
        def respond(self, handler) -> None:
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nX-Padding: " + b"x" * 200
            for index in range(len(head)):
                if handler.server.stopping.wait(0.02):
                    return
                handler.wfile.write(head[index : index + 1])
                handler.wfile.flush()
            handler.close_connection = True

    publisher_server.cboe("VIX", SlowHeaders())
    settings = settings_for(publisher_server, timeout=2.0).model_copy(
        update={"http_transfer_timeout_seconds": 1.0}
    )
    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match="took longer than 1 s"):
        read_cboe("VIX", settings)
    assert time.monotonic() - started < 1.8  # every byte came within the 2 s read timeout

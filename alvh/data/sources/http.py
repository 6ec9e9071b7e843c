"""Fetching a publisher's file over HTTP, and turning its body into a table of text cells.

Standard library only (urllib). One attempt per call: the daily flow owns retries and the
fallback to the bundled snapshot, so a failure here is reported at once and never slept on.

`fetch_text` separates the two ways a download can go wrong:

* `SourceUnavailable`: nothing usable arrived (connection refused, DNS, timeout, an HTTP status
  other than 200, a body cut short). Trying again later, or falling back, is reasonable.
* `BadFile`: a complete body arrived but it is not a text file (not UTF-8). The publisher
  served something else; retrying will not help.

`csv_frame` does the format-independent part of reading a publisher CSV (not CSV at all, an
HTML/XML/JSON page, empty); the Cboe and FRED readers do the rest.
"""

from __future__ import annotations

import gzip
import http.client
import io
import urllib.error
import urllib.request
import warnings
import zlib

import pandas as pd

from alvh import __version__
from alvh.data.sources.base import BadFile, SourceUnavailable

USER_AGENT = f"alvh-risk/{__version__} (ALVH Risk daily ingest; Python urllib)"

# How much of a rejected body is quoted back in a message.
_PREVIEW_CHARS = 60


def fetch_text(url: str, timeout: float) -> str:
    """GET `url` once and return the body as text (UTF-8, a leading BOM removed).

    `timeout` (seconds) bounds the connection and every wait for data, as urllib does; it is not
    a cap on the whole transfer of a large file that keeps arriving.

    Raises `SourceUnavailable(url, reason)` for connection errors, timeouts, a status other than
    200 (the reason names it, e.g. "HTTP 500 Internal Server Error") and a truncated body (fewer
    bytes than Content-Length, or a cut chunked stream). Raises `BadFile(url, "not_csv", ...)`
    when the body is not UTF-8 text. A `file://` URL is read too (no status to check), so a user
    can point the URL template at a folder of downloaded files.
    """
    request = urllib.request.Request(
        url,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "text/csv, text/plain;q=0.9, */*;q=0.1",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = getattr(response, "status", None)
            if status is not None and status != 200:
                raise SourceUnavailable(url, f"HTTP {status} {response.reason}".rstrip())
            body = response.read()
            headers = response.headers
    except urllib.error.HTTPError as exc:
        exc.close()
        raise SourceUnavailable(url, f"HTTP {exc.code} {exc.reason}".rstrip()) from exc
    except urllib.error.URLError as exc:
        raise SourceUnavailable(url, _describe(exc.reason)) from exc
    except http.client.IncompleteRead as exc:
        reason = f"truncated body: {len(exc.partial)} bytes received"
        if exc.expected is not None:
            reason += f", {exc.expected} more expected"
        raise SourceUnavailable(url, reason) from exc
    except (http.client.HTTPException, OSError) as exc:
        raise SourceUnavailable(url, _describe(exc)) from exc

    body = _decode_content(url, body, headers.get("Content-Encoding"))
    _check_length(url, body, headers)
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile(
            url, "not_csv", f"the body is not UTF-8 text (bad byte at offset {exc.start})"
        ) from exc


def csv_frame(text: str, origin: str) -> pd.DataFrame:
    """Read a publisher CSV into a frame of `str` cells, column names stripped and lower-cased.

    Cells are kept exactly as published ("" when empty, "." stays "."). Blank lines inside the
    data are kept as rows of "" so that `RawTable.line_of` still names the right file line;
    blank lines at the end are dropped.

    Raises `BadFile` with rule "not_csv" (an HTML/XML/JSON page, or text pandas cannot split
    into rows) or "empty" (no header, or a header and no data rows).
    """
    text = text.removeprefix("\ufeff")
    head = text.lstrip()[:1024]
    if not head:
        raise BadFile(origin, "empty", "the file is empty")
    lowered = head.lower()
    if head.startswith("<") or "<html" in lowered or "<!doctype" in lowered:
        raise BadFile(origin, "not_csv", f"an HTML/XML page, not CSV: {_preview(head)!r}")
    if head[0] in "{[":
        raise BadFile(origin, "not_csv", f"a JSON document, not CSV: {_preview(head)!r}")
    try:
        with warnings.catch_warnings():
            # Rows longer than the header: pandas would drop (or, without index_col=False,
            # shift) fields silently. Refuse the file instead.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                index_col=False,
            )
    except pd.errors.EmptyDataError as exc:
        raise BadFile(origin, "empty", "the file has no header row") from exc
    except pd.errors.ParserError as exc:
        detail = " ".join(str(exc).split())
        raise BadFile(origin, "not_csv", f"not a well-formed CSV file: {detail}") from exc
    except pd.errors.ParserWarning as exc:
        raise BadFile(origin, "not_csv", "data rows have more fields than the header row") from exc
    frame.columns = [str(name).strip().lower() for name in frame.columns]
    frame = frame.fillna("").astype(str)
    frame = _drop_trailing_blank_rows(frame)
    return frame.reset_index(drop=True)


def require_rows(frame: pd.DataFrame, origin: str) -> None:
    """Raise `BadFile(origin, "empty", ...)` when `frame` has a header but no data rows."""
    if frame.empty:
        raise BadFile(origin, "empty", "the file has a header but no data rows")


def _drop_trailing_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    blank = (frame == "").all(axis=1).to_numpy()
    end = len(frame)
    while end > 0 and blank[end - 1]:
        end -= 1
    return frame.iloc[:end]


def _decode_content(url: str, body: bytes, encoding: str | None) -> bytes:
    """Undo a Content-Encoding the server applied although we did not ask for one."""
    encoding = (encoding or "identity").strip().lower()
    try:
        if encoding in ("gzip", "x-gzip"):
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceUnavailable(url, f"corrupt or truncated {encoding} body: {exc}") from exc
    return body


def _check_length(url: str, body: bytes, headers) -> None:
    """Belt and braces behind http.client: a body shorter than its Content-Length is cut."""
    declared = headers.get("Content-Length")
    if declared is None or headers.get("Content-Encoding") or headers.get("Transfer-Encoding"):
        return
    try:
        expected = int(declared)
    except ValueError:
        return
    if len(body) < expected:
        raise SourceUnavailable(
            url, f"truncated body: {len(body)} of {expected} bytes (Content-Length) received"
        )


def _describe(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, http.client.RemoteDisconnected):
        return "the server closed the connection without a response"
    if isinstance(reason, BaseException):
        text = str(reason) or type(reason).__name__
        return f"{type(reason).__name__}: {text}"
    return str(reason)


def _preview(text: str) -> str:
    first = " ".join(text.split())
    return first if len(first) <= _PREVIEW_CHARS else first[:_PREVIEW_CHARS] + "..."

"""Fetching a publisher's file over HTTP, and turning its body into a table of text cells.

Standard library only (urllib). One attempt per call: the daily flow owns retries and the
fallback to the bundled snapshot, so a failure here is reported at once and never slept on.

`fetch_text` separates the two ways a download can go wrong:

* `SourceUnavailable`: nothing usable arrived (connection refused, DNS, a read timeout, the
  whole transfer taking longer than its bound, an HTTP status other than 200). Trying again
  later, or falling back, is reasonable.
* `BadFile`: a body arrived but may not be loaded: not a text file (not UTF-8), larger than
  `MAX_BODY_BYTES` (also once decompressed), or cut short: fewer bytes than its Content-Length,
  a cut chunked or compressed stream, or (when no length was declared) a last row without its
  line end. A cut file read as complete once revised the SPX close 7674.37 to 76.0 from a
  last row `08/21/2026,76`; refusing it (exit 3 with `--source live`, the snapshot with `auto`)
  keeps what the warehouse holds.

Two bounds hold for every transfer: `timeout` for the connection and each wait for data, and
`transfer_seconds` for the whole transfer, so a publisher trickling a byte a second cannot hold
the warehouse for minutes.

`csv_frame` does the format-independent part of reading a publisher CSV (not CSV at all, an
HTML/XML/JSON page, empty); the Cboe and FRED readers do the rest.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import io
import socket
import threading
import time
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
# The largest body accepted, on the wire and once decompressed: Cboe's SPX history, the largest
# file read, is 1.4 MB.
MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_TRANSFER_SECONDS = 30.0
_CHUNK = 64 * 1024


def fetch_text(
    url: str,
    timeout: float,
    transfer_seconds: float = DEFAULT_TRANSFER_SECONDS,
    max_bytes: int = MAX_BODY_BYTES,
) -> str:
    """GET `url` once and return the body as text (UTF-8, a leading BOM removed).

    `timeout` (seconds) bounds the connection and every wait for data; `transfer_seconds`
    bounds the whole transfer, headers to last byte. See the module docstring for what raises
    `SourceUnavailable` and what `BadFile`. A `file://` URL is read too (no status to check),
    so a user can point the URL template at a folder of downloaded files.
    """
    deadline = time.monotonic() + transfer_seconds
    request = urllib.request.Request(
        url,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "text/csv, text/plain;q=0.9, */*;q=0.1",
        },
    )
    watch = _TransferWatch(transfer_seconds)
    opener = urllib.request.build_opener(_WatchedHTTPHandler(watch), _WatchedHTTPSHandler(watch))
    try:
        with watch, opener.open(request, timeout=min(timeout, transfer_seconds)) as response:
            status = getattr(response, "status", None)
            if status is not None and status != 200:
                raise SourceUnavailable(url, f"HTTP {status} {response.reason}".rstrip())
            headers = response.headers
            body = _read_body(url, response, deadline, transfer_seconds, timeout, max_bytes)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise SourceUnavailable(url, f"HTTP {exc.code} {exc.reason}".rstrip()) from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        if not watch.fired:
            raise _classified(url, exc) from exc
        raise SourceUnavailable(
            url, f"the transfer took longer than {transfer_seconds:g} s (cut off)"
        ) from exc

    _check_length(url, body, headers)
    body = _decode_content(url, body, headers.get("Content-Encoding"), max_bytes)
    _check_last_line_end(url, body, headers)
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile(
            url, "not_csv", f"the body is not UTF-8 text (bad byte at offset {exc.start})"
        ) from exc


def _classified(url: str, exc: Exception) -> SourceUnavailable | BadFile:
    """A failed transfer as `SourceUnavailable` (nothing usable) or `BadFile` (cut short)."""
    if isinstance(exc, urllib.error.URLError):
        return SourceUnavailable(url, _describe(exc.reason))
    if isinstance(exc, http.client.IncompleteRead):
        reason = f"truncated body: {len(exc.partial)} bytes received"
        if exc.expected is not None:
            reason += f", {exc.expected} more expected"
        return BadFile(url, "truncated", reason)
    return SourceUnavailable(url, _describe(exc))


class _TransferWatch:
    """Shuts the transfer's socket when `seconds` have passed, whatever it is waiting for
    (headers sent a byte at a time included); a context manager around the transfer."""

    def __init__(self, seconds: float):
        self.fired = False
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def attach(self, sock: socket.socket) -> None:
        self._sock = sock

    def _cut(self) -> None:
        self.fired = True
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _TransferWatch:
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()


class _WatchedConnection:
    """An HTTP(S) connection that hands its socket to the transfer's watch once connected."""

    def __init__(self, *args, watch: _TransferWatch, **kwargs):
        super().__init__(*args, **kwargs)
        self._watch = watch

    def connect(self) -> None:
        super().connect()
        self._watch.attach(self.sock)


class _WatchedHTTPConnection(_WatchedConnection, http.client.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnection, http.client.HTTPSConnection):
    pass


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, watch: _TransferWatch):
        super().__init__()
        self._watch = watch

    def http_open(self, req):
        return self.do_open(functools.partial(_WatchedHTTPConnection, watch=self._watch), req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watch: _TransferWatch):
        super().__init__()
        self._watch = watch

    def https_open(self, req):
        connection = functools.partial(_WatchedHTTPSConnection, watch=self._watch)
        return self.do_open(connection, req, context=self._context)


def _read_body(
    url: str, response, deadline: float, transfer_seconds: float, timeout: float, max_bytes: int
) -> bytes:
    """The body, chunk by chunk, within the transfer's deadline and `max_bytes`."""
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise BadFile(
            url, "too_large", f"the body declares {int(declared):,} bytes, over {max_bytes:,}"
        )
    chunks: list[bytes] = []
    received = 0
    while True:
        remaining = deadline - time.monotonic()
        too_long = SourceUnavailable(
            url,
            f"the transfer took longer than {transfer_seconds:g} s ({received:,} bytes received)",
        )
        if remaining <= 0:
            raise too_long
        _set_read_timeout(response, min(timeout, remaining))
        try:
            chunk = response.read1(_CHUNK) if hasattr(response, "read1") else response.read(_CHUNK)
        except TimeoutError:
            if remaining < timeout:  # the wait was cut to the transfer's deadline
                raise too_long from None
            raise
        if not chunk:
            if time.monotonic() >= deadline:  # ended by our own deadline, not by the sender
                raise too_long
            return b"".join(chunks)
        received += len(chunk)
        if received > max_bytes:
            raise BadFile(url, "too_large", f"the body is larger than {max_bytes:,} bytes")
        chunks.append(chunk)


def _set_read_timeout(response, seconds: float) -> None:
    """Shorten the socket's wait for data to what is left of the transfer (HTTP responses)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


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


def _decode_content(url: str, body: bytes, encoding: str | None, max_bytes: int) -> bytes:
    """Undo a Content-Encoding the server applied although we did not ask for one, never
    expanding past `max_bytes` (a 1 MB gzip body can expand to 1 GB)."""
    encoding = (encoding or "identity").strip().lower()
    wbits = {"gzip": 31, "x-gzip": 31, "deflate": 15}.get(encoding)
    if wbits is None:
        return body
    inflater = zlib.decompressobj(wbits)
    try:
        data = inflater.decompress(body, max_bytes + 1)
        if len(data) > max_bytes or inflater.unconsumed_tail:
            raise BadFile(
                url, "too_large", f"the {encoding} body expands beyond {max_bytes:,} bytes"
            )
        data += inflater.flush()
    except zlib.error as exc:
        raise BadFile(url, "truncated", f"corrupt or truncated {encoding} body: {exc}") from exc
    if not inflater.eof:
        raise BadFile(url, "truncated", f"truncated {encoding} body: the stream does not end")
    return data


def _check_length(url: str, body: bytes, headers) -> None:
    """Belt and braces behind http.client: a body shorter than its Content-Length is cut."""
    expected = _declared_length(headers)
    if expected is not None and len(body) < expected:
        raise BadFile(
            url,
            "truncated",
            f"truncated body: {len(body)} of {expected} bytes (Content-Length) received",
        )


def _declared_length(headers) -> int | None:
    declared = headers.get("Content-Length")
    if declared is None or headers.get("Transfer-Encoding"):
        return None
    try:
        return int(declared)
    except ValueError:
        return None


def _check_last_line_end(url: str, body: bytes, headers) -> None:
    """Without a declared length or chunked framing, a closed connection is the only end of the
    body, and a cut one looks the same: a last row without its line end is taken as cut."""
    framed = _declared_length(headers) is not None or headers.get("Transfer-Encoding")
    if framed or not url.lower().startswith(("http://", "https://")):
        return
    if body and not body.endswith(b"\n"):
        last = body.rsplit(b"\n", 1)[-1][:_PREVIEW_CHARS].decode("utf-8", "replace")
        raise BadFile(
            url,
            "truncated",
            f"the last row {last!r} has no line end and no length was declared: the transfer "
            "may have been cut",
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

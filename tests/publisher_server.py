"""A loopback HTTP server standing in for the publishers (Cboe, FRED) in tests.

Tests never reach the internet: they start this server on 127.0.0.1 (a free port), give it
routes, and point `Settings.cboe_url_template` / `fred_url_template` at it.

    server.route("/cboe/VIX_History.csv", Body.file(PUBLISHER_FIXTURES / "VIX_History.csv"))
    server.route("/cboe/VIX_History.csv", Status(500))
    server.route("/cboe/VIX_History.csv", Truncated(b"DATE,OPEN,..."))
    server.route("/cboe/VIX_History.csv", Slow(2.0, Body(b"...")))
    server.route("/cboe/SPX_History.csv", Unframed(b"DATE,SPX\n08/21/2026,76"))  # cut mid-row
    server.route("/cboe/SPX_History.csv", Trickle(b"DATE,SPX\n...", interval=1.0))

A route key is the request path, optionally with its query (`/fred/fredgraph.csv?id=DGS2`);
the full target is matched first, then the bare path. Unrouted paths answer 404. Every request
is recorded in `server.requests` (path and headers) so tests can check what was sent.

`conftest.py` provides the running server as the `publisher_server` fixture.
"""

from __future__ import annotations

import socket
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PUBLISHER_FIXTURES = Path(__file__).parent / "fixtures" / "publishers"

CBOE_PREFIX = "/cboe"
FRED_PREFIX = "/fred"


class Behaviour:
    """What the server does for one route. Subclasses implement `respond`."""

    def respond(self, handler: _Handler) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Body(Behaviour):
    """Answer `status` (200) with `data` and a correct Content-Length."""

    data: bytes
    status: int = 200
    content_type: str = "text/csv"
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def file(cls, path: Path | str, **kwargs) -> Body:
        return cls(Path(path).read_bytes(), **kwargs)

    @classmethod
    def text(cls, text: str, **kwargs) -> Body:
        return cls(text.encode("utf-8"), **kwargs)

    def respond(self, handler: _Handler) -> None:
        handler.send_response(self.status)
        handler.send_header("Content-Type", self.content_type)
        handler.send_header("Content-Length", str(len(self.data)))
        for name, value in self.headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(self.data)


def html_page(title: str = "Access Denied", status: int = 200) -> Body:
    """An HTML error page served with `status` (200 by default, as some CDNs do)."""
    page = (
        f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n"
        f"<body><h1>{title}</h1><p>The page you requested is not available.</p></body></html>\n"
    )
    return Body(page.encode("utf-8"), status=status, content_type="text/html; charset=utf-8")


@dataclass(frozen=True)
class Status(Behaviour):
    """Answer with an HTTP error status and a short plain-text body."""

    code: int
    message: str = "publisher error"

    def respond(self, handler: _Handler) -> None:
        Body(self.message.encode(), status=self.code, content_type="text/plain").respond(handler)


@dataclass(frozen=True)
class Truncated(Behaviour):
    """Announce `declared_length` bytes (default: twice the data), send `data`, hang up."""

    data: bytes
    declared_length: int | None = None

    def respond(self, handler: _Handler) -> None:
        declared = self.declared_length or 2 * len(self.data) + 1
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Content-Length", str(declared))
        handler.end_headers()
        handler.wfile.write(self.data)
        handler.wfile.flush()
        handler.close_connection = True


@dataclass(frozen=True)
class Unframed(Behaviour):
    """Send `data` with no Content-Length and close the connection: its end is the only end."""

    data: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def respond(self, handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Connection", "close")
        for name, value in self.headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(self.data)
        handler.wfile.flush()
        handler.close_connection = True


@dataclass(frozen=True)
class Trickle(Behaviour):
    """Announce `data` correctly, then send it one byte every `interval` seconds."""

    data: bytes
    interval: float

    def respond(self, handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Content-Length", str(len(self.data)))
        handler.end_headers()
        for index in range(len(self.data)):
            if handler.server.stopping.wait(self.interval):
                break
            handler.wfile.write(self.data[index : index + 1])
            handler.wfile.flush()
        handler.close_connection = True


@dataclass(frozen=True)
class HangUp(Behaviour):
    """Close the connection without sending a status line."""

    def respond(self, handler: _Handler) -> None:
        handler.close_connection = True


@dataclass(frozen=True)
class Slow(Behaviour):
    """Wait `delay` seconds (cut short when the server stops), then behave as `then`."""

    delay: float
    then: Behaviour = field(default_factory=lambda: Body(b"DATE,CLOSE\n01/02/1990,17.24\n"))

    def respond(self, handler: _Handler) -> None:
        if handler.server.stopping.wait(self.delay):
            handler.close_connection = True
            return
        self.then.respond(handler)


@dataclass(frozen=True)
class RecordedRequest:
    target: str
    path: str
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Behaviour] = {}
        self.requests: list[RecordedRequest] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def handle_error(self, request, client_address) -> None:
        # A client that gave up (timeout tests) makes the handler's write fail: expected here.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        with self.server.lock:
            self.server.requests.append(RecordedRequest(self.path, path, dict(self.headers)))
            behaviour = self.server.routes.get(self.path) or self.server.routes.get(path)
        if behaviour is None:
            behaviour = Status(404, f"no route for {self.path}")
        try:
            behaviour.respond(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:
        pass


class PublisherServer:
    """The loopback publisher: `base_url`, `route()`, `reset()`, `requests`; a context manager."""

    def __init__(self) -> None:
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> PublisherServer:
        self._server = _Server()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="publisher-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> PublisherServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def _running(self) -> _Server:
        if self._server is None:
            raise RuntimeError("the publisher server is not running")
        return self._server

    @property
    def base_url(self) -> str:
        host, port = self._running.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def cboe_url_template(self) -> str:
        """A `cboe_url_template` for Settings: `{base_url}/cboe/{symbol}_History.csv`."""
        return f"{self.base_url}{CBOE_PREFIX}/{{symbol}}_History.csv"

    @property
    def fred_url_template(self) -> str:
        """A `fred_url_template` for Settings: `{base_url}/fred/fredgraph.csv?id={series}`."""
        return f"{self.base_url}{FRED_PREFIX}/fredgraph.csv?id={{series}}"

    def route(self, target: str, behaviour: Behaviour) -> None:
        """Serve `behaviour` at `target` (a path, or a path with its query)."""
        with self._running.lock:
            self._running.routes[target] = behaviour

    def routes(self, mapping: dict[str, Behaviour]) -> None:
        for target, behaviour in mapping.items():
            self.route(target, behaviour)

    def cboe(self, symbol: str, behaviour: Behaviour) -> str:
        """Route Cboe's file for `symbol`; returns its URL."""
        target = f"{CBOE_PREFIX}/{symbol}_History.csv"
        self.route(target, behaviour)
        return self.base_url + target

    def fred(self, series_id: str, behaviour: Behaviour) -> str:
        """Route FRED's fredgraph CSV for `series_id`; returns its URL."""
        target = f"{FRED_PREFIX}/fredgraph.csv?id={series_id}"
        self.route(target, behaviour)
        return self.base_url + target

    def reset(self) -> None:
        """Forget every route and recorded request."""
        with self._running.lock:
            self._running.routes.clear()
            self._running.requests.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._running.lock:
            return list(self._running.requests)


def closed_port_url(path: str = "/") -> str:
    """A loopback URL on a port nobody listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"

"""Emailing the daily summary (issue 6 item 2) against a real SMTP server on loopback (aiosmtpd):
plain, STARTTLS and implicit TLS with a self-signed certificate made here, login, retries with
back-off, permanent failures, the .eml dry run, a credentials block, and the SMTP password
nowhere it should not be: logs, the .eml, the report, the warehouse.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import ipaddress
import logging
import socket
import ssl
from email import policy
from io import StringIO
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr
from test_report import DAY, build_home

from alvh.notify import SmtpCredentials, send_summary
from alvh.report import build_report

PASSWORD = "pw-MARKER-7f3a9c1e-never-in-logs"
USER = "alvh-sender"
RECIPIENTS = "risk@example.test, desk@example.test"


# --- the module's warehouse, report and log capture ----------------------------------------


@pytest.fixture(scope="module")
def captured_logs():
    """Every log record of the module at DEBUG, to search for the password at the end.

    The loopback server's own log (`mail.log`, aiosmtpd) is left out: it is the test double
    standing in for a mail server, and at DEBUG it records the AUTH dialogue it receives.
    """
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.addFilter(lambda record: not record.name.startswith("mail.log"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.fixture(scope="module")
def home(tmp_path_factory, captured_logs):
    settings, con = build_home(tmp_path_factory.mktemp("notify_home"), smtp_password=PASSWORD)
    report = build_report(con, DAY, settings, run_id="run-notify")
    yield settings, con, report
    con.close()


# A loopback conversation takes milliseconds, but CI shares two cores with the whole suite:
# the success-path tests give it the bound of a slow real server, not the 20 s default.
LOOPBACK_TIMEOUT = 90.0


def settings_for(home, **changes):
    settings, _, _ = home
    return settings.model_copy(update={"mail_to": RECIPIENTS, **changes})


def deliveries(con):
    return con.execute(
        "SELECT status, channel, attempts, detail FROM deliveries ORDER BY started_at"
    ).fetchall()


# --- a loopback SMTP server ------------------------------------------------------------------


class Sink:
    """Accepts messages; can answer 451 (try later) to the first `fail_first` of them."""

    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.envelopes = []
        self.logins: list[tuple[bytes, bool]] = []

    async def handle_DATA(self, server, session, envelope):
        if self.fail_first > 0:
            self.fail_first -= 1
            return "451 4.3.0 busy, try again later"
        self.envelopes.append(envelope)
        return "250 OK"

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == USER.encode()
            and auth_data.password == PASSWORD.encode()
        )
        self.logins.append((auth_data.login if hasattr(auth_data, "login") else b"", ok))
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 / localhost: (cert file, key file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def server_tls(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def client_tls(certificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


class Server:
    def __init__(self, sink: Sink, **kwargs):
        self.sink = sink
        self.port = free_port()
        self.controller = Controller(sink, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


# --- tests ------------------------------------------------------------------------------------


def test_no_smtp_host_writes_the_eml_beside_the_report(home):
    _, con, report = home
    settings = settings_for(home, smtp_host=None)
    delivery = send_summary(con, DAY, settings, report)
    assert delivery.status == "written" and delivery.channel == "eml"
    assert delivery.eml_path == report.pdf.with_suffix(".eml")
    assert "no SMTP host" in delivery.detail and str(delivery.eml_path) in delivery.detail
    message = parse(delivery.eml_path.read_bytes())
    assert message["Subject"].startswith("ALVH Risk 2026-08-20: L1 ")
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "alvh-2026-08-20.pdf"
    assert attachment.get_content() == report.pdf.read_bytes()
    assert deliveries(con)[-1][:2] == ("written", "eml")
    event = con.execute(
        "SELECT event, details FROM audit_log ORDER BY seq DESC LIMIT 1"
    ).fetchall()[0]
    assert event[0] == "report_delivered" and '"written"' in event[1]


def test_plain_smtp_delivers_the_summary_and_the_pdf(home):
    _, con, report = home
    with Server(Sink()) as server:
        settings = settings_for(
            home, smtp_host="127.0.0.1", smtp_port=server.port, smtp_security="none"
        )
        delivery = send_summary(con, DAY, settings, report, timeout=LOOPBACK_TIMEOUT)
    assert delivery.status == "sent", delivery.detail
    (envelope,) = server.sink.envelopes
    assert sorted(envelope.rcpt_tos) == ["desk@example.test", "risk@example.test"]
    message = parse(envelope.original_content)
    states = dict(
        con.execute("SELECT layer, state FROM layer_states WHERE as_of = ?", [DAY]).fetchall()
    )
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for layer, state in states.items():
        assert f"{layer} {state}" in message["Subject"]
        assert layer in text and state in text and state in html
    assert "Orders awaiting approval" in text and "alvh orders approve" in text
    assert "<script" not in html.lower()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == report.pdf.read_bytes()
    assert deliveries(con)[-1][:3] == ("sent", "smtp", 1)


def test_starttls_with_login(home, certificate):
    _, con, report = home
    sink = Sink()
    with Server(
        sink,
        tls_context=server_tls(certificate),
        require_starttls=True,
        authenticator=sink.authenticator,
        auth_require_tls=True,
    ) as server:
        settings = settings_for(
            home,
            smtp_host="localhost",
            smtp_port=server.port,
            smtp_security="starttls",
            smtp_user=USER,
        )
        delivery = send_summary(
            con,
            DAY,
            settings,
            report,
            ssl_context=client_tls(certificate),
            timeout=LOOPBACK_TIMEOUT,
        )
    assert delivery.status == "sent", delivery.detail
    assert sink.logins == [(USER.encode(), True)]  # the password reached the server, over TLS
    assert len(sink.envelopes) == 1


def test_implicit_tls(home, certificate):
    _, con, report = home
    sink = Sink()
    with Server(
        sink,
        ssl_context=server_tls(certificate),
        server_hostname="localhost",
        authenticator=sink.authenticator,
        auth_require_tls=False,  # aiosmtpd does not see implicit TLS as TLS; it is
    ) as server:
        settings = settings_for(
            home,
            smtp_host="localhost",
            smtp_port=server.port,
            smtp_security="ssl",
            smtp_user=USER,
        )
        delivery = send_summary(
            con,
            DAY,
            settings,
            report,
            ssl_context=client_tls(certificate),
            timeout=LOOPBACK_TIMEOUT,
        )
    assert delivery.status == "sent", delivery.detail
    assert sink.logins == [(USER.encode(), True)]


def test_an_untrusted_certificate_is_a_permanent_failure(home, certificate):
    _, con, report = home
    with Server(Sink(), tls_context=server_tls(certificate), require_starttls=True) as server:
        settings = settings_for(
            home, smtp_host="localhost", smtp_port=server.port, smtp_security="starttls"
        )
        waits: list[float] = []
        delivery = send_summary(con, DAY, settings, report, sleep=waits.append)  # system CAs
    assert delivery.status == "failed" and delivery.attempts == 1 and waits == []
    assert "TLS failed" in delivery.detail


def test_a_busy_server_is_retried_with_back_off(home):
    _, con, report = home
    sink = Sink(fail_first=2)
    waits: list[float] = []
    with Server(sink) as server:
        settings = settings_for(
            home, smtp_host="127.0.0.1", smtp_port=server.port, smtp_security="none"
        )
        delivery = send_summary(
            con,
            DAY,
            settings,
            report,
            attempts=4,
            backoff_seconds=0.5,
            sleep=waits.append,
            timeout=LOOPBACK_TIMEOUT,
        )
    assert delivery.status == "sent" and delivery.attempts == 3, delivery.detail
    assert waits == [0.5, 1.0]
    assert len(sink.envelopes) == 1


def test_an_unreachable_server_fails_without_raising_after_bounded_retries(home):
    _, con, report = home
    settings = settings_for(
        home, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none"
    )
    waits: list[float] = []
    delivery = send_summary(
        con, DAY, settings, report, attempts=50, backoff_seconds=20.0, sleep=waits.append
    )
    assert delivery.status == "failed" and delivery.attempts == 10  # attempts are capped
    assert waits[:3] == [20.0, 30.0, 30.0] and max(waits) == 30.0  # back-off is capped too
    assert "Connection" in delivery.detail or "refused" in delivery.detail
    assert deliveries(con)[-1][:3] == ("failed", "smtp", 10)
    event = con.execute("SELECT event FROM audit_log ORDER BY seq DESC LIMIT 1").fetchall()[0]
    assert event[0] == "report_delivery_failed"
    assert report.pdf.exists(), "a failed delivery leaves the report in place"


def test_a_wrong_password_is_not_retried(home, certificate):
    _, con, report = home
    sink = Sink()
    with Server(
        sink, tls_context=server_tls(certificate), authenticator=sink.authenticator
    ) as server:
        settings = settings_for(
            home,
            smtp_host="localhost",
            smtp_port=server.port,
            smtp_security="starttls",
            smtp_user=USER,
            smtp_password=SecretStr("not-" + PASSWORD),
        )
        waits: list[float] = []
        delivery = send_summary(
            con, DAY, settings, report, ssl_context=client_tls(certificate), sleep=waits.append
        )
    assert delivery.status == "failed" and delivery.attempts == 1 and waits == []
    assert "authentication refused" in delivery.detail
    assert PASSWORD not in delivery.detail and PASSWORD not in repr(delivery)


def test_a_credentials_block_supplies_the_login(home, certificate):
    """ALVH_SMTP_BLOCK: the loader the flows layer passes in (Prefect's block, offline here)."""
    _, con, report = home
    sink = Sink()
    asked: list[str] = []

    def loader(name: str) -> SmtpCredentials:
        asked.append(name)
        return SmtpCredentials(USER, SecretStr(PASSWORD), "localhost", server.port, "starttls")

    with Server(
        sink, tls_context=server_tls(certificate), authenticator=sink.authenticator
    ) as server:
        settings = settings_for(home, smtp_password=None, smtp_block="alvh-mail")
        delivery = send_summary(
            con,
            DAY,
            settings,
            report,
            credentials_loader=loader,
            ssl_context=client_tls(certificate),
        )
    assert asked == ["alvh-mail"]
    assert delivery.status == "sent", delivery.detail
    assert sink.logins == [(USER.encode(), True)]
    assert PASSWORD not in repr(loader("again"))


def test_a_block_without_the_prefect_layer_fails_and_says_what_to_set(home):
    """The library never reads a Prefect block itself: without a loader the delivery fails
    with the settings to use instead, and nothing imports Prefect."""
    import sys

    _, con, report = home
    settings = settings_for(home, smtp_password=None, smtp_block="alvh-mail")
    before = {m for m in sys.modules if m.startswith("prefect_email")}
    delivery = send_summary(con, DAY, settings, report, attempts=1, sleep=lambda s: None)
    assert delivery.status == "failed"
    assert "flows/credentials.py" in delivery.detail and "ALVH_SMTP_HOST" in delivery.detail
    assert {m for m in sys.modules if m.startswith("prefect_email")} == before


def test_the_prefect_block_is_mapped_without_leaking(monkeypatch):
    """load_prefect_email_block turns an EmailServerCredentials block into our credentials
    (the block's `load` is stubbed: no Prefect server in this test)."""
    from prefect_email import EmailServerCredentials  # a dependency: must import

    from flows.credentials import load_prefect_email_block

    block = EmailServerCredentials(
        username=USER, password=PASSWORD, smtp_server="mail.example.test", smtp_type="SSL"
    )
    monkeypatch.setattr(EmailServerCredentials, "load", classmethod(lambda cls, name: block))
    credentials = load_prefect_email_block("alvh-mail")
    assert (credentials.host, credentials.port, credentials.security) == (
        "mail.example.test",
        465,
        "ssl",
    )
    assert credentials.username == USER
    assert credentials.password.get_secret_value() == PASSWORD
    assert PASSWORD not in repr(credentials)


class EchoingSink(Sink):
    """A careless server: accepts the login, then answers every message 451 with the password
    and the base64 AUTH PLAIN blob it received in the reply text."""

    def __init__(self):
        super().__init__()
        self.echo = ""

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        result = super().authenticator(server, session, envelope, mechanism, auth_data)
        login, password = auth_data.login, auth_data.password
        blob = base64.b64encode(b"\0" + login + b"\0" + password).decode()
        self.echo = f"{password.decode()} {blob} {base64.b64encode(password).decode()}"
        return result

    async def handle_DATA(self, server, session, envelope):
        return f"451 4.3.0 busy; you said {self.echo}"


def test_a_server_echoing_the_credentials_has_them_scrubbed(home, captured_logs):
    """The password and its base64 forms never leave `send_summary` (docs/report.md, Secrets)."""
    _, con, report = home
    sink = EchoingSink()
    with Server(sink, authenticator=sink.authenticator, auth_require_tls=False) as server:
        settings = settings_for(
            home,
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_security="none",
            smtp_user=USER,
        )
        delivery = send_summary(con, DAY, settings, report, attempts=2, sleep=lambda s: None)
    assert sink.logins == [(USER.encode(), True)] * 2 and PASSWORD in sink.echo
    assert delivery.status == "failed" and delivery.attempts == 2
    assert "451" in delivery.detail and "***" in delivery.detail  # the reply, scrubbed
    stored = deliveries(con)[-1][3]
    for form in sink.echo.split():
        for text in (delivery.detail, *delivery.errors, stored, captured_logs.getvalue()):
            assert form not in text


def test_the_password_from_the_environment_is_never_written_anywhere(
    home, monkeypatch, captured_logs
):
    """Runs last: everything this module did with the password set, searched for it."""
    from pypdf import PdfReader

    from alvh.core.settings import load_settings

    settings, con, report = home
    monkeypatch.setenv("ALVH_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("ALVH_HOME", str(settings.home))
    from_env = load_settings()
    assert from_env.smtp_password.get_secret_value() == PASSWORD
    assert PASSWORD not in repr(from_env) and PASSWORD not in str(from_env.public_dict())
    # a delivery that fails while holding the password from the environment
    failing = from_env.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": free_port(),
            "smtp_user": USER,
            "smtp_security": "none",
            "mail_to": RECIPIENTS,
        }
    )
    delivery = send_summary(con, DAY, failing, report, attempts=2, sleep=lambda s: None)
    assert delivery.status == "failed"

    assert PASSWORD not in captured_logs.getvalue()
    for path in Path(settings.home).rglob("*"):
        if path.is_file() and path.suffix != ".duckdb" and not path.name.endswith(".wal"):
            assert PASSWORD.encode() not in path.read_bytes(), path
    pdf_text = "".join(page.extract_text() for page in PdfReader(str(report.pdf)).pages)
    assert PASSWORD not in pdf_text
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    ]
    assert "deliveries" in tables and "audit_log" in tables
    for table in tables:
        rows = con.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608 (catalogue names)
        assert PASSWORD not in repr(rows), table
    con.execute("CHECKPOINT")
    assert PASSWORD.encode() not in Path(settings.warehouse_path).read_bytes()


def test_the_email_and_the_report_footer_carry_the_audit_chain_head(home):
    """Issue 15: copies of the chain's head outside the warehouse, in every email and report."""
    import re

    from alvh.store import audit

    _, con, report = home
    stored = dict(con.execute("SELECT seq, hash FROM audit_log").fetchall())
    footer = re.search(
        r"Audit chain head when this report was written: row (\d+), sha-256 ([0-9a-f]{64})",
        report.html.read_text("utf-8"),
    )
    assert footer and stored[int(footer[1])] == footer[2]
    seq, digest = audit.head(con)
    delivery = send_summary(con, DAY, settings_for(home, smtp_host=None), report)
    message = parse(delivery.eml_path.read_bytes())
    assert message["X-ALVH-Audit-Head"] == f"row {seq}, sha-256 {digest}"
    for part in ("plain", "html"):
        body = message.get_body((part,)).get_content()
        assert f"row {seq}, sha-256 {digest}" in body, part

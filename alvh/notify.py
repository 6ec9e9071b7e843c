"""Email the daily summary with the PDF report attached (issue 6 item 2; interface.md settings).

    delivery = send_summary(con, as_of, settings, report)
    delivery.status   # "sent" | "written" | "failed"

- The message: an HTML and a plain-text summary (layer states, key numbers, orders awaiting
  approval) rendered by the report's one Jinja environment, and the PDF as an attachment.
- Transport: SMTP with `starttls`, `ssl` or `none` (`ALVH_SMTP_SECURITY`), login when
  `ALVH_SMTP_USER` is set. Transient failures (connection refused or dropped, timeouts, 4xx
  replies) are retried `attempts` times with exponential back-off (bounded); permanent ones
  (authentication, 5xx, TLS verification) are not.
- No SMTP host: the message is written as `alvh-YYYY-MM-DD.eml` beside the report (a dry run)
  and the delivery says so.
- Every delivery, whatever its outcome, is recorded in `deliveries` and the audit log in one
  transaction. `send_summary` never raises on an SMTP failure: it records and returns "failed".

Secrets: the password comes from `ALVH_SMTP_PASSWORD` (a `SecretStr`) or from a Prefect
`EmailServerCredentials` block named by `ALVH_SMTP_BLOCK`. It is only ever handed to
`smtplib.login`; every text this module writes, logs or returns is scrubbed of it.

Prefect: `alvh` never imports Prefect (architecture.md). Reading a block is the Prefect layer's
job (`flows/credentials.py`, package prefect-email, an optional extra); the caller passes it in
as `credentials_loader` — the daily flow and `alvh email` do. Without a loader a configured
block is a delivery failure that says so, never an import of Prefect from here.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import smtplib
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import duckdb
from pydantic import SecretStr

from alvh.core.resources import read_sql_statements
from alvh.core.settings import Settings
from alvh.store import anchor, audit
from alvh.store.warehouse import transaction

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 20.0  # each read, and each conversation as a whole
# No new attempt starts once one delivery has spent 1.5 timeouts (30 s by default); one that
# started runs to its own bound, so a slow server holds a run at most ~50 s, not 3 × 65 s.
DELIVERY_SECONDS_PER_TIMEOUT = 1.5
MAX_ATTEMPTS = 10
MAX_BACKOFF_SECONDS = 30.0
SECURITY_MODES = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class SmtpCredentials:
    """What a credentials source provides; host, port and security are optional overrides."""

    username: str | None = None
    password: SecretStr | None = None
    host: str | None = None
    port: int | None = None
    security: str | None = None

    def __repr__(self) -> str:  # never print the password, even by accident
        return (
            f"SmtpCredentials(username={self.username!r}, "
            f"password={'***' if self.password else None}, host={self.host!r}, "
            f"port={self.port!r}, security={self.security!r})"
        )


CredentialsLoader = Callable[[str], SmtpCredentials]


@dataclass(frozen=True)
class Delivery:
    """The outcome of one delivery; `detail` is safe to print (no secrets)."""

    status: str  # sent | written | failed
    detail: str
    eml_path: Path | None = None
    attempts: int = 0
    recipients: tuple[str, ...] = ()
    subject: str = ""
    message_id: str | None = None
    delivery_id: str = ""
    channel: str = "smtp"
    errors: list[str] = field(default_factory=list, repr=False)


class _Permanent(Exception):
    """A failure that retrying will not fix."""


def _secret_forms(secret: str | None, user: str | None) -> list[str]:
    """The password and the encodings an SMTP dialogue could echo it in."""
    if not secret:
        return []
    forms = {secret, base64.b64encode(secret.encode()).decode()}
    if user:
        forms.add(base64.b64encode(f"\0{user}\0{secret}".encode()).decode())
    return sorted(forms, key=len, reverse=True)


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def recipients_of(settings: Settings) -> tuple[str, ...]:
    return tuple(r.strip() for r in settings.mail_to.split(",") if r.strip())


def subject_for(summary: dict[str, Any]) -> str:
    states = " · ".join(f"{layer['id']} {layer['state']}" for layer in summary["layers"])
    parts = [f"ALVH Risk {summary['as_of']}: {states}"]
    if summary["pending"]:
        parts.append(f"{len(summary['pending'])} order(s) awaiting action")
    if summary["banner"]:
        parts.append("OFFLINE SNAPSHOT DATA")
    return " · ".join(parts)


def build_message(
    summary: dict[str, Any], settings: Settings, report, recipients: tuple[str, ...]
) -> EmailMessage:
    """The email: plain text and HTML alternatives, and the PDF attached."""
    from alvh.report.render import EMAIL_HTML_TEMPLATE, EMAIL_TEXT_TEMPLATE, render

    subject = subject_for(summary)
    context = {"s": summary, "subject": subject, "pdf_name": report.pdf.name, "pages": report.pages}
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.mail_from
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(usegmt=True)
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("alvh-" + summary["as_of"], domain=domain)
    message["X-ALVH-As-Of"] = summary["as_of"]
    message["X-ALVH-Content-Hash"] = report.content_hash
    if summary.get("audit_head"):
        message["X-ALVH-Audit-Head"] = summary["audit_head"]
    message.set_content(render(EMAIL_TEXT_TEMPLATE, context))
    message.add_alternative(render(EMAIL_HTML_TEMPLATE, context), subtype="html")
    message.add_attachment(
        report.pdf.read_bytes(), maintype="application", subtype="pdf", filename=report.pdf.name
    )
    return message


def _transport(
    message: EmailMessage,
    recipients: tuple[str, ...],
    sender: str,
    host: str,
    port: int,
    security: str,
    username: str | None,
    password: SecretStr | None,
    timeout: float,
    ssl_context: ssl.SSLContext | None,
) -> dict[str, Any]:
    """One SMTP conversation, bounded as a whole by `timeout` (and each read by it too): a
    server answering every 8 s once kept a run waiting 65 s."""
    cut = threading.Event()
    args = (message, recipients, sender, host, port, security, username, password, timeout)
    try:
        return _conversation(*args, ssl_context, cut)
    except (OSError, smtplib.SMTPException) as exc:
        if cut.is_set():
            raise TimeoutError(f"the SMTP conversation took longer than {timeout:g} s") from exc
        raise


def _cut_off(client: smtplib.SMTP, cut: threading.Event) -> None:
    """End a conversation past its time: shutting the socket ends any read blocked on it."""
    cut.set()
    if client.sock is not None:
        with contextlib.suppress(OSError):
            client.sock.shutdown(socket.SHUT_RDWR)


def _conversation(
    message: EmailMessage,
    recipients: tuple[str, ...],
    sender: str,
    host: str,
    port: int,
    security: str,
    username: str | None,
    password: SecretStr | None,
    timeout: float,
    ssl_context: ssl.SSLContext | None,
    cut: threading.Event,
) -> dict[str, Any]:
    """One SMTP conversation; raises `_Permanent` for failures a retry will not fix."""
    context = ssl_context or ssl.create_default_context()
    watchdog: threading.Timer | None = None
    try:
        if security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        watchdog = threading.Timer(timeout, _cut_off, [client, cut])
        watchdog.daemon = True
        watchdog.start()
        with client:
            client.ehlo()
            if security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if username:
                if password is None:
                    raise _Permanent(
                        f"ALVH_SMTP_USER is {username!r} but no password is configured "
                        "(ALVH_SMTP_PASSWORD or ALVH_SMTP_BLOCK)"
                    )
                client.login(username, password.get_secret_value())
            return client.send_message(message, from_addr=sender, to_addrs=list(recipients))
    except _Permanent:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise _Permanent(f"authentication refused ({exc.smtp_code})") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise _Permanent(f"every recipient refused: {sorted(exc.recipients)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise _Permanent(f"server does not support what {security} needs: {exc}") from None
    except ssl.SSLError as exc:
        raise _Permanent(f"TLS failed ({security}): {exc}") from None
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        if 400 <= exc.smtp_code < 500:
            raise ConnectionError(f"temporary SMTP error {exc.smtp_code} {text}") from None
        raise _Permanent(f"SMTP error {exc.smtp_code} {text}") from None
    finally:
        if watchdog is not None:
            watchdog.cancel()


def send_summary(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    settings: Settings,
    report,
    attempts: int = 3,
    backoff_seconds: float = 1.0,
    *,
    credentials_loader: CredentialsLoader | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = SMTP_TIMEOUT_SECONDS,
    sleep: Callable[[float], None] | None = None,
) -> Delivery:
    """Send (or, with no SMTP host, write) the day's summary email; see the module docstring.

    `report` is an `alvh.report.ReportResult`. Never raises on an SMTP failure; the outcome is
    returned and recorded in `deliveries` and the audit log.
    """
    sleep = sleep or time.sleep
    started = datetime.now()
    delivery_id = f"delivery-{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    summary = report.summary
    if summary is None:
        from alvh.report.context import summary_context

        summary = summary_context(con, as_of, settings)
    # the chain's head as sent: the mailbox keeps a copy no warehouse edit can reach
    summary = {**summary, "audit_head": anchor.head_text(con)}
    recipients = recipients_of(settings)

    credentials = SmtpCredentials()
    secrets: list[str] = []
    block_problem = None
    # The block is read when it has something to add: the password, or the server itself.
    if settings.smtp_block and (settings.smtp_password is None or not settings.smtp_host):
        if credentials_loader is None:
            block_problem = (
                f"ALVH_SMTP_BLOCK names the Prefect block {settings.smtp_block!r}, which only the "
                "Prefect layer reads (flows/credentials.py): send through 'alvh run' or "
                "'alvh email', or set ALVH_SMTP_HOST, ALVH_SMTP_USER and ALVH_SMTP_PASSWORD"
            )
        else:
            try:
                credentials = credentials_loader(settings.smtp_block)
            except Exception as exc:  # any failure to read the block is a delivery failure
                block_problem = (
                    f"cannot read the Prefect block {settings.smtp_block!r} "
                    f"({type(exc).__name__}: {exc})"
                )
    password = settings.smtp_password or credentials.password
    username = settings.smtp_user or credentials.username
    secrets = _secret_forms(password.get_secret_value() if password else None, username)
    host = settings.smtp_host or credentials.host
    fields_set = settings.model_fields_set
    port = (
        settings.smtp_port
        if "smtp_port" in fields_set or not credentials.port
        else int(credentials.port)
    )
    security = (
        settings.smtp_security
        if "smtp_security" in fields_set or not credentials.security
        else credentials.security
    )

    message = build_message(summary, settings, report, recipients)
    subject = str(message["Subject"])
    message_id = str(message["Message-ID"])
    errors: list[str] = []
    tries = 0
    eml_path = None
    if block_problem:
        status, channel, detail = "failed", "smtp", _scrub(block_problem, secrets)
    elif not host:
        from alvh.report import atomic_write

        eml_path = report.pdf.with_suffix(".eml")
        atomic_write(eml_path, message.as_bytes())
        status, channel = "written", "eml"
        detail = (
            f"no SMTP host configured (ALVH_SMTP_HOST): wrote {eml_path} instead of sending"
            + ("" if recipients else "; no recipients configured either (ALVH_MAIL_TO)")
        )
    elif not recipients:
        status, channel = "failed", "smtp"
        detail = "no recipients configured (ALVH_MAIL_TO): nothing sent"
    else:
        channel = "smtp"
        status, detail = "failed", ""
        limit = max(1, min(int(attempts), MAX_ATTEMPTS))
        give_up_at = time.monotonic() + DELIVERY_SECONDS_PER_TIMEOUT * timeout
        for tries in range(1, limit + 1):
            left = give_up_at - time.monotonic()
            if left <= 0:
                detail += f"; gave up: {DELIVERY_SECONDS_PER_TIMEOUT * timeout:g} s spent"
                break
            try:
                refused = _transport(
                    message,
                    recipients,
                    settings.mail_from,
                    host,
                    port,
                    security,
                    username,
                    password,
                    timeout,
                    ssl_context,
                )
            except _Permanent as exc:
                errors.append(_scrub(str(exc), secrets))
                detail = f"not sent: {errors[-1]} (attempt {tries}; not retried)"
                break
            except (OSError, smtplib.SMTPException) as exc:
                errors.append(_scrub(f"{type(exc).__name__}: {exc}", secrets))
                detail = f"not sent after {tries} attempt(s): {errors[-1]}"
                if tries < limit:
                    wait = min(backoff_seconds * 2 ** (tries - 1), MAX_BACKOFF_SECONDS)
                    log.warning(
                        "SMTP %s:%s attempt %d failed (%s); retrying in %.1f s",
                        host,
                        port,
                        tries,
                        errors[-1],
                        wait,
                    )
                    sleep(wait)
                continue
            status = "sent"
            detail = (
                f"sent to {', '.join(recipients)} via {host}:{port} ({security})"
                f" in {tries} attempt(s)"
            )
            if refused:
                detail += f"; refused by the server: {', '.join(sorted(refused))}"
            break
    detail = _scrub(detail, secrets)
    delivery = Delivery(
        status,
        detail,
        eml_path,
        tries,
        recipients,
        subject,
        message_id,
        delivery_id,
        channel,
        errors,
    )
    _record(con, as_of, settings, report, delivery, host, security, started)
    level = logging.WARNING if status == "failed" else logging.INFO
    log.log(level, "report delivery for %s %s: %s", as_of, status, detail)
    return delivery


def _record(con, as_of, settings, report, delivery: Delivery, host, security, started) -> None:
    """One row in `deliveries` and one audit event, in one transaction (no secrets in either).

    `deliveries` is migration 0007's, applied when the warehouse is opened (`open_warehouse`,
    a run's `acquire_warehouse`)."""
    sql = read_sql_statements("report/deliveries.sql")
    finished = datetime.now()
    with transaction(con):
        con.execute(
            sql["insert"],
            {
                "delivery_id": delivery.delivery_id,
                "as_of": as_of,
                "channel": delivery.channel,
                "status": delivery.status,
                "attempts": delivery.attempts,
                "recipients": ", ".join(delivery.recipients),
                "subject": delivery.subject,
                "message_id": delivery.message_id,
                "smtp_host": host,
                "smtp_security": security if host else None,
                "report_pdf": str(report.pdf),
                "content_hash": report.content_hash,
                "eml_path": str(delivery.eml_path) if delivery.eml_path else None,
                "detail": delivery.detail,
                "started_at": started,
                "finished_at": finished,
            },
        )
        audit.append(
            con,
            "report_delivery_failed" if delivery.status == "failed" else "report_delivered",
            {
                "status": delivery.status,
                "channel": delivery.channel,
                "attempts": delivery.attempts,
                "recipients": list(delivery.recipients),
                "detail": delivery.detail,
                "content_hash": report.content_hash,
                "eml_path": str(delivery.eml_path) if delivery.eml_path else None,
            },
            as_of=as_of,
            subject=delivery.delivery_id,
        )

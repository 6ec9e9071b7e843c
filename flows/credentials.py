"""SMTP credentials from a Prefect `EmailServerCredentials` block (`ALVH_SMTP_BLOCK`).

The Prefect layer's half of `alvh.notify`: the library never imports Prefect, so whoever sends
the email (the daily flow, `alvh email`) passes `load_prefect_email_block` to
`alvh.notify.send_summary` as its `credentials_loader`.
"""

from __future__ import annotations

from pydantic import SecretStr

from alvh.notify import SmtpCredentials


def load_prefect_email_block(name: str) -> SmtpCredentials:
    """Read a Prefect `EmailServerCredentials` block (package prefect-email).

    Imported when called: prefect-email is an optional extra (`pip install alvh-risk[email-block]`),
    needed only when `ALVH_SMTP_BLOCK` is set.
    """
    from prefect_email import EmailServerCredentials

    block = EmailServerCredentials.load(name)
    server = block.smtp_server
    host = getattr(server, "value", server)
    smtp_type = getattr(block.smtp_type, "name", str(block.smtp_type)).upper()
    security = {"SSL": "ssl", "STARTTLS": "starttls", "INSECURE": "none"}.get(smtp_type)
    port = block.smtp_port or getattr(block.smtp_type, "value", None)
    password = block.password
    if password is not None and not isinstance(password, SecretStr):
        password = SecretStr(str(password))
    return SmtpCredentials(block.username or None, password, host or None, port, security)

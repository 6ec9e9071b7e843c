"""`alvh report` and `alvh email` command functions (registered by alvh/cli.py), end to end on
the recent-years warehouse with the sample book: files, the .eml dry run, exit 4 on failure."""

from __future__ import annotations

import socket
from datetime import date

import pytest

from alvh.book.positions import load_sample_book
from alvh.cli.report import email_command, report_command
from alvh.core.errors import EnvironmentProblem


def test_report_then_email_commands(mini_warehouse, monkeypatch, capsys):
    settings, con = mini_warehouse
    load_sample_book(con, date(2026, 11, 25))
    con.close()  # the commands open the warehouse themselves
    monkeypatch.setenv("ALVH_HOME", str(settings.home))
    for name in ("ALVH_SMTP_HOST", "ALVH_SMTP_BLOCK", "ALVH_SMTP_PASSWORD", "ALVH_MAIL_TO"):
        monkeypatch.delenv(name, raising=False)

    report_command(as_of=None)  # no date: the latest day with SPX and VIX, 2026-08-20
    out = capsys.readouterr().out
    folder = settings.reports_dir / "2026-08-20"
    assert "report for 2026-08-20" in out and str(folder / "alvh-2026-08-20.pdf") in out
    html = (folder / "alvh-2026-08-20.html").read_text(encoding="utf-8")
    # 2024+ data only: no simulation of the last three years, and it says why
    assert 'id="equity-note"' in html and "not shown" in html
    assert 'data-event="2024-08"' in html and 'data-event="2008-10"' not in html

    email_command(as_of="2026-08-20")
    out = capsys.readouterr().out
    assert "written" in out and (folder / "alvh-2026-08-20.eml").exists()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    monkeypatch.setenv("ALVH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ALVH_SMTP_PORT", str(closed_port))
    monkeypatch.setenv("ALVH_SMTP_SECURITY", "none")
    monkeypatch.setenv("ALVH_MAIL_TO", "risk@example.test")
    monkeypatch.setattr("alvh.notify.time.sleep", lambda seconds: None)
    with pytest.raises(EnvironmentProblem) as failure:
        email_command(as_of="2026-08-20")
    assert failure.value.exit_code == 4
    assert "not delivered" in str(failure.value)

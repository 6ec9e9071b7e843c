"""The audit log is hash-chained: edits, deletions and a cut-off tail are all detected."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from alvh.store import audit
from alvh.store.warehouse import open_warehouse


@pytest.fixture
def con(tmp_path):
    connection = open_warehouse(tmp_path / "alvh.duckdb")
    for i in range(5):
        audit.append(
            connection,
            "test_event",
            {"i": i, "note": "<b>ünï</b>"},
            as_of=date(2026, 8, 21),
            subject=f"s{i}",
        )
    yield connection
    connection.close()


def _record_head(con, run_id="run-1"):
    seq, digest = audit.head(con)
    con.execute(
        "INSERT INTO pipeline_runs (run_id, as_of, started_at, status, package_version, "
        "config_hash, audit_head_seq, audit_head_hash) VALUES (?, ?, ?, 'ok', '0', 'x', ?, ?)",
        [run_id, date(2026, 8, 21), datetime.now(), seq, digest],
    )


def test_an_intact_chain_verifies(con):
    checked, breaks = audit.verify(con)
    assert checked == 5 and breaks == []
    rows = con.execute("SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq").fetchall()
    assert rows[0][1] == audit.GENESIS
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, len(rows)))


def test_an_edited_row_is_caught(con):
    con.execute("UPDATE audit_log SET details = '{\"i\": 99}' WHERE seq = 3")
    _, breaks = audit.verify(con)
    assert [b.seq for b in breaks] == [3] and "edited" in breaks[0].problem


def test_an_edit_that_recomputes_its_own_hash_still_breaks_the_next_link(con):
    row = con.execute("SELECT * FROM audit_log WHERE seq = 2").fetchall()[0]
    forged_details = '{"i": 1, "note": "forged"}'
    canonical = audit._canonical(row[0], row[1], row[2], row[3], row[4], row[5], forged_details)
    con.execute(
        "UPDATE audit_log SET details = ?, hash = ? WHERE seq = 2",
        [forged_details, audit.row_hash(row[7], canonical)],
    )
    _, breaks = audit.verify(con)
    assert [b.seq for b in breaks] == [3] and "link" in breaks[0].problem


def test_a_deleted_row_is_caught(con):
    con.execute("DELETE FROM audit_log WHERE seq = 2")
    _, breaks = audit.verify(con)
    assert {b.seq for b in breaks} == {3}
    assert any("deleted" in b.problem for b in breaks)


def test_rows_cut_off_the_end_are_caught_by_the_recorded_head(con):
    _record_head(con)
    con.execute("DELETE FROM audit_log WHERE seq = 5")
    _, breaks = audit.verify(con)
    assert any("cut off the end" in b.problem for b in breaks)


def test_appending_after_verification_keeps_the_chain(con):
    _record_head(con)
    audit.append(con, "later", {"ok": True})
    checked, breaks = audit.verify(con)
    assert checked == 6 and breaks == []

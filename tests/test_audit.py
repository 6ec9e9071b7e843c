"""The audit log is hash-chained: edits, deletions and a cut-off tail are all detected, and a
chain rewritten with recomputed hashes is caught against the heads anchored outside it."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from alvh.core.errors import BadInputError, EnvironmentProblem
from alvh.store import anchor, audit
from alvh.store.warehouse import connect, open_warehouse


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


# --- the anchor outside the warehouse (issue 15) ------------------------------------------


def _rewrite_from(con, seq, details):
    """What someone who can write the file does: edit a row and recompute every hash after it,
    and the heads the runs recorded, so the chain verifies on its own."""
    rows = con.execute("SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq", [seq]).fetchall()
    prev = rows[0][7]
    for row in rows:
        text = details if row[0] == seq else row[6]
        digest = audit.row_hash(prev, audit._canonical(*row[:6], text))
        con.execute(
            "UPDATE audit_log SET details = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            [text, prev, digest, row[0]],
        )
        con.execute(
            "UPDATE pipeline_runs SET audit_head_hash = ? WHERE audit_head_seq = ?",
            [digest, row[0]],
        )
        prev = digest


def test_each_run_appends_its_head_to_the_anchor_file(tmp_path):
    from alvh.core.settings import Settings
    from alvh.pipeline import audit_step, daily_run

    settings = Settings(home=tmp_path / "home", audit_anchor_path=tmp_path / "mnt" / "anchors")
    open_warehouse(settings.warehouse_path).close()
    heads = []
    for day in (date(2026, 8, 20), date(2026, 8, 21)):
        with daily_run(day, settings) as run_id:
            heads.append((audit_step(run_id, day, settings, []).audit_head, run_id, day))
    anchors = anchor.read(settings.audit_anchor_file)
    assert [((a.seq, a.hash), a.run_id, a.as_of) for a in anchors] == heads
    assert [a.line for a in anchors] == [1, 2]
    with connect(settings.warehouse_path, read_only=True) as con:
        assert audit.verify(con)[1] == [] and anchor.breaks_against(con, anchors) == []


def test_a_chain_recomputed_after_editing_rows_is_caught_by_the_anchor(con, tmp_path):
    _record_head(con)
    path = tmp_path / "anchors.log"
    anchor.append(path, audit.head(con), as_of=date(2026, 8, 21), run_id="run-1")
    audit.append(con, "later", {"ok": True})
    _rewrite_from(con, 2, '{"i": 1, "note": "forged"}')
    assert audit.verify(con)[1] == []  # the chain alone cannot tell
    (caught,) = anchor.breaks_against(con, anchor.read(path))
    assert caught.seq == 5 and "rewritten" in caught.problem and "run run-1" in caught.problem


def test_rows_deleted_with_their_run_records_are_caught_by_the_anchor(con, tmp_path):
    path = tmp_path / "anchors.log"
    anchor.append(path, audit.head(con), as_of=date(2026, 8, 21), run_id="run-1")
    con.execute("DELETE FROM audit_log WHERE seq >= 4")
    assert audit.verify(con)[1] == []
    (caught,) = anchor.breaks_against(con, anchor.read(path))
    assert caught.seq == 5 and "missing" in caught.problem


def test_an_edited_anchor_file_and_an_unwritable_one_are_named(con, tmp_path):
    path = tmp_path / "anchors.log"
    anchor.append(path, audit.head(con), as_of=date(2026, 8, 21), run_id="run-1")
    with path.open("a") as handle:
        handle.write("5 not-a-hash 2026-08-21 run-2 now\n")
    with pytest.raises(BadInputError, match=r"anchors.log, line 2: not"):
        anchor.read(path)
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(EnvironmentProblem, match="cannot append the audit head") as refused:
        anchor.append(blocked / "anchors.log", (1, "a" * 64), as_of=date(2026, 8, 21), run_id="r")
    assert refused.value.exit_code == 4


def test_audit_verify_checks_the_anchor_file_through_the_cli(con, tmp_path):
    from test_cli import run_alvh

    path = tmp_path / "elsewhere" / "anchors.log"
    anchor.append(path, audit.head(con), as_of=date(2026, 8, 21), run_id="run-1")
    con.close()
    home = tmp_path
    env = {"ALVH_AUDIT_ANCHOR_PATH": str(path)}
    intact = run_alvh("audit", "verify", home=home, env=env)
    assert intact.returncode == 0 and "holding all 1 anchored head" in intact.stdout
    missing = run_alvh("audit", "verify", "--anchor", str(tmp_path / "none.log"), home=home)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    unanchored = run_alvh("audit", "verify", home=home)
    assert unanchored.returncode == 0 and "against itself only" in unanchored.stdout
    rewriting = open_warehouse(home / "alvh.duckdb")
    _rewrite_from(rewriting, 3, '{"i": 2, "note": "forged"}')
    rewriting.close()
    broken = run_alvh("audit", "verify", "--anchor", str(path), home=home)
    assert broken.returncode == 3
    assert "row 5" in broken.stderr and "the chain was rewritten" in broken.stderr

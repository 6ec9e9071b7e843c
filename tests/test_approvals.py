"""Signed k-of-m approvals (issue 15): approving as someone whose key you don't hold is
impossible, a signature covers the order's terms exactly, and the approver set changes only by
k signatures of the set before it; every refused attempt is in the audit log."""

from __future__ import annotations

import json
from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from alvh.core.errors import BadInputError, UsageError
from alvh.core.settings import Settings
from alvh.hedge import approvals
from alvh.hedge.orders import ProposedOrder, approve, execute, list_orders, record_proposals
from alvh.store import audit
from alvh.store.warehouse import open_warehouse, transaction

AS_OF = date(2026, 8, 21)
OPEN = ProposedOrder("L1", "open", 22.0, date(2026, 9, 16), 20, 0.95, 1920.0, "L1 ACTIVE")


def write_keys(directory, name, *, openssh=False, passphrase=None):
    """A fresh Ed25519 key pair as files (PKCS#8 PEM, or OpenSSH as ssh-keygen writes them)."""
    key = Ed25519PrivateKey.generate()
    encryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    if openssh:
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        public += f" {name}@desk\n".encode()
    else:
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    (directory / f"{name}.key").write_bytes(private)
    (directory / f"{name}.pub").write_bytes(public)
    return directory / f"{name}.key", directory / f"{name}.pub"


@pytest.fixture
def con(tmp_path):
    connection = open_warehouse(tmp_path / "alvh.duckdb")
    yield connection
    connection.close()


@pytest.fixture
def team(tmp_path):
    """Three approvers' keys (bob's in OpenSSH format) and 2-of-3 settings."""
    keys = {
        name: write_keys(tmp_path, name, openssh=name == "bob")
        for name in ("alice", "bob", "carol")
    }
    settings = Settings(home=tmp_path, approvers=["alice", "bob", "carol"], approvals_required=2)
    return keys, settings


def private(keys, name):
    return approvals.load_private_key(keys[name][0])


def register_team(con, keys, settings):
    """alice first (unsigned), bob signed by alice (m=1 so one suffices), carol by both."""
    first = approvals.change_registry(
        con, "add", "alice", settings, public_key=approvals.load_public_key(keys["alice"][1])
    )
    assert first.applied and first.required == 0
    bob = approvals.load_public_key(keys["bob"][1])
    second = approvals.change_registry(
        con,
        "add",
        "bob",
        settings,
        public_key=bob,
        signer="alice",
        private_key=private(keys, "alice"),
    )
    assert second.applied and second.required == 1
    carol = approvals.load_public_key(keys["carol"][1])
    for signer, applied in (("alice", False), ("bob", True)):
        outcome = approvals.change_registry(
            con,
            "add",
            "carol",
            settings,
            public_key=carol,
            signer=signer,
            private_key=private(keys, signer),
        )
        assert (outcome.applied, outcome.required) == (applied, 2)


def propose(con, order=OPEN, as_of=AS_OF):
    with transaction(con):
        (order_id,) = record_proposals(con, as_of, [order])
    return order_id


def events(con, event):
    return con.execute(
        "SELECT actor, subject, details FROM audit_log WHERE event = ? ORDER BY seq", [event]
    ).fetchall()


def test_pem_and_openssh_public_keys_load_as_the_private_keys_halves(tmp_path):
    for openssh in (False, True):
        key_file, pub_file = write_keys(tmp_path, f"k{openssh}", openssh=openssh)
        loaded = approvals.load_private_key(key_file)
        assert approvals.load_public_key(pub_file) == approvals.public_hex(loaded)
        assert len(approvals.load_public_key(pub_file)) == 64


def test_encrypted_keys_need_their_passphrase_and_other_algorithms_are_refused(tmp_path):
    # (an encrypted OpenSSH key needs the bcrypt package, which is not a dependency)
    key_file, _ = write_keys(tmp_path, "locked", passphrase=b"s3cret")
    with pytest.raises(approvals.KeyNeedsPassphrase):
        approvals.load_private_key(key_file)
    with pytest.raises(UsageError, match="passphrase"):
        approvals.load_private_key(key_file, b"wrong")
    assert approvals.load_private_key(key_file, b"s3cret")
    rsa_pub = tmp_path / "rsa.pub"
    rsa_pub.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    )
    with pytest.raises(UsageError, match="must be Ed25519"):
        approvals.load_public_key(rsa_pub)
    garbage = tmp_path / "garbage.pub"
    garbage.write_text("not a key\n")
    with pytest.raises(UsageError, match="garbage.pub is not a PEM or OpenSSH"):
        approvals.load_public_key(garbage)


def test_the_set_changes_only_by_signatures_of_the_set_before_it(con, team):
    keys, settings = team
    register_team(con, keys, settings)
    assert sorted(approvals.registered_keys(con)) == ["alice", "bob", "carol"]
    mallory_key, mallory_pub = write_keys(keys["alice"][0].parent, "mallory")
    mallory = approvals.load_public_key(mallory_pub)
    with pytest.raises(UsageError, match="needs 2 signature"):
        approvals.change_registry(con, "add", "mallory", settings, public_key=mallory)
    with pytest.raises(UsageError, match="not a registered approver") as refused:
        approvals.change_registry(
            con,
            "add",
            "mallory",
            settings,
            public_key=mallory,
            signer="mallory",
            private_key=approvals.load_private_key(mallory_key),
        )
    assert refused.value.exit_code == 2
    assert [r[0] for r in events(con, "approvers_change_refused")] == ["mallory"]
    removal = approvals.change_registry(
        con, "remove", "carol", settings, signer="alice", private_key=private(keys, "alice")
    )
    assert not removal.applied and "carol" in approvals.registered_keys(con)
    with pytest.raises(UsageError, match="counts once"):
        approvals.change_registry(
            con, "remove", "carol", settings, signer="alice", private_key=private(keys, "alice")
        )
    done = approvals.change_registry(
        con, "remove", "carol", settings, signer="bob", private_key=private(keys, "bob")
    )
    assert done.applied and done.signed_by == ["alice", "bob"]
    assert sorted(approvals.registered_keys(con)) == ["alice", "bob"]
    assert audit.verify(con)[1] == []


@pytest.mark.parametrize(
    "tamper",
    [
        "INSERT INTO approver_keys VALUES ('mallory', repeat('ab', 32), now())",
        "DELETE FROM approver_keys WHERE name = 'bob'",
        "DELETE FROM approver_keys",
        "UPDATE approver_keys SET public_key = repeat('cd', 32) WHERE name = 'alice'",
    ],
)
def test_a_registry_changed_in_sql_is_refused(con, team, tamper):
    keys, settings = team
    register_team(con, keys, settings)
    order_id = propose(con)
    con.execute(tamper)
    with pytest.raises(BadInputError, match="changed outside 'alvh approvers'"):
        approvals.registered_keys(con)
    with pytest.raises(BadInputError):
        approve(con, order_id, "alice", settings, private(keys, "alice"))
    with pytest.raises(BadInputError):
        execute(con, order_id, 1.0, date(2026, 8, 24), settings=settings)


def test_a_forged_registry_event_without_signatures_is_caught(con, team):
    keys, settings = team
    register_team(con, keys, settings)
    with transaction(con):
        audit.append(
            con,
            approvals.CHANGED,
            {
                "action": "add",
                "name": "mallory",
                "public_key": "ab" * 32,
                "registry_before": approvals.registry_digest(approvals.stored_keys(con)),
                "required": 0,
                "signatures": [],
            },
        )
        con.execute("INSERT INTO approver_keys VALUES ('mallory', repeat('ab', 32), now())")
    with pytest.raises(BadInputError, match="forged at audit row"):
        approvals.registered_keys(con)


def test_k_signatures_by_registered_keys_authorise_an_execution(con, team):
    keys, settings = team
    register_team(con, keys, settings)
    order_id = propose(con)
    assert approve(con, order_id, "alice", settings, private(keys, "alice")) == "proposed"
    with pytest.raises(UsageError, match="1 valid approval"):
        execute(con, order_id, 1.0, date(2026, 8, 24), settings=settings)
    assert approve(con, order_id, "bob", settings, private(keys, "bob")) == "approved"
    summary = execute(con, order_id, 1.0, date(2026, 8, 24), settings=settings)
    assert "opened 20" in summary
    (executed,) = events(con, "order_executed")
    assert '"approved_by": ["alice", "bob"]' in executed[2]
    assert audit.verify(con)[1] == []


def test_approving_with_someone_elses_key_is_refused_and_recorded(con, team):
    keys, settings = team
    register_team(con, keys, settings)
    order_id = propose(con)
    with pytest.raises(UsageError, match="not alice's .* registered to bob") as refused:
        approve(con, order_id, "alice", settings, private(keys, "bob"))
    assert refused.value.exit_code == 2
    with pytest.raises(UsageError, match="give --key"):
        approve(con, order_id, "alice", settings)
    assert list_orders(con).loc[0, "approvals"] == 0
    ((actor, subject, details),) = events(con, "order_approval_refused")
    assert (actor, subject) == ("alice", order_id) and "registered to bob" in details


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE orders SET price = 0.96",
        "UPDATE orders SET quantity = 200",
        "UPDATE orders SET strike = 20.0",
        "UPDATE orders SET expiry = DATE '2026-10-21'",
    ],
)
def test_an_order_edited_after_signing_cannot_execute(con, team, edit):
    keys, settings = team
    register_team(con, keys, settings)
    order_id = propose(con)
    for name in ("alice", "carol"):
        approve(con, order_id, name, settings, private(keys, name))
    con.execute(edit)
    with pytest.raises(UsageError, match="does not match the order as it is now") as refused:
        execute(con, order_id, 1.0, date(2026, 8, 24), settings=settings)
    assert refused.value.exit_code == 2
    assert len(events(con, "order_execution_refused")) == 1
    assert con.execute("SELECT count(*) FROM positions").fetchone() == (0,)


def test_approvals_inserted_straight_into_the_warehouse_authorise_nothing(con, team):
    keys, settings = team
    register_team(con, keys, settings)
    order_id = propose(con)
    con.execute(
        "INSERT INTO order_approvals (order_id, approver, approved_at) VALUES "
        "(?, 'alice', now()), (?, 'bob', now())",
        [order_id, order_id],
    )
    con.execute("UPDATE orders SET status = 'approved'")
    with pytest.raises(UsageError, match="inserted without a key"):
        execute(con, order_id, 1.0, date(2026, 8, 24), settings=settings)
    # a signature copied from another order does not fit this one either
    other = propose(con, ProposedOrder("L2", "open", 25.0, date(2026, 9, 16), 5, 0.6, 305.0, "L2"))
    approve(con, other, "alice", settings, private(keys, "alice"))
    signature, key = con.execute(
        "SELECT signature, public_key FROM order_approvals WHERE order_id = ?", [other]
    ).fetchone()
    con.execute(
        "UPDATE order_approvals SET signature = ?, public_key = ? WHERE order_id = ?",
        [signature, key, order_id],
    )
    with pytest.raises(UsageError, match="does not match the order"):
        execute(con, order_id, 1.0, date(2026, 8, 24), settings=settings)
    assert con.execute("SELECT count(*) FROM positions").fetchone() == (0,)


def test_names_mode_is_for_a_registry_without_keys(con, team, tmp_path):
    keys, settings = team
    solo = Settings(home=tmp_path, approvals={"mode": "signed"})
    order_id = propose(con)
    with pytest.raises(UsageError, match="no approver key is registered"):
        approve(con, order_id, "risk-manager", solo)
    assert approve(con, order_id, "risk-manager", Settings(home=tmp_path)) == "approved"
    register_team(con, keys, settings)
    names = Settings(**{**settings.model_dump(), "approvals": {"mode": "names"}})
    with pytest.raises(UsageError, match="would bypass their signatures"):
        approve(con, propose(con, as_of=date(2026, 8, 24)), "alice", names)


def test_a_fill_far_from_the_limit_needs_force_and_is_audited(con, tmp_path):
    settings = Settings(home=tmp_path)
    order_id = propose(con)
    approve(con, order_id, "risk-manager", settings)
    with pytest.raises(UsageError, match="999.99 is 999.04 points from .* --force"):
        execute(con, order_id, 999.99, date(2026, 8, 24), settings=settings)
    with pytest.raises(UsageError, match="--force"):
        execute(con, order_id, 0.40, date(2026, 8, 24), settings=settings)
    assert con.execute("SELECT count(*) FROM cash_ledger").fetchone() == (0,)
    execute(con, order_id, 2.10, date(2026, 8, 24), settings=settings, force=True)
    (executed,) = events(con, "order_executed")
    assert '"forced": {"deviation": 1.15, "limit_price": 0.95}' in executed[2]


def test_the_example_configuration_documents_the_approvals_table():
    import re
    import tomllib
    from pathlib import Path

    from alvh.core.settings import ApprovalSettings

    text = (Path(__file__).resolve().parents[1] / "alvh.toml.example").read_text("utf-8")
    documented = tomllib.loads(re.sub(r"(?m)^# (\w+ = )", r"\1", text))
    defaults = {name: f.default for name, f in ApprovalSettings.model_fields.items()}
    assert documented["approvals"] == defaults
    assert "audit_anchor_path" in documented


def test_a_team_sets_up_keys_and_approves_through_the_cli(tmp_path):
    """The README's walk-through: keys registered and signed, an order signed by two of three,
    a foreign key refused (exit 2, audited), the signatures re-checked, the fill recorded."""
    from test_cli import run_alvh

    home = tmp_path / "home"
    keys = {name: write_keys(tmp_path, name, openssh=name != "carol") for name in ("a", "b", "c")}
    env = {"ALVH_APPROVERS": '["a", "b", "c"]', "ALVH_APPROVALS_REQUIRED": "2"}
    con = open_warehouse(home / "alvh.duckdb")
    order_id = propose(con)
    con.close()

    def alvh(*args):
        return run_alvh(*args, home=home, env=env)

    def add(name, *signers):
        return [
            alvh(
                "approvers",
                "add",
                name,
                "--public-key",
                str(keys[name][1]),
                *(("--sign-as", s, "--key", str(keys[s][0])) if s else ()),
            )
            for s in signers or (None,)
        ]

    assert add("a")[0].returncode == 0
    unsigned = add("b")[0]
    assert unsigned.returncode == 2 and "--sign-as NAME --key" in unsigned.stderr
    assert "approver b added (signed by a)" in add("b", "a")[0].stdout
    first, second = add("c", "a", "b")
    assert "1 of 2 signatures" in first.stdout and "approver c added" in second.stdout
    listed = alvh("approvers", "list", "--json")
    assert [r["name"] for r in json.loads(listed.stdout)["approvers"]] == ["a", "b", "c"]

    foreign = alvh("orders", "approve", order_id, "--as", "a", "--key", str(keys["b"][0]))
    assert foreign.returncode == 2 and "registered to b" in foreign.stderr
    typed = alvh("orders", "approve", order_id, "--as", "a")
    assert typed.returncode == 2 and "--key" in typed.stderr
    for name in ("a", "c"):
        signed = alvh("orders", "approve", order_id, "--as", name, "--key", str(keys[name][0]))
        assert signed.returncode == 0 and f"signed by {name}" in signed.stdout, signed.stderr
    checked = alvh("orders", "verify", order_id)
    assert checked.returncode == 0 and "2 valid approval(s) of 2 required" in checked.stdout
    wild = alvh("orders", "execute", order_id, "--price", "999.99")
    assert wild.returncode == 2 and "--force" in wild.stderr
    done = alvh("orders", "execute", order_id, "--price", "1.0")
    assert done.returncode == 0, done.stderr
    verified = alvh("audit", "verify")
    assert verified.returncode == 0, verified.stderr

    con = open_warehouse(home / "alvh.duckdb")
    refused = [r[0] for r in events(con, "order_approval_refused")]
    con.execute("UPDATE orders SET quantity = 200")
    con.close()
    assert refused == ["a"]
    tampered = alvh("orders", "verify", order_id)
    assert tampered.returncode == 2 and "does not match the order as it is now" in tampered.stdout


def test_an_execution_is_refused_when_the_chain_no_longer_holds_its_anchored_heads(con, tmp_path):
    """Names mode: approvals typed in SQL and a registry deleted with its history would pass
    the warehouse's own checks; the anchor outside it does not move with them."""
    from alvh.store import anchor

    settings = Settings(home=tmp_path)
    order_id = propose(con)
    anchor.append(settings.audit_anchor_file, audit.head(con), as_of=AS_OF, run_id="run-1")
    approve(con, order_id, "risk-manager", settings)
    con.execute("UPDATE audit_log SET hash = repeat('0', 64) WHERE seq = 1")
    with pytest.raises(BadInputError, match="no longer holds the heads anchored") as refused:
        execute(con, order_id, 1.0, date(2026, 8, 24), settings=settings)
    assert refused.value.exit_code == 3
    assert con.execute("SELECT count(*) FROM positions").fetchone() == (0,)

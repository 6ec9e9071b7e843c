"""Signed k-of-m approvals (method §6.5, issue 15): who may approve, and the proof that they did.

Each approver holds an Ed25519 private key; the warehouse registers only the public keys. An
approval is a detached signature over the order's canonical content (id, as_of, layer, action,
instrument, strike, expiry, quantity, limit price), so a price or quantity changed in the
warehouse afterwards invalidates it, and a row inserted without a key proves nothing.

The registry itself is not trusted as a table: every applied change (add or remove a key) is
written to the audit log with the signatures that authorised it, and the registry in force is
replayed from those events, each checked against the set before it. A key inserted or deleted
in SQL therefore shows as a registry that differs from its history (exit 3). The first key is
registered unsigned (there is nobody yet to sign); after that a change needs min(k, m) valid
signatures from distinct registered approvers over the change and the set it applies to.

`approvals.mode = "names"` keeps the solo trader's typed names while no key is registered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from alvh.core.errors import BadInputError, UsageError
from alvh.core.resources import read_sql_statements
from alvh.core.settings import Settings
from alvh.store import audit
from alvh.store.warehouse import transaction

ORDER_DOMAIN = "alvh-order-approval-v1"
CHANGE_DOMAIN = "alvh-approver-change-v1"
CHANGED = "approvers_changed"


class KeyNeedsPassphrase(UsageError):
    """The private key file is encrypted and no passphrase was given (the CLI asks for one)."""


def _sql() -> dict[str, str]:
    return read_sql_statements("orders/approvers.sql")


# ---------------------------------------------------------------------------------------------
# keys


def _raw_hex(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def load_public_key(path: Path) -> str:
    """An Ed25519 public key from a PEM or OpenSSH (`ssh-ed25519 ...`) file, as 64 hex digits."""
    try:
        data = Path(path).read_bytes()[:65536]
    except OSError as exc:
        raise UsageError(f"cannot read the public key file {path}: {exc.strerror}") from exc
    try:
        if data.lstrip().startswith(b"ssh-"):
            key = serialization.load_ssh_public_key(data.strip())
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise UsageError(
            f"{path} is not a PEM or OpenSSH public key ({exc}); an approver's key is made "
            "with 'ssh-keygen -t ed25519' or 'openssl genpkey -algorithm ed25519'"
        ) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{path} holds a {type(key).__name__}; approver keys must be Ed25519")
    return _raw_hex(key)


def load_private_key(path: Path, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM (PKCS#8) or OpenSSH private key file."""
    try:
        data = Path(path).read_bytes()[:65536]
    except OSError as exc:
        raise UsageError(f"cannot read the private key file {path}: {exc.strerror}") from exc
    try:
        if b"OPENSSH PRIVATE KEY" in data:
            key = serialization.load_ssh_private_key(data, passphrase)
        else:
            key = serialization.load_pem_private_key(data, passphrase)
    except TypeError as exc:  # encrypted without a passphrase, or a passphrase for a plain key
        if passphrase is None:
            raise KeyNeedsPassphrase(f"the private key {path} is encrypted") from exc
        raise UsageError(f"the private key {path} is not encrypted; give no passphrase") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        if "bcrypt" in str(exc):
            raise UsageError(
                f"the private key {path} is an encrypted OpenSSH key, which needs the bcrypt "
                "package; convert it to encrypted PKCS#8: ssh-keygen -p -m PKCS8 -f FILE"
            ) from exc
        if passphrase is not None and "incorrect password" in str(exc).lower():
            raise UsageError(f"wrong passphrase for the private key {path}") from exc
        raise UsageError(f"{path} is not a PEM or OpenSSH private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} holds a {type(key).__name__}; approver keys must be Ed25519")
    return key


def public_hex(private_key: Ed25519PrivateKey) -> str:
    """The registered form (64 hex digits) of a private key's public half."""
    return _raw_hex(private_key.public_key())


def fingerprint(public_key: str) -> str:
    """A short name for a public key, as shown by `alvh approvers list`."""
    return "ed25519:" + hashlib.sha256(bytes.fromhex(public_key)).hexdigest()[:16]


def sign(private_key: Ed25519PrivateKey, content: bytes) -> str:
    """A detached signature of `content`, hex."""
    return private_key.sign(content).hex()


def signature_valid(public_key: str, signature: str | None, content: bytes) -> bool:
    """True when `signature` (hex) is `public_key`'s over exactly `content`."""
    if not signature:
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
        key.verify(bytes.fromhex(signature), content)
    except (InvalidSignature, ValueError):
        return False
    return True


# ---------------------------------------------------------------------------------------------
# what is signed


def _as_date(value: object) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def order_content(order: Mapping[str, object]) -> bytes:
    """The bytes an approver signs: the order's identity and terms, nothing that may change.

    Floats are written by `repr` (exact for a DOUBLE read back), so any edit of the strike or
    the limit price changes the content.
    """
    terms = {
        "order_id": str(order["order_id"]),
        "as_of": _as_date(order["as_of"]),
        "layer": str(order["layer"]),
        "action": str(order["action"]),
        "instrument": str(order["instrument"]),
        "strike": float(order["strike"]),
        "expiry": _as_date(order["expiry"]),
        "quantity": int(order["quantity"]),
        "limit_price": float(order["price"]),
    }
    return (ORDER_DOMAIN + "\n" + json.dumps(terms, sort_keys=True)).encode()


def change_content(action: str, name: str, public_key: str, registry: str) -> bytes:
    """The bytes approvers sign to change the registry: the change and the set it applies to."""
    terms = {"action": action, "name": name, "public_key": public_key, "registry": registry}
    return (CHANGE_DOMAIN + "\n" + json.dumps(terms, sort_keys=True)).encode()


def registry_digest(keys: Mapping[str, str]) -> str:
    """A fingerprint of a set of approver keys (name → public key)."""
    text = "\n".join(f"{name}:{keys[name]}" for name in sorted(keys))
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# the registry in force


def stored_keys(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The approver_keys table as it is (name → public key), not yet checked."""
    return dict(con.execute(_sql()["keys"]).fetchall())


def _replayed_keys(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The registry as its signed history in the audit log makes it."""
    keys: dict[str, str] = {}
    for seq, details in con.execute(_sql()["registry_history"]).fetchall():
        change = json.loads(details)
        before = registry_digest(keys)
        content = change_content(change["action"], change["name"], change["public_key"], before)
        signers = {
            s["signer"]
            for s in change.get("signatures", [])
            if keys.get(s["signer"]) == s["public_key"]
            and signature_valid(s["public_key"], s["signature"], content)
        }
        needed = max(int(change.get("required", 0)), 1 if keys else 0)
        if change.get("registry_before") != before or len(signers) < needed:
            raise BadInputError(
                f"the approver registry's history is forged at audit row {seq}: the change "
                f"'{change['action']} {change['name']}' lacks valid signatures from the set "
                "before it; run 'alvh audit verify'"
            )
        if change["action"] == "add":
            keys[change["name"]] = change["public_key"]
        else:
            keys.pop(change["name"], None)
    return keys


def registered_keys(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The approver keys in force (name → public key), checked against their signed history.

    Raises BadInputError (exit 3) when the table differs from what the history makes it: keys
    added, swapped or deleted outside `alvh approvers`.
    """
    stored, replayed = stored_keys(con), _replayed_keys(con)
    if stored != replayed:
        changed = sorted(set(stored.items()) ^ set(replayed.items()))
        names = ", ".join(sorted({name for name, _ in changed}))
        raise BadInputError(
            f"the approver registry was changed outside 'alvh approvers' (keys of: {names}); "
            "it no longer matches its signed history in the audit log"
        )
    return replayed


def mode_in_force(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """'signed' or 'names': how orders are approved now (`approvals.mode`, and the registry)."""
    keys = registered_keys(con)
    mode = settings.approvals.mode
    if mode == "names" and keys:
        raise UsageError(
            f"approvals.mode is 'names' but {len(keys)} approver key(s) are registered: typed "
            "names would bypass their signatures; remove the keys ('alvh approvers remove', "
            "signed) or set approvals.mode to 'signed'"
        )
    if mode == "signed" and not keys:
        raise UsageError(
            "approvals.mode is 'signed' but no approver key is registered: "
            "'alvh approvers add NAME --public-key FILE' registers the first"
        )
    return "signed" if keys else "names"


def record_refusal(
    con: duckdb.DuckDBPyConnection,
    event: str,
    problem: str,
    *,
    actor: str,
    subject: str | None = None,
    as_of: date | None = None,
    **details: object,
) -> UsageError:
    """Write a refused attempt to the audit log (its own commit) and return the error to raise."""
    with transaction(con):
        audit.append(
            con, event, {"problem": problem, **details}, as_of=as_of, subject=subject, actor=actor
        )
    return UsageError(problem)


def signer_identity(
    con: duckdb.DuckDBPyConnection,
    keys: Mapping[str, str],
    name: str,
    private_key: Ed25519PrivateKey,
    *,
    event: str,
    subject: str | None = None,
    as_of: date | None = None,
) -> str:
    """The signer's registered public key, after checking `private_key` is theirs.

    Anyone else's key (or an unregistered name) is refused with exit 2 and the attempt is
    recorded in the audit log.
    """
    presented = public_hex(private_key)
    if name not in keys:
        problem = f"{name!r} is not a registered approver ('alvh approvers list' shows them)"
    elif keys[name] != presented:
        owner = next((n for n, k in keys.items() if k == presented), None)
        whose = f"registered to {owner}" if owner else "not a registered key"
        problem = f"the key given is not {name}'s ({fingerprint(presented)} is {whose})"
    else:
        return presented
    raise record_refusal(
        con,
        event,
        problem,
        actor=name,
        subject=subject,
        as_of=as_of,
        presented_key=fingerprint(presented),
    )


# ---------------------------------------------------------------------------------------------
# changes of the registry


@dataclass(frozen=True)
class ChangeOutcome:
    """Where a requested registry change stands after one more signature."""

    change_id: str
    action: str
    name: str
    applied: bool
    signatures: int
    required: int
    signed_by: list[str] = field(default_factory=list)


def _change_id(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:12]


def change_registry(
    con: duckdb.DuckDBPyConnection,
    action: str,
    name: str,
    settings: Settings,
    *,
    public_key: str | None = None,
    signer: str | None = None,
    private_key: Ed25519PrivateKey | None = None,
) -> ChangeOutcome:
    """Request (or sign) adding or removing an approver key; applied at min(k, m) signatures.

    The first key needs no signature. Every approver who signs runs the same request with their
    own `signer` and key; the request is identified by its content, so they need no id.
    """
    name = name.strip()
    if not name or any(not ch.isprintable() for ch in name):
        raise UsageError(f"approver name {name!r} must be printable and non-empty")
    sql = _sql()
    with transaction(con):
        keys = registered_keys(con)
        if action == "add":
            if public_key is None:
                raise UsageError("approvers add needs --public-key FILE")
            if name in keys:
                raise UsageError(f"{name} is already registered ({fingerprint(keys[name])})")
            owner = next((n for n, k in keys.items() if k == public_key), None)
            if owner:
                raise UsageError(f"that key is already registered to {owner}; one key each")
        else:
            if name not in keys:
                raise UsageError(f"{name!r} is not a registered approver")
            public_key = keys[name]
        before = registry_digest(keys)
        content = change_content(action, name, public_key, before)
        change_id = _change_id(content)
        required = min(settings.approvals_required, len(keys))
        if required and (signer is None or private_key is None):
            raise UsageError(
                f"the approver set exists: this change needs {required} signature(s) from "
                "registered approvers; add --sign-as NAME --key PRIVATE_KEY_FILE"
            )
        if con.execute(sql["change"], {"change_id": change_id}).fetchall() == []:
            con.execute(
                sql["insert_change"],
                {
                    "change_id": change_id,
                    "action": action,
                    "name": name,
                    "public_key": public_key,
                    "registry": before,
                    "created_at": datetime.now(),
                },
            )
        signatures = _change_signatures(con, change_id)
    if required:
        signer = signer.strip()
        signer_key = signer_identity(
            con, keys, signer, private_key, event="approvers_change_refused", subject=change_id
        )
        if signer in {s["signer"] for s in signatures}:
            raise UsageError(
                f"{signer} has already signed change {change_id}; a signer counts once"
            )
        signature = sign(private_key, content)
        with transaction(con):
            con.execute(
                sql["sign_change"],
                {
                    "change_id": change_id,
                    "signer": signer,
                    "public_key": signer_key,
                    "signature": signature,
                    "signed_at": datetime.now(),
                },
            )
            audit.append(
                con,
                "approvers_change_signed",
                {"change_id": change_id, "action": action, "name": name},
                subject=change_id,
                actor=signer,
            )
        signatures = _change_signatures(con, change_id)
    valid = [
        s
        for s in signatures
        if keys.get(s["signer"]) == s["public_key"]
        and signature_valid(s["public_key"], s["signature"], content)
    ]
    outcome = ChangeOutcome(
        change_id, action, name, False, len(valid), required, [s["signer"] for s in valid]
    )
    if len(valid) < required:
        return outcome
    with transaction(con):
        if action == "add":
            con.execute(
                sql["add_key"],
                {"name": name, "public_key": public_key, "added_at": datetime.now()},
            )
        else:
            con.execute(sql["remove_key"], {"name": name})
        con.execute(sql["change_status"], {"change_id": change_id, "status": "applied"})
        con.execute(sql["supersede_pending"])
        audit.append(
            con,
            CHANGED,
            {
                "action": action,
                "name": name,
                "public_key": public_key,
                "fingerprint": fingerprint(public_key),
                "registry_before": before,
                "required": required,
                "signatures": valid,
            },
            subject=name,
            actor=signer or name,
        )
    return ChangeOutcome(change_id, action, name, True, len(valid), required, outcome.signed_by)


def _change_signatures(con: duckdb.DuckDBPyConnection, change_id: str) -> list[dict[str, str]]:
    rows = con.execute(_sql()["change_signatures"], {"change_id": change_id}).fetchall()
    return [{"signer": s, "public_key": k, "signature": sig} for s, k, sig in rows]


def approver_list(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """The registered approvers (checked against their history) with key fingerprints."""
    keys = registered_keys(con)
    rows = con.execute(_sql()["key_list"]).fetchall()
    return [
        {"name": name, "fingerprint": fingerprint(key), "added_at": added_at}
        for name, key, added_at in rows
        if keys.get(name) == key
    ]


def pending_changes(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Registry changes still waiting for signatures."""
    cursor = con.execute(_sql()["pending_changes"])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# ---------------------------------------------------------------------------------------------
# the signatures of an order


@dataclass(frozen=True)
class SignatureCheck:
    """One stored approval of an order, re-checked."""

    approver: str
    valid: bool
    problem: str = ""


def check_order_signatures(
    con: duckdb.DuckDBPyConnection, order: Mapping[str, object], approvals: list[tuple]
) -> list[SignatureCheck]:
    """Each stored approval (approver, public_key, signature) checked against the registry in
    force and the order's content as it is now."""
    keys = registered_keys(con)
    content = order_content(order)
    checks = []
    for approver, key, signature in approvals:
        if approver not in keys:
            checks.append(SignatureCheck(approver, False, "not a registered approver"))
        elif not signature:
            checks.append(SignatureCheck(approver, False, "no signature (inserted without a key)"))
        elif key != keys[approver]:
            checks.append(SignatureCheck(approver, False, "signed with a key not theirs"))
        elif not signature_valid(keys[approver], signature, content):
            checks.append(
                SignatureCheck(approver, False, "signature does not match the order as it is now")
            )
        else:
            checks.append(SignatureCheck(approver, True))
    return checks

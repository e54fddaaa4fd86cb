"""Trust in the ledger's signing keys is anchored: the log's first key is the root of trust, a later key counts
only once a checkpoint signed by an already-trusted key covers its ``key.created`` entry, the ``keys`` table
must agree with the log, releases verify only against keys the log trusts, and an inclusion proof is checked
only against a trust anchor. Attacks write the database directly (SQLite and PostgreSQL), as someone with
write access and a key of their own would."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from tests.ledger.conftest import make_ctx, new_release, seed, sql

from buttress.app import ledger_report
from buttress.app.ledger_session import LedgerContext, parse_at
from buttress.ledger import audit, merkle, records
from buttress.ledger.canonical import canonical
from buttress.ledger.signing import SigningKey, b64encode, create_key, public_path

Seeded = tuple[Callable[..., Any], str]
LATER = "2026-12-01T10:00:00+00:00"
MALLORY = SigningKey.from_seed(b"m" * 32)
ALICE_B = SigningKey.from_seed(b"b" * 32)

Forged = tuple[str, str, str, Mapping[str, Any]]
"""(actor, kind, subject, data) of an entry an attacker appends."""


def key_entry(key: SigningKey, actor: str = "mallory") -> Forged:
    """The ``key.created`` entry registering ``key``, as ``keys init`` writes it."""
    return actor, audit.KEY_CREATED, key.id, {"keyId": key.id, "publicKey": key.public.raw.hex(), "algorithm": "ed25519"}


def forge(url: str, key: SigningKey, entries: Sequence[Forged], at: str = LATER) -> int:
    """Append entries and a checkpoint signed with ``key`` straight into the database, bypassing buttress;
    the first new entry's sequence number."""
    [(size, frontier)] = sql(url, "SELECT size, frontier FROM head WHERE id = 1")
    [(origin,)] = sql(url, "SELECT value FROM meta WHERE key = 'ledger_id'")
    tree = merkle.Frontier(size, [bytes.fromhex(h) for h in json.loads(frontier)])
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for actor, kind, subject, data in entries:
                body = canonical(dict(data)).decode()
                leaf = merkle.leaf_hash(audit.leaf_data(tree.size, at, actor, kind, subject, body))
                conn.execute(text("INSERT INTO audit_entries (seq, at, actor, kind, subject, body, leaf_hash) "
                                  "VALUES (:q, :at, :a, :k, :s, :b, :h)"),
                             {"q": tree.size, "at": at, "a": actor, "k": kind, "s": subject, "b": body, "h": leaf.hex()})
                tree.append(leaf)
            signature = b64encode(key.sign(audit.checkpoint_note(origin, tree.size, tree.root(), at)))
            conn.execute(text("INSERT INTO checkpoints (size, root, at, key_id, signature) VALUES (:n, :r, :at, :k, :g)"),
                         {"n": tree.size, "r": tree.root().hex(), "at": at, "k": key.id, "g": signature})
            conn.execute(text("UPDATE head SET size = :n, frontier = :f WHERE id = 1"),
                         {"n": tree.size, "f": json.dumps([h.hex() for h in tree.hashes])})
    finally:
        engine.dispose()
    return int(size)


def add_key_row(url: str, key: SigningKey, owner: str, at: str = LATER) -> None:
    """Put a key into the ``keys`` table directly."""
    sql(url, "INSERT INTO keys (id, public_key, owner, created_at) VALUES (:i, :p, :o, :at)",
        i=key.id, p=key.public.raw.hex(), o=owner, at=at)


def audit_verify(cli: Callable[..., Any], url: str, *extra: str) -> dict[str, Any]:
    """``buttress audit verify --format json`` on the ledger at ``url``: its report (exit code checked)."""
    run = cli("audit", "verify", "--ledger", url, "--format", "json", *extra)
    report: dict[str, Any] = json.loads(run.stdout)
    assert run.exit == (0 if report["ok"] else 1)
    return report


def first_seq(url: str, kind: str, subject: str | None = None) -> int:
    rows = sql(url, "SELECT seq, subject FROM audit_entries WHERE kind = :k ORDER BY seq", k=kind)
    return int(next(r[0] for r in rows if subject is None or r[1] == subject))


def test_an_own_key_registered_in_the_log_with_an_admin_grant_fails_verification(
        seeded: Seeded, cli: Callable[..., Any], tmp_path: Path) -> None:
    url = seeded[0]().url
    assert audit_verify(cli, url)["ok"]
    seq = forge(url, MALLORY, [key_entry(MALLORY),
                               ("mallory", "role.granted", "mallory", {"identity": "mallory", "role": "admin"})])
    add_key_row(url, MALLORY, "mallory")
    sql(url, "INSERT INTO identities (name, created_at) VALUES ('mallory', :at)", at=LATER)
    sql(url, "INSERT INTO role_grants (identity, role, granted_by, at) VALUES ('mallory', 'admin', 'mallory', :at)",
        at=LATER)
    listed = json.loads(cli("roles", "list", "--ledger", url, "--format", "json").stdout)["identities"]
    assert {"identity": "mallory", "roles": ["admin"]} in listed, "the tables the gates read say so"
    report = audit_verify(cli, url)
    problem = report["problems"][0]
    assert not report["ok"] and problem["where"] == f"checkpoint {seq + 2}" and problem["entry"] == seq
    assert (f"is signed by key {MALLORY.id[:16]}…, which entry {seq} (key.created) registers under that same "
            "checkpoint: no trusted key endorsed it") in problem["message"]
    out = tmp_path / "audit.jsonl"
    assert cli("audit", "export", "--ledger", url, "--out", str(out)).exit == 0
    offline = cli("audit", "verify", "--export", str(out), "--format", "json")
    assert offline.exit == 1 and json.loads(offline.stdout)["problems"][0]["entry"] == seq, "an auditor sees it too"


@pytest.mark.parametrize(("tamper", "named"), [
    ("INSERT INTO keys (id, public_key, owner, created_at) VALUES (:mallory, :public, 'mallory', 'x')",
     "keys: key {mallory} (owner mallory) is not trusted by the audit log"),
    ("UPDATE keys SET public_key = :public WHERE id = :alice",
     "keys: key {alice} (owner alice) has no matching audit entry"),
    ("DELETE FROM keys WHERE id = :alice", "keys: entry {entry} (key {alice}) is in the audit log but not in the table"),
], ids=["inserted", "edited", "deleted"])
def test_the_keys_table_must_hold_exactly_the_keys_the_log_trusts(seeded: Seeded, cli: Callable[..., Any],
                                                                 tamper: str, named: str) -> None:
    ctx, _ = seeded
    url, alice = ctx().url, ctx().key().id
    sql(url, tamper, mallory=MALLORY.id, public=MALLORY.public.raw.hex(), alice=alice)
    report = audit_verify(cli, url)
    expected = named.format(mallory=MALLORY.id[:16] + "…", alice=alice[:16] + "…", entry=first_seq(url, "key.created"))
    assert not report["ok"] and expected in report["problems"][0]["message"], report["problems"]


def _rewrite_as_key_entry(url: str, key: SigningKey) -> None:
    """Replace bob's role grant with a ``key.created`` entry for ``key``, its leaf hash recomputed."""
    seq = first_seq(url, "role.granted", "bob")
    [(at,)] = sql(url, "SELECT at FROM audit_entries WHERE seq = :s", s=seq)
    actor, kind, subject, data = key_entry(key)
    body = canonical(dict(data)).decode()
    leaf = merkle.leaf_hash(audit.leaf_data(seq, at, actor, kind, subject, body)).hex()
    sql(url, "UPDATE audit_entries SET actor = :a, kind = :k, subject = :s, body = :b, leaf_hash = :h WHERE seq = :q",
        a=actor, k=kind, s=subject, b=body, h=leaf, q=seq)


@pytest.mark.parametrize("how", ["keys-table-only", "registered-by-itself", "entry-rewritten"])
def test_a_release_signed_by_a_key_the_log_does_not_trust_is_refused(seeded: Seeded, cli: Callable[..., Any],
                                                                     tmp_path: Path, how: str) -> None:
    ctx, genuine = seeded
    url, alice = ctx().url, ctx().key()
    mallory_file = tmp_path / "mallory" / "ledger.key"
    mallory = create_key(mallory_file)
    if how == "registered-by-itself":
        forge(url, mallory, [key_entry(mallory)])
    elif how == "entry-rewritten":
        _rewrite_as_key_entry(url, mallory)
    add_key_row(url, mallory, "mallory")
    forger = LedgerContext(project=tmp_path, url=url, key_path=mallory_file, identity="carol", at=parse_at(LATER))
    try:
        forged = new_release(forger, "evil")
    finally:
        forger.close()
    with ctx().ledger().read() as session:
        assert [k.id for k in audit.trusted_keys(session)] == [alice.id]
    run = cli("release", "verify", forged, "--ledger", url, "--format", "json")
    assert run.exit == 1 and json.loads(run.stdout)["problems"] == ["0 of the required 1 trusted signature(s) verify"]
    assert cli("release", "verify", genuine, "--ledger", url).exit == 0, "the genuine release still verifies"
    promoted = cli("promote", forged, "--to", "dev", "--ledger", url, "--key", str(ctx().key_file), "--as", "frank",
                   "--at", "2026-12-01T11:00:00+00:00", "--format", "json")
    gates = {g["gate"]: g for g in json.loads(promoted.stdout)["gates"]}
    assert promoted.exit == 1 and not gates["attestation"]["passed"]
    assert "trusted signature" in gates["attestation"]["reason"]
    assert not audit_verify(cli, url)["ok"]


def test_a_key_rotation_signed_by_the_previous_key_is_trusted(seeded: Seeded, cli: Callable[..., Any],
                                                              tmp_path: Path) -> None:
    ctx, _ = seeded
    old = ctx()
    new_file = tmp_path / "keys" / "next.key"
    new = create_key(new_file)
    with old.write() as session:
        records.register_key(session, new.public, old.actor, old.when)
        _, kind, subject, data = key_entry(new, old.actor)
        old.record(session, [audit.Draft(old.actor, kind, subject, data)])
    rotated = LedgerContext(project=tmp_path, url=old.url, key_path=new_file, identity="carol", at=parse_at(LATER))
    try:
        second = new_release(rotated, "v2")
    finally:
        rotated.close()
    report = audit_verify(cli, old.url, "--trust", str(public_path(old.key_file)))
    assert report["ok"] and report["keys"] == [old.key().id, new.id]
    pinned_new = audit_verify(cli, old.url, "--trust", str(public_path(new_file)))  # the rotated key is no anchor
    assert not pinned_new["ok"] and "after a key rotation, keep trusting the first key's public file" in \
        pinned_new["problems"][0]["message"]
    assert cli("release", "verify", second, "--ledger", old.url).exit == 0
    refused = cli("keys", "init", "--ledger", old.url, "--key", str(tmp_path / "keys" / "third.key"), "--as", "alice")
    assert refused.exit == 2 and "cannot endorse itself" in refused.stderr, "a new key cannot sign its own entry"
    assert audit_verify(cli, old.url)["ok"], "and the refused registration left nothing behind"
    assert not (tmp_path / "keys" / "third.key").exists()


def test_a_refused_forced_init_keeps_the_key_file(seeded: Seeded, cli: Callable[..., Any]) -> None:
    ctx, _ = seeded
    current = ctx()
    key_file = current.key_file
    before = {p.name: p.read_bytes() for p in key_file.parent.iterdir()}
    refused = cli("keys", "init", "--ledger", current.url, "--key", str(key_file), "--as", "alice", "--force")
    assert refused.exit == 2 and "cannot endorse itself" in refused.stderr
    assert {p.name: p.read_bytes() for p in key_file.parent.iterdir()} == before
    assert cli("keys", "rotate", "--ledger", current.url, "--key", str(key_file), "--as", "alice").exit == 0


def test_a_trust_anchor_pins_the_first_key_and_catches_a_replaced_log(seeded_sqlite: Seeded, cli: Callable[..., Any],
                                                                      tmp_path: Path) -> None:
    ctx, _ = seeded_sqlite
    url, anchor = ctx().url, public_path(ctx().key_file)
    pinned = cli("audit", "verify", "--ledger", url, "--trust", str(anchor))
    assert pinned.exit == 0 and "which is the --trust key" in pinned.stdout
    assert "pin it with --trust" in cli("audit", "verify", "--ledger", url).stdout
    other = tmp_path / "other.pub"
    other.write_text(MALLORY.public.raw.hex() + "\n")
    problem = audit_verify(cli, url, "--trust", str(other))["problems"][0]
    assert problem["entry"] == first_seq(url, "key.created") and f"which is not the trusted key {MALLORY.id[:16]}…" \
        in problem["message"]
    elsewhere = tmp_path / "replaced"
    replaced = make_ctx(elsewhere, f"sqlite:///{elsewhere / 'ledger.db'}")
    seed(replaced)
    try:
        assert audit_verify(cli, replaced().url)["ok"], "a wholly replaced log verifies on its own terms"
        assert not audit_verify(cli, replaced().url, "--trust", str(anchor))["ok"], "but not against the anchor"
    finally:
        for c in replaced.opened:  # type: ignore[attr-defined]
            c.close()
    (tmp_path / "bad.pub").write_text("not a key\n")
    assert cli("audit", "verify", "--ledger", url, "--trust", str(tmp_path / "bad.pub")).exit == 2
    assert cli("audit", "verify", "--ledger", url, "--trust", "nonsense").exit == 2


def _forged_proof(origin: str) -> dict[str, Any]:
    """A proof of mallory's admin grant in a one-entry tree of her own, signed by her, her key inside."""
    entry = {"seq": 0, "at": LATER, "actor": "mallory", "kind": "role.granted", "subject": "mallory",
             "data": {"identity": "mallory", "role": "admin"}}
    leaf = merkle.leaf_hash(audit.leaf_data(0, LATER, "mallory", "role.granted", "mallory",
                                            canonical(entry["data"]).decode()))
    signature = b64encode(MALLORY.sign(audit.checkpoint_note(origin.removeprefix("buttress-ledger/"), 1, leaf, LATER)))
    return {"entry": {**entry, "leafHash": leaf.hex()}, "leafIndex": 0, "treeSize": 1, "proof": [],
            "checkpoint": {"size": 1, "root": leaf.hex(), "at": LATER, "keyId": MALLORY.id, "signature": signature,
                           "origin": origin, "publicKey": MALLORY.public.raw.hex()}}


def test_verify_proof_requires_a_trust_anchor(seeded_sqlite: Seeded, cli: Callable[..., Any], tmp_path: Path) -> None:
    ctx, _ = seeded_sqlite
    probe = ctx()
    file = tmp_path / "proof.json"
    file.write_text(cli("audit", "proof", "3", "--ledger", probe.url).stdout)
    bare = cli("audit", "verify-proof", str(file))
    assert bare.exit == 2 and "verify-proof needs a trust anchor" in bare.stderr and "--trust KEY.pub" in bare.stderr
    anchors = [["--trust", str(public_path(probe.key_file))], ["--trust", probe.key().id], ["--ledger", probe.url],
               ["-C", str(probe.project)]]
    for anchor in anchors:
        run = cli("audit", "verify-proof", str(file), *anchor)
        assert run.exit == 0 and "is included in the signed tree" in run.stdout, anchor
        assert f"signed by the trusted key {probe.key().id[:16]}…" in run.stdout
    forged = _forged_proof(json.loads(file.read_text())["checkpoint"]["origin"])
    ok, message = ledger_report.verify_proof(forged)
    assert ok and "NOT anchored" in message, "without an anchor the app says so rather than vouching for it"
    file.write_text(json.dumps(forged))
    assert cli("audit", "verify-proof", str(file)).exit == 2
    for anchor in anchors:
        run = cli("audit", "verify-proof", str(file), *anchor)
        assert run.exit == 1 and f"signed by key {MALLORY.id[:16]}…, which is not a trusted key" in run.stdout, anchor


Append = tuple[SigningKey, Sequence[tuple[str, Mapping[str, Any]]]]
"""One append of a hand-built log: the key signing its checkpoint and its entries' (kind, data)."""


def _kc(key: SigningKey) -> tuple[str, Mapping[str, Any]]:
    return audit.KEY_CREATED, {"keyId": key.id, "publicKey": key.public.raw.hex()}


def build(appends: Sequence[Append]) -> tuple[list[audit.EntryRow], list[audit.CheckpointRow]]:
    """The rows of a log made of ``appends``."""
    entries, checkpoints = [], []
    tree = merkle.Frontier()
    for signer, drafts in appends:
        for kind, data in drafts:
            seq, body = tree.size, canonical(dict(data)).decode()
            leaf = merkle.leaf_hash(audit.leaf_data(seq, "t", "a", kind, "s", body))
            tree.append(leaf)
            entries.append(audit.EntryRow(seq, "t", "a", kind, "s", body, leaf.hex()))
        signature = b64encode(signer.sign(audit.checkpoint_note("o", tree.size, tree.root(), "t")))
        checkpoints.append(audit.CheckpointRow(tree.size, tree.root().hex(), "t", signer.id, signature))
    return entries, checkpoints


A, B, X = MALLORY, ALICE_B, ("x", {"n": 1})


@pytest.mark.parametrize(("appends", "anchor", "trusted"), [
    ([(A, [_kc(A)]), (A, [X])], None, [A]),
    ([(A, [_kc(A)]), (A, [_kc(B)]), (B, [X])], None, [A, B]),
    ([(A, [_kc(A), _kc(B)]), (B, [X])], A.id, [A, B]),
], ids=["first-key", "rotation-signed-by-the-previous-key", "anchored"])
def test_signers_the_log_trusts(appends: Sequence[Append], anchor: str | None, trusted: list[SigningKey]) -> None:
    report = audit.verify_rows(*build(appends), "o", None, anchor)
    assert report.ok and report.keys == [k.id for k in trusted], report.problems


@pytest.mark.parametrize(("appends", "anchor", "entry", "words"), [
    ([(A, [_kc(A)]), (B, [_kc(B)])], None, 1, "registers under that same checkpoint"),
    ([(A, [_kc(A)]), (B, [_kc(B), X])], None, 1, "no trusted key endorsed it"),
    ([(B, [_kc(A), _kc(B)])], None, 0, "not by the log's first key"),
    ([(A, [X]), (A, [_kc(A)])], None, None, "no key.created entry precedes it"),
    ([(A, [_kc(A)])], B.id, 0, f"which is not the trusted key {B.id[:16]}…"),
    ([(A, [_kc(A)]), (A, [(audit.KEY_CREATED, {"publicKey": "zz"})])], None, 1, "does not hold an Ed25519 public key"),
    ([(A, [_kc(A)]), (A, [(audit.KEY_CREATED, {"keyId": A.id, "publicKey": B.public.raw.hex()})])], None, 1,
     "names key ID"),
], ids=["self-registered", "self-registered-with-more", "first-by-second", "no-key-yet", "anchor-differs",
        "unreadable-key", "key-id-mismatch"])
def test_signers_the_log_refuses(appends: Sequence[Append], anchor: str | None, entry: int | None, words: str) -> None:
    report = audit.verify_rows(*build(appends), "o", None, anchor)
    assert not report.ok and words in report.problems[0]["message"], report.problems
    assert report.problems[0].get("entry") == entry


def test_a_forced_init_over_a_broken_key_file_replaces_it(cli: Callable[..., Any], tmp_path: Path) -> None:
    keys = tmp_path / ".buttress" / "keys"
    keys.mkdir(parents=True)
    (keys / "ledger.key").write_text("garbage\n")
    run = cli("keys", "init", "-C", tmp_path, "--as", "alice", "--force")
    assert run.exit == 0, run.stderr
    assert sorted(p.name.split(".replaced-")[0] for p in keys.iterdir()) == ["ledger.key", "ledger.key", "ledger.key.pub"]
    assert cli("roles", "grant", "bob", "security", "-C", tmp_path, "--as", "alice").exit == 0

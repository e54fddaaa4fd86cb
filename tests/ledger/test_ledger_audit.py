"""The audit log under attack: tests edit, delete, reorder and replace rows in the database directly
(SQLite and PostgreSQL) and assert that ``buttress audit verify`` fails naming the spot — entries and
checkpoints, and the tables the gates read (decisions, role grants, promotions, releases), which must agree
with the log; proofs and exports verify offline."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.ledger.conftest import sql

from buttress.app import release_decisions, release_promote
from buttress.ledger import audit, merkle
from buttress.ledger.signing import SigningKey, b64encode

Seeded = tuple[Callable[..., Any], str]


def verify(cli: Callable[..., Any], url: str) -> dict[str, Any]:
    run = cli("audit", "verify", "--ledger", url, "--format", "json")
    report = json.loads(run.stdout)
    assert run.exit == (0 if report["ok"] else 1)
    return report


def seq_of(url: str, kind: str, subject: str | None = None) -> int:
    rows = sql(url, "SELECT seq, subject FROM audit_entries WHERE kind = :k ORDER BY seq", k=kind)
    return int(next(r[0] for r in rows if subject is None or r[1] == subject))


def test_an_untouched_log_verifies(seeded: Seeded, cli: Callable[..., Any]) -> None:
    ctx, _ = seeded
    report = verify(cli, ctx().url)
    assert report["ok"] and report["entries"] > 5 and report["checkpoints"] >= 5


def test_edited_entry_is_named(seeded: Seeded, cli: Callable[..., Any]) -> None:
    url = seeded[0]().url
    seq = seq_of(url, "role.granted", "bob")
    sql(url, "UPDATE audit_entries SET body = replace(body, 'release-manager', 'admin') WHERE seq = :s", s=seq)
    report = verify(cli, url)
    assert not report["ok"] and report["problems"][0]["entry"] == seq
    assert f"entry {seq} (role.granted bob) was altered" in report["problems"][0]["message"]
    text = cli("audit", "verify", "--ledger", url).stdout
    assert f"  entry {seq} (role.granted bob) was altered" in text and f"entry {seq}: entry" not in text


def test_an_empty_identity_is_refused(seeded: Seeded, cli: Callable[..., Any]) -> None:
    ctx = seeded[0]()
    run = cli("roles", "grant", "dave", "security", "--ledger", ctx.url, "--key", ctx.key_file, "--as", "")
    assert run.exit == 2 and "'' is not a valid identity" in run.stderr


def test_edit_with_recomputed_leaf_hash_is_caught_by_the_signed_checkpoint(seeded: Seeded,
                                                                          cli: Callable[..., Any]) -> None:
    url = seeded[0]().url
    seq = seq_of(url, "role.granted", "sec")
    [(at, actor, kind, subject, body)] = sql(url, "SELECT at, actor, kind, subject, body FROM audit_entries "
                                                  "WHERE seq = :s", s=seq)
    forged = body.replace("security", "admin")
    leaf = merkle.leaf_hash(audit.leaf_data(seq, at, actor, kind, subject, forged)).hex()
    sql(url, "UPDATE audit_entries SET body = :b, leaf_hash = :h WHERE seq = :s", b=forged, h=leaf, s=seq)
    report = verify(cli, url)
    problem = report["problems"][0]
    assert problem["where"] == f"checkpoint {seq + 1}" and f"entry {seq} altered" in problem["message"]


def test_deleted_entry_is_named(seeded: Seeded, cli: Callable[..., Any]) -> None:
    url = seeded[0]().url
    seq = seq_of(url, "role.granted", "bob")
    sql(url, "DELETE FROM audit_entries WHERE seq = :s", s=seq)
    problem = verify(cli, url)["problems"][0]
    assert problem["entry"] == seq and "missing from the log (removed)" in problem["message"]


def test_deleted_last_entry_is_caught(seeded: Seeded, cli: Callable[..., Any]) -> None:
    url = seeded[0]().url
    [(last,)] = sql(url, "SELECT max(seq) FROM audit_entries")
    sql(url, "DELETE FROM audit_entries WHERE seq = :s", s=last)
    problem = verify(cli, url)["problems"][0]
    assert problem["where"] == f"checkpoint {last + 1}" and "no longer has (removed)" in problem["message"]


def test_reordered_entries_are_named(seeded: Seeded, cli: Callable[..., Any]) -> None:
    url = seeded[0]().url
    a, b = seq_of(url, "role.granted", "bob"), seq_of(url, "role.granted", "sec")
    sql(url, "UPDATE audit_entries SET seq = -1 WHERE seq = :a", a=a)
    sql(url, "UPDATE audit_entries SET seq = :a WHERE seq = :b", a=a, b=b)
    sql(url, "UPDATE audit_entries SET seq = :b WHERE seq = -1", b=b)
    problem = verify(cli, url)["problems"][0]
    assert problem["entry"] == min(a, b) and "altered or moved" in problem["message"]


def test_edited_checkpoint_fails_its_signature(seeded: Seeded, cli: Callable[..., Any]) -> None:
    url = seeded[0]().url
    [(size,)] = sql(url, "SELECT min(size) FROM checkpoints WHERE size > 3")
    sql(url, "UPDATE checkpoints SET root = :r WHERE size = :s", r="00" * 32, s=size)
    problem = verify(cli, url)["problems"][0]
    assert problem["where"] == f"checkpoint {size}" and "signature does not verify" in problem["message"]


def test_checkpoint_replaced_with_a_foreign_signature_is_caught(seeded: Seeded, cli: Callable[..., Any]) -> None:
    url = seeded[0]().url
    [(size, root, at, origin)] = sql(url, "SELECT c.size, c.root, c.at, m.value FROM checkpoints c, meta m "
                                          "WHERE m.key = 'ledger_id' ORDER BY c.size DESC LIMIT 1")
    mallory = SigningKey.from_seed(b"m" * 32)
    signature = b64encode(mallory.sign(audit.checkpoint_note(origin, size, bytes.fromhex(root), at)))
    sql(url, "UPDATE checkpoints SET key_id = :k, signature = :g WHERE size = :s", k=mallory.id, g=signature, s=size)
    problem = verify(cli, url)["problems"][0]
    assert problem["where"] == f"checkpoint {size}" and "which the log does not register" in problem["message"]


def test_deleted_checkpoint_leaves_entries_unsigned(seeded: Seeded, cli: Callable[..., Any]) -> None:
    url = seeded[0]().url
    [(size,)] = sql(url, "SELECT max(size) FROM checkpoints")
    sql(url, "DELETE FROM checkpoints WHERE size = :s", s=size)
    problem = verify(cli, url)["problems"][0]
    assert "covered by no checkpoint" in problem["message"]


def test_trusted_keys_pin_the_signer(seeded: Seeded, cli: Callable[..., Any]) -> None:
    url = seeded[0]().url
    assert cli("audit", "verify", "--ledger", url, "--trust", "ab" * 32).exit == 1
    key_id = seeded[0]().key().id
    assert cli("audit", "verify", "--ledger", url, "--trust", key_id).exit == 0


def test_inclusion_proof_verifies_offline_and_detects_a_changed_entry(
        seeded_sqlite: Seeded, tmp_path: Path, cli: Callable[..., Any]) -> None:
    sqlite_url = seeded_sqlite[0]().url
    run = cli("audit", "proof", "3", "--ledger", sqlite_url)
    assert run.exit == 0
    proof = json.loads(run.stdout)
    assert proof["entry"]["seq"] == 3 and proof["treeSize"] > 3
    file = tmp_path / "proof.json"
    file.write_text(run.stdout)
    ok = cli("audit", "verify-proof", str(file), "--trust", proof["checkpoint"]["keyId"])
    assert ok.exit == 0 and "is included in the signed tree" in ok.stdout
    proof["entry"]["actor"] = "mallory"
    file.write_text(json.dumps(proof))
    assert cli("audit", "verify-proof", str(file), "--trust", proof["checkpoint"]["keyId"]).exit == 1
    assert cli("audit", "proof", "999", "--ledger", sqlite_url).exit == 2
    summary = cli("audit", "proof", "3", "--ledger", sqlite_url, "--format", "text")
    assert summary.exit == 0 and summary.stdout.startswith("entry 3: ")
    assert f"checkpoint of size {proof['treeSize']}" in summary.stdout


def test_export_is_json_lines_that_verify_offline(seeded: Seeded, tmp_path: Path, cli: Callable[..., Any]) -> None:
    url = seeded[0]().url
    out = tmp_path / "audit.jsonl"
    assert cli("audit", "export", "--ledger", url, "--out", str(out), "--format", "json").exit == 0
    assert cli("audit", "export", "--ledger", url, "--format", "text").exit == 2
    lines = out.read_text().splitlines()
    kinds = [json.loads(line)["type"] for line in lines]
    assert kinds[0] == "ledger" and "entry" in kinds and "checkpoint" in kinds
    ok = cli("audit", "verify", "--export", str(out), "--format", "json")
    assert ok.exit == 0 and json.loads(ok.stdout)["entries"] == kinds.count("entry")
    entry = json.loads(lines[3])
    entry["data"]["forged"] = True
    out.write_text("\n".join([*lines[:3], json.dumps(entry), *lines[4:]]))
    bad = cli("audit", "verify", "--export", str(out), "--format", "json")
    assert bad.exit == 1 and json.loads(bad.stdout)["problems"][0]["entry"] == entry["seq"]


@pytest.mark.parametrize("size", [1, 3, 10])
def test_verify_names_nothing_on_small_logs(size: int) -> None:
    key = SigningKey.from_seed(b"k" * 32)
    entries, checkpoints = [], []
    tree = merkle.Frontier()
    for seq in range(size):
        data = {"publicKey": key.public.raw.hex()} if seq == 0 else {"n": seq}
        kind = audit.KEY_CREATED if seq == 0 else "x"
        body = json.dumps(data, sort_keys=True, separators=(",", ":"))
        leaf = merkle.leaf_hash(audit.leaf_data(seq, "t", "a", kind, "s", body))
        tree.append(leaf)
        entries.append(audit.EntryRow(seq, "t", "a", kind, "s", body, leaf.hex()))
        sig = b64encode(key.sign(audit.checkpoint_note("o", tree.size, tree.root(), "t")))
        checkpoints.append(audit.CheckpointRow(tree.size, tree.root().hex(), "t", key.id, sig))
    report = audit.verify_rows(entries, checkpoints, "o", None)
    assert report.ok and report.entries == size and report.root == tree.root().hex() and report.keys == [key.id]


def _with_history(seeded: Seeded) -> tuple[str, str]:
    """The seeded ledger plus an approval by bob and a promotion to dev; its URL and release."""
    ctx, rid = seeded
    release_decisions.decide(ctx("bob"), rid, "prod", "approve")
    assert release_promote.promote(ctx("frank", "2026-12-01T09:05:00+00:00"), rid, "dev").deployed
    return ctx().url, rid


@pytest.mark.parametrize(("tamper", "named"), [
    ("INSERT INTO decisions (release_id, environment, identity, kind, roles, reason, at) "
     "SELECT release_id, environment, 'sec', kind, '[\"security\"]', reason, at FROM decisions",
     "decisions: decision 2 (sec approve"),
    ("UPDATE decisions SET identity = 'sec'", "decisions: decision 1 (sec approve"),
    ("DELETE FROM decisions", "decisions: entry"),
    ("INSERT INTO role_grants (identity, role, granted_by, at) VALUES ('frank', 'admin', 'alice', 'x')",
     "role_grants: frank holding admin has no matching audit entry"),
    ("UPDATE promotions SET outcome = 'refused'", "promotions: promotion 1 (promote"),
    ("DELETE FROM promotions", "is in the audit log but not in the table"),
    ("UPDATE releases SET creator = 'mallory'", "releases: release"),
    ("UPDATE releases SET number = 9", "releases: release"),
    ("UPDATE releases SET blueprint = 'payments'", "releases: release"),
    ("UPDATE promotions SET reason = 'planned maintenance approved by CAB'", "promotions: promotion 1 (promote"),
    ("UPDATE promotions SET replaced = 'rel-000000000000'", "promotions: promotion 1 (promote"),
    ("UPDATE promotions SET gates = replace(gates, '\"reason\": \"', '\"reason\": \"waived: ')",
     "promotions: promotion 1 (promote"),
    ("UPDATE promotions SET gates = 'garbage'", "promotions: promotion 1's gates are not valid JSON"),
    ("UPDATE promotions SET gates = '[{}]'", "promotions: promotion 1's gates are not a list of gate verdicts"),
    ("UPDATE decisions SET roles = 'x'", "decisions: decision 1's roles are not valid JSON"),
])
def test_tables_edited_outside_buttress_fail_verification(seeded: Seeded, cli: Callable[..., Any], tamper: str,
                                                         named: str) -> None:
    url, _ = _with_history(seeded)
    assert verify(cli, url)["ok"]
    sql(url, tamper)
    report = verify(cli, url)
    assert not report["ok"] and named in report["problems"][0]["message"], report["problems"]


@pytest.mark.parametrize(("column", "value"), [
    ("findings", "[]"), ("policy", "[]"), ("envelope", "[]"), ("policy", '{"prod": {}}'), ("policy", '{"prod": 5}'),
    ("policy", '{"prod": {"enforcement": "mandatory", "promotion": 7}}')])
def test_a_release_row_buttress_never_wrote_is_refused_not_a_traceback(seeded: Seeded, cli: Callable[..., Any],
                                                                      column: str, value: str) -> None:
    url, rid = _with_history(seeded)
    sql(url, f"UPDATE releases SET {column} = :v", v=value)
    key = str(seeded[0]().key_file)
    commands = [["release", "verify", rid], ["promote", rid, "--to", "staging", "--as", "frank"]]
    if column == "policy":  # what an approval reads
        commands.append(["approve", rid, "--env", "prod", "--as", "sec"])
    for command in commands:
        run = cli(*command, "--ledger", url, "--key", key)
        assert run.exit == 1 and "Traceback" not in run.stderr, run.stderr
        assert f"release {rid}: its {column} " in run.stderr and "not what buttress wrote (edited outside buttress)" \
            in run.stderr, run.stderr


@pytest.mark.parametrize("command", [["audit", "verify"], ["status"], ["history"], ["roles", "list"]])
def test_a_command_that_reads_the_ledger_never_creates_one(cli: Callable[..., Any], tmp_path: Path,
                                                           command: list[str]) -> None:
    missing = tmp_path / "typo"
    run = cli(*command, "-C", missing)
    assert run.exit == 2 and f"no ledger at {missing}/.buttress/ledger.db" in run.stderr
    assert not missing.exists()


def test_a_file_that_is_no_database_is_a_usage_error(cli: Callable[..., Any], tmp_path: Path) -> None:
    (tmp_path / ".buttress").mkdir()
    (tmp_path / ".buttress" / "ledger.db").write_text("not a database\n")
    run = cli("status", "-C", tmp_path)
    assert run.exit == 2 and "cannot open the ledger" in run.stderr and "file is not a database" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_trust_anchor_fails_a_log_that_registers_no_key(seeded: Seeded) -> None:
    ctx, _ = seeded
    anchor = ctx().key().id
    assert not audit.verify_export([], anchor).ok
    assert audit.verify_export([], None).ok  # without an anchor, an empty export is merely empty

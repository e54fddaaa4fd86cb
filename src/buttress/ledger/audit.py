"""The audit log: append entries with a signed checkpoint, verify the whole log, prove inclusion, export.

Each entry's leaf is the canonical JSON of ``{seq, at, actor, kind, subject, data}``; the log is the
RFC 6962 Merkle tree of those leaves. Every append (one action's entries, in the caller's write
transaction) ends with a checkpoint: ``(size, root, time)`` signed with Ed25519. Trust in the signing
keys is anchored in the log's first key, and a later key is trusted only when a checkpoint signed by an
already-trusted key covers its ``key.created`` entry (``ledger.trust``). So an auditor needs an export and,
to rule out a wholly replaced log, a copy of the first key (``--trust``).
Callers: the ``app`` ledger use cases append; ``buttress audit`` verifies, proves and exports; release
verification and the attestation gate accept only the keys ``trusted_keys`` finds.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from buttress.errors import UsageError
from buttress.ledger import merkle, trust
from buttress.ledger.canonical import canonical
from buttress.ledger.models import AuditEntry, Checkpoint, Head, Meta
from buttress.ledger.signing import PublicKey, SigningKey, b64decode, b64encode
from buttress.ledger.trust import KeyChain, Untrusted, registration, short

KEY_CREATED = trust.KEY_CREATED


@dataclass(frozen=True)
class Draft:
    """An entry to append: who did what to which subject, with its data."""

    actor: str
    kind: str
    subject: str
    data: Mapping[str, Any]


@functools.lru_cache(maxsize=4096)
def _text(value: str) -> str:
    """A JSON string literal; cached, since times, actors, kinds and subjects repeat across a log."""
    return json.dumps(value, ensure_ascii=False)


def leaf_data(seq: int, at: str, actor: str, kind: str, subject: str, body: str) -> bytes:
    """The bytes an entry contributes to the tree: the canonical JSON of ``{actor, at, data, kind, seq,
    subject}``, where ``body`` is already the canonical JSON of the data (so it is spliced in, not re-parsed)."""
    return (f'{{"actor":{_text(actor)},"at":{_text(at)},"data":{body},"kind":{_text(kind)},"seq":{int(seq)},'
            f'"subject":{_text(subject)}}}').encode()


class EntryRow(NamedTuple):
    """An audit entry's columns, as verification reads them."""

    seq: int
    at: str
    actor: str
    kind: str
    subject: str
    body: str
    leaf_hash: str


class CheckpointRow(NamedTuple):
    """A checkpoint's columns, as verification reads them."""

    size: int
    root: str
    at: str
    key_id: str
    signature: str


def checkpoint_note(ledger_id: str, size: int, root: bytes, at: str) -> bytes:
    """The text a checkpoint signs: origin, size, base64 root hash, time (one per line)."""
    return f"buttress-ledger/{ledger_id}\n{size}\n{b64encode(root)}\n{at}\n".encode()


def ledger_id(session: Session) -> str:
    """The ledger's ID (created with its first entry)."""
    row = session.get(Meta, "ledger_id")
    return row.value if row else ""


def append(session: Session, key: SigningKey, at: str, drafts: Sequence[Draft], *, claimed: bool = False) -> list[AuditEntry]:
    """Append entries and a checkpoint signed with ``key``. Must run inside ``Ledger.write()`` (which holds the lock).

    ``UsageError`` when the entries register ``key`` itself on a ledger that already has entries: only the
    first key may sign its own ``key.created`` entry; a new key's entry must be signed with a trusted key.
    """
    head = session.get(Head, 1)
    assert head is not None, "the ledger has no head row; open it with ledger.store.open_ledger"
    _refuse_self_endorsement(head.size, key, drafts)
    if claimed:
        _refuse_backdating(session, head.size, at)
    frontier = merkle.Frontier(head.size, [bytes.fromhex(h) for h in json.loads(head.frontier)])
    rows: list[AuditEntry] = []
    for draft in drafts:
        body = canonical(dict(draft.data)).decode()
        seq = frontier.size
        leaf = merkle.leaf_hash(leaf_data(seq, at, draft.actor, draft.kind, draft.subject, body))
        rows.append(AuditEntry(seq=seq, at=at, actor=draft.actor, kind=draft.kind, subject=draft.subject,
                               body=body, leaf_hash=leaf.hex()))
        frontier.append(leaf)
    root = frontier.root()
    signature = key.sign(checkpoint_note(ledger_id(session), frontier.size, root, at))
    session.add_all(rows)
    session.add(Checkpoint(size=frontier.size, root=root.hex(), at=at, key_id=key.id, signature=b64encode(signature)))
    head.size = frontier.size
    head.frontier = json.dumps([h.hex() for h in frontier.hashes])
    return rows


CLOCK_SKEW = dt.timedelta(minutes=5)
"""How far an action may be dated before the log's latest entry: two writers' clocks differ a little."""


def _refuse_backdating(session: Session, size: int, at: str) -> None:
    """``UsageError`` for an action dated (``--at``, a claimed time) before the log's latest entry, beyond
    ``CLOCK_SKEW``: the log's times move forward, so that no gate (a soak, a change window) is judged at a
    time already past. An action at the clock's time is never refused: a future-dated entry locks no one out."""
    if not size:
        return
    latest = session.scalar(select(AuditEntry.at).where(AuditEntry.seq == size - 1))
    if latest is not None and dt.datetime.fromisoformat(at) < dt.datetime.fromisoformat(latest) - CLOCK_SKEW:
        raise UsageError(f"the action is dated {at}, before the ledger's latest entry ({latest}): the audit log "
                         "moves forward in time (check --at)")


def _refuse_self_endorsement(size: int, key: SigningKey, drafts: Sequence[Draft]) -> None:
    """Refuse to sign a later key's own ``key.created`` entry with that key: verification would never trust it
    (only the log's first key registers itself; a rotation is signed by a key the log already trusts)."""
    if size and any(d.kind == KEY_CREATED and key.id in (d.data.get("keyId"), _key_id_of(d.data.get("publicKey")))
                    for d in drafts):
        raise UsageError(f"key {short(key.id)} cannot endorse itself: a key added to an existing ledger must be "
                         "registered by a checkpoint signed with a key the audit log already trusts: run `buttress keys rotate`")


def _key_id_of(public_hex: Any) -> str | None:
    """The key ID of a hex public key, or None if it is not one."""
    try:
        return PublicKey.from_hex(public_hex).id
    except (TypeError, ValueError):
        return None


@dataclass
class Report:
    """What ``verify`` found: the first problem (verification stops there) and what was checked."""

    entries: int = 0
    checkpoints: int = 0
    root: str = merkle.EMPTY_ROOT.hex()
    problems: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    """The IDs of the keys the log trusts, its first key first."""

    @property
    def ok(self) -> bool:
        """True when the log verifies."""
        return not self.problems

    def fail(self, where: str, message: str, **extra: Any) -> Report:
        """Record the problem that stops verification."""
        self.problems.append({"where": where, "message": message, **extra})
        return self

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return {"ok": self.ok, "entries": self.entries, "checkpoints": self.checkpoints, "root": self.root,
                "keys": self.keys, "problems": self.problems}


class Problem(NamedTuple):
    """Why a checkpoint fails, and the entry to blame when there is one."""

    message: str
    entry: int | None = None


_ENTRY_COLUMNS = (AuditEntry.seq, AuditEntry.at, AuditEntry.actor, AuditEntry.kind, AuditEntry.subject,
                  AuditEntry.body, AuditEntry.leaf_hash)


def verify(session: Session, anchor: str | None = None) -> Report:
    """Recompute the tree from the entries and check every checkpoint against it.

    Finds the first entry that is missing (removed), whose content no longer matches its leaf hash
    (altered or moved), or which a signed checkpoint does not cover as signed (altered with its hash
    recomputed, or reordered); a ``key.created`` entry without a readable key; a checkpoint whose signature
    fails or whose key the log does not trust (never registered, or registered without the endorsement of an
    already-trusted key, or, with ``anchor``, a first key other than that key ID); consecutive checkpoints
    that are not one growing log; and a head that does not match the log.
    """
    c = Checkpoint
    entries = [EntryRow(*r) for r in session.execute(select(*_ENTRY_COLUMNS).order_by(AuditEntry.seq))]
    checkpoints = [CheckpointRow(*r) for r in session.execute(
        select(c.size, c.root, c.at, c.key_id, c.signature).order_by(c.size))]
    return verify_rows(entries, checkpoints, ledger_id(session), session.get(Head, 1), anchor)


def _leaf(entry: EntryRow) -> bytes:
    """The leaf hash an entry's content gives."""
    return merkle.leaf_hash(leaf_data(entry.seq, entry.at, entry.actor, entry.kind, entry.subject, entry.body))


def verify_rows(entries: Sequence[EntryRow], checkpoints: Sequence[CheckpointRow], origin: str,
                head: Head | None, anchor: str | None = None) -> Report:
    """``verify`` over rows already loaded (also used on an export)."""
    report = Report()
    chain = KeyChain(anchor)
    tree = merkle.Frontier()
    pending = list(reversed(checkpoints))
    previous = 0
    for position, entry in enumerate(entries):
        if entry.seq != position:
            what = "removed" if entry.seq > position else "duplicated or reordered"
            return report.fail(f"entry {position}", f"entry {position} is missing from the log ({what}); "
                               f"the next stored entry is {entry.seq}", entry=position)
        leaf = _leaf(entry)
        if leaf.hex() != entry.leaf_hash:
            return report.fail(f"entry {entry.seq}", f"entry {entry.seq} ({entry.kind} {entry.subject}) was altered or "
                               "moved: its content does not match its leaf hash", entry=entry.seq)
        tree.append(leaf)
        report.entries += 1
        if entry.kind == KEY_CREATED:
            try:
                chain.announce(registration(entry.seq, entry.body))
            except ValueError as exc:
                return report.fail(f"entry {entry.seq}", str(exc), entry=entry.seq)
        while pending and pending[-1].size <= tree.size:
            cp = pending.pop()
            problem = _check_checkpoint(cp, tree, chain, origin, previous)
            if problem:
                return report.fail(f"checkpoint {cp.size}", problem.message, checkpoint=cp.size, entry=problem.entry)
            chain.endorse()
            previous = cp.size
            report.checkpoints += 1
    if pending:
        cp = pending[-1]
        return report.fail(f"checkpoint {cp.size}", f"checkpoint {cp.size} covers entries {tree.size}..{cp.size - 1}, "
                           "which the log no longer has (removed)", checkpoint=cp.size, entry=tree.size)
    if tree.size and previous != tree.size:
        return report.fail(f"entry {previous}", f"entries {previous}..{tree.size - 1} are covered by no checkpoint "
                           "(appended without signing)", entry=previous)
    if anchor is not None and not chain.trusted:
        return report.fail("entry 0", f"the log registers no key, so its first key cannot be the trusted key "
                           f"{short(anchor)} (an empty or new ledger: is this the right one?)", entry=0)
    if head is not None and (head.size != tree.size or json.loads(head.frontier) != [h.hex() for h in tree.hashes]):
        return report.fail("head", f"the ledger head says {head.size} entries with another tree; the log has "
                           f"{tree.size}")
    report.root = tree.root().hex()
    report.keys = list(chain.trusted)
    return report


def _check_checkpoint(cp: CheckpointRow, tree: merkle.Frontier, chain: KeyChain, origin: str,
                      previous: int) -> Problem | None:
    """Why a checkpoint over the entries read so far (``tree``) fails, or None."""
    if cp.size != tree.size:
        return Problem(f"checkpoint {cp.size} does not follow checkpoint {previous}: no entry {cp.size - 1} lies "
                       "between")
    try:
        key = chain.signer(cp.key_id, cp.size)
    except Untrusted as exc:
        return Problem(str(exc), exc.entry)
    if not _signed(key, cp, origin):
        return Problem(f"checkpoint {cp.size}: the signature does not verify (checkpoint replaced or edited)")
    if cp.root != tree.root().hex():
        span = f"entry {previous}" if cp.size - previous == 1 else f"entries {previous}..{cp.size - 1}"
        return Problem(f"checkpoint {cp.size} is not consistent with checkpoint {previous} and the log: {span} "
                       "altered, removed or reordered since it was signed", previous)
    return None


def _signed(key: PublicKey, cp: CheckpointRow | Checkpoint, origin: str) -> bool:
    """Does ``key`` sign the checkpoint as stored?"""
    try:
        note = checkpoint_note(origin, cp.size, bytes.fromhex(cp.root), cp.at)
        signature = b64decode(cp.signature)
    except ValueError:
        return False
    return key.verify(signature, note)


def trusted_keys(session: Session) -> list[PublicKey]:
    """The keys the log trusts, by the rules ``verify`` applies, its first key first.

    Reads only what establishes them (the ``key.created`` entries, the checkpoint that first covers each,
    and the leaf hashes below that checkpoint), so that release verification and the attestation gate need
    not re-verify the whole log: a key counts when its entry matches its leaf, that leaf is in the tree the
    covering checkpoint signs, and a key trusted before (or, for the first key, the key itself) signed it.
    The first key that fails ends the chain; the keys before it stay trusted.
    """
    registered = [EntryRow(*r) for r in session.execute(
        select(*_ENTRY_COLUMNS).where(AuditEntry.kind == KEY_CREATED).order_by(AuditEntry.seq))]
    groups = _by_covering_checkpoint(session, registered)
    if not groups:
        return []
    leaves = _leaves(session, groups[-1][0].size)
    chain, tree, origin = KeyChain(), merkle.Frontier(), ledger_id(session)
    for cp, rows in groups:
        if len(leaves) < cp.size:
            break
        for leaf in leaves[tree.size:cp.size]:
            tree.append(leaf)
        if not _endorsed(chain, cp, rows, tree, leaves, origin):
            break
    return list(chain.trusted.values())


def _by_covering_checkpoint(session: Session, rows: Sequence[EntryRow]) -> list[tuple[Checkpoint, list[EntryRow]]]:
    """Entries grouped under the checkpoint that first covers each (oldest first; uncovered entries dropped)."""
    groups: list[tuple[Checkpoint, list[EntryRow]]] = []
    for row in rows:
        if groups and groups[-1][0].size > row.seq:
            groups[-1][1].append(row)
            continue
        cp = session.scalar(select(Checkpoint).where(Checkpoint.size > row.seq).order_by(Checkpoint.size).limit(1))
        if cp is None:
            break
        groups.append((cp, [row]))
    return groups


def _leaves(session: Session, size: int) -> list[bytes]:
    """The stored leaf hashes of entries ``0..size-1``, up to the first gap or unreadable hash."""
    leaves: list[bytes] = []
    for seq, leaf in session.execute(select(AuditEntry.seq, AuditEntry.leaf_hash).where(AuditEntry.seq < size)
                                     .order_by(AuditEntry.seq)):
        if seq != len(leaves):
            break
        try:
            leaves.append(bytes.fromhex(leaf))
        except ValueError:
            break
    return leaves


def _endorsed(chain: KeyChain, cp: Checkpoint, rows: Sequence[EntryRow], tree: merkle.Frontier,
              leaves: Sequence[bytes], origin: str) -> bool:
    """Let the keys ``rows`` register become trusted if checkpoint ``cp`` (over ``tree``) signs them as stored."""
    try:
        for row in rows:
            if _leaf(row) != leaves[row.seq]:
                return False
            chain.announce(registration(row.seq, row.body))
        key = chain.signer(cp.key_id, cp.size)
    except (Untrusted, ValueError):
        return False
    if not _signed(key, cp, origin) or cp.root != tree.root().hex():
        return False
    chain.endorse()
    return True


def _load(session: Session) -> tuple[list[AuditEntry], list[bytes]]:
    entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all())
    return entries, [bytes.fromhex(e.leaf_hash) for e in entries]


def inclusion(session: Session, seq: int) -> dict[str, Any]:
    """An inclusion proof of entry ``seq`` against the newest checkpoint, self-contained for offline checks."""
    entries, leaves = _load(session)
    if not 0 <= seq < len(entries):
        raise LookupError(f"there is no entry {seq} (the log has {len(entries)})")
    cp = session.scalars(select(Checkpoint).order_by(Checkpoint.size.desc()).limit(1)).one()
    entry = entries[seq]
    public = next((k.raw.hex() for k in trusted_keys(session) if k.id == cp.key_id), "")
    return {
        "entry": entry_json(entry),
        "leafIndex": seq,
        "treeSize": cp.size,
        "proof": [h.hex() for h in merkle.inclusion_proof(leaves, seq, cp.size)],
        "checkpoint": checkpoint_json(cp) | {"origin": f"buttress-ledger/{ledger_id(session)}", "publicKey": public},
    }


def verify_proof(doc: Mapping[str, Any], trusted: Collection[str] | None) -> tuple[bool, str]:
    """Check a proof printed by ``inclusion`` offline: the leaf, the path, and the checkpoint's signature.

    ``trusted`` holds the IDs of the keys that may have signed the checkpoint (a verifier's trust anchor, or
    the keys a ledger's log trusts). With None, nothing anchors the signer: the public key inside the proof
    is used, and the message says so; such a proof shows only that its author could sign.
    """
    try:
        e = doc["entry"]
        leaf = merkle.leaf_hash(leaf_data(e["seq"], e["at"], e["actor"], e["kind"], e["subject"],
                                          canonical(e["data"]).decode()))
        cp = doc["checkpoint"]
        root = bytes.fromhex(cp["root"])
        key = PublicKey.from_hex(cp["publicKey"])
        signature = b64decode(cp["signature"])
        proof = [bytes.fromhex(h) for h in doc["proof"]]
        origin = str(cp["origin"]).removeprefix("buttress-ledger/")
        index, size = int(doc["leafIndex"]), int(cp["size"])
    except KeyError as exc:
        return False, f"the proof cannot be read: it has no {exc.args[0]!r} field (is it the output of `buttress audit proof`?)"
    except (TypeError, ValueError) as exc:
        return False, f"the proof cannot be read: {exc}"
    if trusted is not None and key.id not in trusted:
        return False, (f"the checkpoint is signed by key {short(key.id)}, which is not a trusted key (if the ledger's "
                       "key was rotated since the trusted one, verify the proof against the ledger, which follows the "
                       "rotation: buttress audit verify-proof FILE -C PROJECT)")
    if key.id != cp.get("keyId", key.id):
        return False, "the checkpoint's key ID does not match its public key"
    if not key.verify(signature, checkpoint_note(origin, size, root, cp["at"])):
        return False, "the checkpoint's signature does not verify"
    if index != e["seq"] or not merkle.verify_inclusion(leaf, index, size, proof, root):
        return False, f"entry {e['seq']} is not included in the tree of size {size} with root {root.hex()[:16]}…"
    signer = (f"the trusted key {short(key.id)}" if trusted is not None else
              f"key {short(key.id)}, which is NOT anchored: that key was read from the proof itself, so anyone "
              "could have made it; check the proof against a trusted key")
    return True, f"entry {e['seq']} is included in the signed tree of size {size} (root {root.hex()[:16]}…), signed by {signer}"


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    """An entry as plain data."""
    return {"seq": entry.seq, "at": entry.at, "actor": entry.actor, "kind": entry.kind, "subject": entry.subject,
            "data": json.loads(entry.body), "leafHash": entry.leaf_hash}


def checkpoint_json(cp: Checkpoint) -> dict[str, Any]:
    """A checkpoint as plain data."""
    return {"size": cp.size, "root": cp.root, "at": cp.at, "keyId": cp.key_id, "signature": cp.signature}


def export(session: Session) -> Iterator[str]:
    """JSON Lines: a header, then every entry, each followed by the checkpoint that first covers it."""
    checkpoints = {cp.size: cp for cp in session.scalars(select(Checkpoint)).all()}
    yield json.dumps({"type": "ledger", "origin": f"buttress-ledger/{ledger_id(session)}", "format": 1})
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        yield json.dumps({"type": "entry", **entry_json(entry)}, ensure_ascii=False)
        if (cp := checkpoints.get(entry.seq + 1)) is not None:
            yield json.dumps({"type": "checkpoint", **checkpoint_json(cp)})


def verify_export(lines: Iterable[str], anchor: str | None = None) -> Report:
    """Verify an export offline, exactly as ``verify`` checks the database (``anchor``: the first key's ID)."""
    entries: list[EntryRow] = []
    checkpoints: list[CheckpointRow] = []
    origin = ""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            kind = doc["type"]
            if kind == "ledger":
                origin = str(doc["origin"]).removeprefix("buttress-ledger/")
            elif kind == "entry":
                entries.append(EntryRow(doc["seq"], doc["at"], doc["actor"], doc["kind"], doc["subject"],
                                        canonical(doc["data"]).decode(), doc["leafHash"]))
            elif kind == "checkpoint":
                checkpoints.append(CheckpointRow(doc["size"], doc["root"], doc["at"], doc["keyId"], doc["signature"]))
        except (ValueError, KeyError, TypeError) as exc:
            return Report().fail(f"line {number}", f"line {number} of the export cannot be read: {exc}")
    checkpoints.sort(key=lambda c: c.size)
    return verify_rows(entries, checkpoints, origin, None, anchor)


def page(session: Session, offset: int, limit: int, newest_first: bool = True) -> tuple[int, list[dict[str, Any]]]:
    """The log's size and ``limit`` entries from ``offset`` (newest first by default), for the server."""
    head = session.get(Head, 1)
    order = AuditEntry.seq.desc() if newest_first else AuditEntry.seq
    rows = session.scalars(select(AuditEntry).order_by(order).offset(offset).limit(limit)).all()
    return (head.size if head else 0), [entry_json(e) for e in rows]


def latest_checkpoints(session: Session, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` checkpoints, newest first, for the server."""
    rows = session.scalars(select(Checkpoint).order_by(Checkpoint.size.desc()).limit(limit)).all()
    return [checkpoint_json(cp) for cp in rows]

"""Which signing keys the audit log trusts: its first key, and every key a trusted key endorsed.

The root of trust is the log's first key: the one its first ``key.created`` entry registers (``buttress keys
init`` writes it when it initialises the ledger), which must sign the first checkpoint. A verifier given a
trust anchor (``--trust KEY.pub``, an offline auditor's copy of that key) also requires the first key to be
the anchor. A later key is trusted only once a checkpoint signed by an already-trusted key covers its
``key.created`` entry: a key rotation is signed by the previous key. So a checkpoint signed by a key the log
does not register fails, and so does one signed by a key that only the very checkpoint it signs registers
(an attacker appending ``key.created`` for their own key and signing that with it).

``ledger.audit`` walks a log through a ``KeyChain`` when it verifies it, and when it works out the keys the
release gates accept; ``ledger.consistency`` compares the ``keys`` table with the keys found trusted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from buttress.ledger.signing import PublicKey

KEY_CREATED = "key.created"
"""The audit entry kind registering a signing key (its data: ``keyId``, ``publicKey``, ``algorithm``)."""


def short(key_id: str) -> str:
    """A key ID abbreviated for messages."""
    return key_id[:16] + "…"


@dataclass(frozen=True)
class Registration:
    """A ``key.created`` entry: where it is in the log and the key it registers."""

    seq: int
    key: PublicKey


def registration(seq: int, body: str) -> Registration:
    """The key that ``key.created`` entry ``seq`` registers, from its data (JSON); ``ValueError`` if it holds none."""
    try:
        data = json.loads(body)
        key = PublicKey.from_hex(data["publicKey"])
        named = data.get("keyId", key.id)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"entry {seq} ({KEY_CREATED}) does not hold an Ed25519 public key ({exc})") from None
    if named != key.id:
        raise ValueError(f"entry {seq} ({KEY_CREATED}) names key ID {str(named)[:16]}… for a public key whose ID is "
                         f"{short(key.id)}")
    return Registration(seq, key)


class Untrusted(Exception):
    """A checkpoint's signer is not trusted; ``entry`` is the entry to blame, when one is."""

    def __init__(self, message: str, entry: int | None = None) -> None:
        super().__init__(message)
        self.entry = entry


@dataclass
class KeyChain:
    """The keys trusted so far while a log is read in order.

    Feed it every ``key.created`` entry (``announce``), ask it which key must have signed each checkpoint
    (``signer``), and, once that checkpoint's signature and root verify, let the keys it covers become trusted
    (``endorse``).
    """

    anchor: str | None = None
    """The key ID the log's first key must have, when the verifier brings its own trust anchor."""
    trusted: dict[str, PublicKey] = field(default_factory=dict)
    """Key ID -> key, in the order the log came to trust them (the first key first)."""
    announced: list[Registration] = field(default_factory=list)
    """Keys registered since the last verified checkpoint, not trusted yet."""

    def announce(self, found: Registration) -> None:
        """A ``key.created`` entry was read; its key is trusted once the checkpoint covering it verifies."""
        self.announced.append(found)

    def signer(self, key_id: str, size: int) -> PublicKey:
        """The trusted key that checkpoint ``size``, naming ``key_id``, must verify with; ``Untrusted`` if none."""
        if not self.trusted:
            return self._root(key_id, size)
        if key_id in self.trusted:
            return self.trusted[key_id]
        own = next((r for r in self.announced if r.key.id == key_id), None)
        if own is not None:
            raise Untrusted(f"checkpoint {size} is signed by key {short(key_id)}, which entry {own.seq} ({KEY_CREATED}) "
                            "registers under that same checkpoint: no trusted key endorsed it (a new key is trusted "
                            "only once a checkpoint signed by an already-trusted key covers its key.created entry)",
                            own.seq)
        raise Untrusted(f"checkpoint {size} is signed by key {short(key_id)}, which the log does not register")

    def _root(self, key_id: str, size: int) -> PublicKey:
        """The log's first key, which must sign its first checkpoint (and be the anchor, if one is given)."""
        if not self.announced:
            raise Untrusted(f"checkpoint {size} is signed by key {short(key_id)}, which the log does not register "
                            f"(no {KEY_CREATED} entry precedes it)")
        root = self.announced[0]
        if self.anchor is not None and root.key.id != self.anchor:
            raise Untrusted(f"entry {root.seq} ({KEY_CREATED}) registers key {short(root.key.id)} as the log's first "
                            f"key, which is not the trusted key {short(self.anchor)} (an anchor is the log's first key: "
                            "after a key rotation, keep trusting the first key's public file, not the current one)",
                            root.seq)
        if key_id != root.key.id:
            raise Untrusted(f"checkpoint {size} is signed by key {short(key_id)}, not by the log's first key "
                            f"{short(root.key.id)} (entry {root.seq})", root.seq)
        return root.key

    def endorse(self) -> None:
        """The checkpoint just asked about verified: the keys registered under it are trusted from now on."""
        for found in self.announced:
            self.trusted.setdefault(found.key.id, found.key)
        self.announced.clear()

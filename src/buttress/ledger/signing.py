"""Ed25519 key pairs on disk: create (private key mode 0600), load, sign, verify, and key IDs.

``buttress keys init`` creates a pair; the ledger signs release attestations and audit checkpoints with
it; verifiers only need the public key, which the audit log itself records when the key is registered
(and which an auditor keeps a copy of, the ``.pub`` file, to anchor trust: ``audit verify --trust``).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError

from buttress.errors import UsageError


def key_id(public_raw: bytes) -> str:
    """A key's ID: the SHA-256 of its 32 raw public bytes, hex (what envelopes and checkpoints name)."""
    return hashlib.sha256(public_raw).hexdigest()


@dataclass(frozen=True)
class PublicKey:
    """A verifying key with its ID."""

    raw: bytes

    @property
    def id(self) -> str:
        """The key ID."""
        return key_id(self.raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when ``signature`` is this key's Ed25519 signature of ``message``.

        Verified with libsodium (PyNaCl), which is about 1.6 times faster than OpenSSL 3.0 here and as
        strict or stricter (it also refuses non-canonical signatures and small-order keys): ``audit
        verify`` checks one signature per append, thousands for a large log.
        """
        if len(signature) != 64 or len(self.raw) != 32:
            return False
        try:
            crypto_sign_open(signature + message, self.raw)
        except CryptoError:
            return False
        return True

    @classmethod
    def from_hex(cls, text: str) -> PublicKey:
        """Parse 64 hex digits."""
        raw = bytes.fromhex(text)
        if len(raw) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        return cls(raw)


class SigningKey:
    """An Ed25519 private key loaded from disk."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = PublicKey(private.public_key().public_bytes_raw())

    @property
    def id(self) -> str:
        """The key ID of the public half."""
        return self.public.id

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._private.sign(message)

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """A key from its 32-byte seed (test vectors)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))


def create_key(path: Path, *, force: bool = False) -> SigningKey:
    """Write a new private key to ``path`` (PEM, PKCS#8, mode 0600) and its public key beside it (``.pub``)."""
    if path.exists() and not force:
        raise UsageError(f"{path} already exists; pass --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    tmp.chmod(0o600)
    tmp.replace(path)
    key = SigningKey(private)
    public_path(path).write_text(key.public.raw.hex() + "\n")
    return key


def public_path(path: Path) -> Path:
    """Where the public half of the key at ``path`` is written."""
    return path.with_name(path.name + ".pub")


def load_public_key(path: Path) -> PublicKey:
    """Read a public key file as ``create_key`` writes it (64 hex digits)."""
    try:
        return PublicKey.from_hex(path.read_text().strip())
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError:
        raise UsageError(f"{path} is not an Ed25519 public key (64 hex digits, as `buttress keys init` writes "
                         "it beside the private key)") from None


def load_key(path: Path) -> SigningKey:
    """Load a private key written by ``create_key``; refuse one others can read."""
    if not path.is_file():
        raise UsageError(f"no signing key at {path}: run `buttress keys init` first (or pass --key)")
    if path.stat().st_mode & 0o077:
        raise UsageError(f"{path} can be read by other users; run `chmod 600 {path}`")
    return key_from_pem(path.read_bytes(), str(path))


def key_from_pem(pem: bytes, where: str) -> SigningKey:
    """An Ed25519 private key from its PEM text (a key file's content, or a secret delivered in an
    environment variable); ``where`` names the source in errors, which never show the key."""
    try:
        private = serialization.load_pem_private_key(pem, password=None)
    except ValueError:
        raise UsageError(f"{where} is not a PEM private key (as `buttress keys init` writes it)") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise UsageError(f"{where} is not an Ed25519 key")
    return SigningKey(private)


def b64encode(data: bytes) -> str:
    """Standard base64 text."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    """Decode standard or URL-safe base64, padded or not (DSSE verifiers must accept either)."""
    text = text.strip()
    padded = text + "=" * (-len(text) % 4)
    alphabet = b"-_" if ("-" in text or "_" in text) else b"+/"
    return base64.b64decode(padded, altchars=alphabet, validate=True)

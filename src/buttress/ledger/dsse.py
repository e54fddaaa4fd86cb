"""DSSE (Dead Simple Signing Envelope) v1: the pre-authentication encoding and the JSON envelope.

``PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`` with lengths in bytes, as in
the DSSE protocol. ``ledger.attestation`` wraps provenance statements with ``sign``; ``verify`` checks an
envelope against trusted keys and the payload types the caller supports.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from buttress.ledger.signing import PublicKey, SigningKey, b64decode, b64encode


def pae(payload_type: str, body: bytes) -> bytes:
    """The pre-authentication encoding of ``UTF8(payload_type)`` and ``body``."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(body), body)


def sign(payload_type: str, body: bytes, key: SigningKey) -> dict[str, Any]:
    """A JSON envelope holding ``body`` and one Ed25519 signature over its PAE."""
    return {"payload": b64encode(body), "payloadType": payload_type,
            "signatures": [{"keyid": key.id, "sig": b64encode(key.sign(pae(payload_type, body)))}]}


@dataclass(frozen=True)
class Verified:
    """What an envelope verification found."""

    ok: bool
    reason: str
    payload: bytes = b""
    key_ids: tuple[str, ...] = ()


def verify(envelope: Mapping[str, Any], trusted: Iterable[PublicKey], supported_types: Iterable[str],
           threshold: int = 1) -> Verified:
    """Verify an envelope: at least ``threshold`` distinct trusted keys signed the PAE, and the type is supported.

    Key IDs in the envelope are only hints; every trusted key is tried for a signature without one.
    """
    try:
        payload_type = envelope["payloadType"]
        body = b64decode(envelope["payload"])
        signatures = [(s.get("keyid"), b64decode(s["sig"])) for s in envelope["signatures"]]
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as exc:
        return Verified(False, f"the envelope cannot be decoded: {exc}")
    if not isinstance(payload_type, str):
        return Verified(False, "payloadType is not a string")
    keys = list(trusted)
    message = pae(payload_type, body)
    accepted: set[str] = set()
    for hint, signature in signatures:
        candidates = [k for k in keys if k.id == hint] or keys
        for key in candidates:
            if key.id not in accepted and key.verify(signature, message):
                accepted.add(key.id)
                break
    if len(accepted) < threshold:
        return Verified(False, f"{len(accepted)} of the required {threshold} trusted signature(s) verify")
    if payload_type not in set(supported_types):
        return Verified(False, f"payload type {payload_type!r} is not supported")
    return Verified(True, "signature verifies", body, tuple(sorted(accepted)))

"""Canonical JSON bytes (sorted keys, no spaces, UTF-8) and SHA-256 digests: what the ledger hashes and signs."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical(data: Any) -> bytes:
    """The one byte string a JSON value hashes and signs as."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256(data: bytes) -> str:
    """Hex SHA-256."""
    return hashlib.sha256(data).hexdigest()

"""The persistent Rego verdict cache: outside the checkout, authenticated, bound, bounded.

Verdicts of ``policy.rego.PolicySet`` are kept between runs in the user's cache folder
(``$BUTTRESS_CACHE_DIR``, else ``$XDG_CACHE_HOME/buttress``, else ``~/.cache/buttress``;
``BUTTRESS_CACHE_DIR=off`` disables it), never beside the blueprint where a pull request could
commit one. Each file is signed with an HMAC-SHA256 under a random per-user key kept in that
folder (mode 0600): a file this user did not write (copied, committed, edited, blanked) fails
the check and is ignored, so every input is evaluated again. The header binds the file to the
policy digest and the engine version, and every entry key already hashes both with the input.
Only the entries a run used are saved, at most ``MAX_ENTRIES``. Called by ``app.check``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

ENV_VAR = "BUTTRESS_CACHE_DIR"
FORMAT = 1
MAX_ENTRIES = 200_000
"""Entries saved per file at most (a few hundred bytes each)."""
MAX_BYTES = 128 * 1024 * 1024
"""A larger file is not read."""
STALE_SECONDS = 30 * 24 * 3600
"""Cache files not written for this long are removed when another is saved."""
KEY_FILE = "key"
_OFF = {"off", "0", "false", "no", "none", "disabled"}


@cache
def engine_version() -> str:
    """The Rego engine's version, part of every entry's key (a new engine may judge differently)."""
    try:
        return f"regopy-{metadata.version('regopy')}"
    except metadata.PackageNotFoundError:
        return "regopy-unknown"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The folder verdicts are kept in; None when ``BUTTRESS_CACHE_DIR`` turns the cache off."""
    env = os.environ if environ is None else environ
    chosen = env.get(ENV_VAR, "").strip()
    if chosen.lower() in _OFF:
        return None
    if chosen:
        return Path(chosen).expanduser().resolve()
    xdg = env.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return (Path(xdg) / "buttress").resolve()
    try:
        return (Path.home() / ".cache" / "buttress").resolve()
    except (RuntimeError, KeyError):
        return None  # no home folder to keep a cache in


def cache_file(folder: Path, scope: str, policy_digest: str) -> Path:
    """The file for one blueprint (``scope``: its resolved path) and one policy set."""
    name = hashlib.sha256(f"{scope}\0{policy_digest}\0{engine_version()}".encode()).hexdigest()
    return folder / f"rego-{name[:32]}.json"


def user_key(folder: Path, *, create: bool) -> bytes | None:
    """This user's signing key from ``folder`` (created when asked); None when absent or unsafe.

    A key another user owns, or that others may read or write, is not trusted.
    """
    path = folder / KEY_FILE
    if create and not path.exists():
        _create_key(folder, path)
    try:
        info = path.lstat()
        if not path.is_file() or path.is_symlink() or info.st_mode & 0o077 or info.st_uid != os.getuid():
            return None
        key = path.read_bytes()
    except OSError:
        return None
    return key if len(key) == 32 else None


def _create_key(folder: Path, path: Path) -> None:
    """Write 32 random bytes to ``path`` (mode 0600), unless another process just did."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return  # exists now, or the folder is not writable: user_key decides
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(32))


def _header(policy_digest: str) -> dict[str, Any]:
    return {"format": FORMAT, "engine": engine_version(), "policy": policy_digest}


def _mac(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def read(path: Path, policy_digest: str) -> Any:
    """The entries of a cache file this user wrote for this policy set and engine, else None."""
    key = user_key(path.parent, create=False)
    try:
        if key is None or path.stat().st_size > MAX_BYTES:
            return None
        mac, _, body = path.read_bytes().partition(b"\n")
    except OSError:
        return None
    if not hmac.compare_digest(mac, _mac(key, body).encode()):
        return None  # written by someone else, or altered since
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict) or {k: doc.get(k) for k in _header(policy_digest)} != _header(policy_digest):
        return None
    return doc.get("entries")


def write(path: Path, policy_digest: str, entries: dict[str, Any]) -> None:
    """Sign and save ``entries`` atomically (mode 0600); an unwritable folder is no error."""
    key = user_key(path.parent, create=True)
    if key is None:
        return
    body = json.dumps({**_header(policy_digest), "entries": entries}, separators=(",", ":"),
                      sort_keys=True).encode()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(_mac(key, body).encode() + b"\n" + body)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return
    prune_stale(path.parent, keep=path)


def prune_stale(folder: Path, *, keep: Path, now: float | None = None) -> None:
    """Remove cache files of ``folder`` not written for ``STALE_SECONDS`` (``keep`` excepted)."""
    limit = (time.time() if now is None else now) - STALE_SECONDS
    for old in folder.glob("rego-*.json"):
        try:
            if old != keep and old.stat().st_mtime < limit:
                old.unlink()
        except OSError:
            continue

"""The deployment target: write an environment's bundle into a GitOps folder that Argo CD or Flux applies.

``write(folder, env, files, release, promotion, message)`` replaces ``FOLDER/ENV`` atomically (a sibling
temporary folder is renamed into place, leftovers of an interrupted write are removed) and, when FOLDER is
a git work tree, commits exactly that change with ``message``. ``FOLDER/ENV/.buttress-release`` names the
release and the ledger's promotion the folder holds; ``in_sync`` compares it (and, in a git repository,
that nothing under ``ENV`` is left uncommitted) with what the ledger says runs there.

Every step runs under ``locked(folder)``: an exclusive ``fcntl.flock`` on a lock file (inside ``.git`` for a
repository, else ``FOLDER/.buttress-gitops.lock``), so that concurrent promotions to different environments
of one repository never collide on git's ``index.lock`` and each commit holds only its own environment.
Called by ``app.release_promote``, which writes the folder after the ledger commit and reconciles it with
the ledger before every promote, rollback and ``status --gitops``.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from buttress.errors import UsageError

MARKER = ".buttress-release"
LOCK_FILE = ".buttress-gitops.lock"
_GIT = ["-c", "user.name=buttress", "-c", "user.email=buttress@localhost"]


class GitOpsError(UsageError):
    """The GitOps folder could not be written or committed (the message says which step and why)."""


@dataclass(frozen=True)
class Marker:
    """What ``FOLDER/ENV`` holds: a release, and the ledger's promotion that put it there (None: unknown)."""

    release: str
    promotion: int | None


def _safe(path: str) -> PurePosixPath:
    p = PurePosixPath(path)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise UsageError(f"bundle path {path!r} escapes its folder")
    return p


def is_git(folder: Path) -> bool:
    """True when ``folder`` is the top of a git work tree."""
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, check=False)
    except FileNotFoundError:
        return False
    return out.returncode == 0 and Path(out.stdout.strip()).resolve() == folder.resolve()


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(folder), *_GIT, *args], capture_output=True, text=True, check=True)
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()
        raise GitOpsError(f"git {args[0]} in {folder} failed: {' '.join(detail) or f'exit {exc.returncode}'}") from None


def _lock_path(folder: Path) -> Path:
    if is_git(folder):
        return Path(folder, _git(folder, "rev-parse", "--git-dir").stdout.strip()) / "buttress-gitops.lock"
    return folder / LOCK_FILE


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the folder's exclusive lock (waiting for other writers; released when the process dies)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = _lock_path(folder).open("a")
    except OSError as exc:
        raise GitOpsError(f"cannot use the GitOps folder {folder}: {exc}") from None
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def marker(folder: Path, env: str) -> Marker | None:
    """What ``folder/env`` holds, from its marker file; None without one."""
    try:
        lines = (folder / _safe(env) / MARKER).read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if not lines or not lines[0].strip():
        return None
    promotion = next((int(line.split(":", 1)[1]) for line in lines[1:]
                      if line.startswith("promotion:") and line.split(":", 1)[1].strip().isdigit()), None)
    return Marker(lines[0].strip(), promotion)


def in_sync(folder: Path, env: str, release_id: str, promotion: int, git: bool) -> bool:
    """Does ``folder/env`` hold ``promotion`` of ``release_id`` (committed, in a git repository)?

    A marker without a promotion (written before markers named one) matches on the release alone."""
    found = marker(folder, env)
    if found is None or found.release != release_id or found.promotion not in (None, promotion):
        return False
    if (folder / f".{env}.old").exists() or any(folder.glob(f".{env}.tmp-*")):
        return False
    return not git or not _git(folder, "status", "--porcelain", "--untracked-files=all", "--", env).stdout.strip()


def write(folder: Path, env: str, files: Mapping[str, bytes], release_id: str, promotion: int, message: str,
          git: bool | None = None) -> str | None:
    """Replace ``folder/env`` with ``files``; commit if ``folder`` is a git repository. Returns the commit, if any.

    Call it under ``locked(folder)``. ``git``: whether ``folder`` is a repository (default: ask git)."""
    target = folder / _safe(env)
    old = folder / f".{env}.old"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in (old, *folder.glob(f".{env}.tmp-*")):  # an interrupted write's leftovers
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{env}.tmp-", dir=folder))
        staging.chmod(0o755)
        try:
            for name, content in sorted(files.items()):
                path = staging / _safe(name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            (staging / MARKER).write_text(f"{release_id}\npromotion: {promotion}\n")
            if target.exists():
                target.rename(old)
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise GitOpsError(f"cannot write {target}: {exc}") from None
    if not (is_git(folder) if git is None else git):
        return None
    _git(folder, "add", "-A", "--", env)
    staged = subprocess.run(["git", "-C", str(folder), "diff", "--cached", "--quiet", "--", env], check=False,
                            capture_output=True)
    empty = ["--allow-empty"] if staged.returncode == 0 else []
    _git(folder, "commit", "-q", *empty, "-m", message, "--", env)
    return _git(folder, "rev-parse", "HEAD").stdout.strip()

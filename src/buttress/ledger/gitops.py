"""The deployment target: write an environment's bundle into a GitOps folder that Argo CD or Flux applies.

``write(folder, env, files, message)`` replaces ``FOLDER/ENV`` atomically (a sibling temporary folder is
renamed into place) and, when FOLDER is a git work tree, commits exactly that change with ``message``.
Called by ``app`` after a promotion or rollback has been committed to the ledger.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from buttress.errors import UsageError

MARKER = ".buttress-release"


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


def write(folder: Path, env: str, files: Mapping[str, bytes], release_id: str, message: str) -> str | None:
    """Replace ``folder/env`` with ``files``; commit if ``folder`` is a git repository. Returns the commit, if any."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / _safe(env)
    staging = Path(tempfile.mkdtemp(prefix=f".{env}.", dir=folder))
    staging.chmod(0o755)
    try:
        for name, content in sorted(files.items()):
            path = staging / _safe(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        (staging / MARKER).write_text(release_id + "\n")
        old = folder / f".{env}.old"
        if old.exists():
            shutil.rmtree(old)
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not is_git(folder):
        return None
    git = ["git", "-C", str(folder), "-c", "user.name=buttress", "-c", "user.email=buttress@localhost"]
    subprocess.run([*git, "add", "-A", "--", env], check=True, capture_output=True)
    staged = subprocess.run([*git, "diff", "--cached", "--quiet"], check=False, capture_output=True)
    empty = ["--allow-empty"] if staged.returncode == 0 else []
    subprocess.run([*git, "commit", "-q", *empty, "-m", message], check=True, capture_output=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    return head.stdout.strip()

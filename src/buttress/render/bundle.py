"""A bundle of rendered files, its content digest, and writing it to a folder atomically.

``Bundle`` maps relative paths to bytes (sorted); its ``digest`` is the SHA-256 over the sorted
(path, file SHA-256) list, so it names the content of the whole bundle and nothing else (no time,
no machine). ``bundle_json`` is the manifest written beside the files. ``write_atomic`` replaces
an output folder as a whole or not at all; ``refuse_unsafe_target`` keeps it from replacing a
folder that is not an earlier render. Called by ``buttress.app.render`` and the release flow.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from buttress.errors import UsageError

MANIFEST = "bundle.json"
MANIFEST_VERSION = 1


def _check_path(path: str) -> None:
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts or "\\" in path or str(pure) != path:
        raise ValueError(f"bundle path {path!r} is not a plain relative path")


@dataclass(frozen=True)
class Bundle:
    """Relative path -> content, sorted by path."""

    files: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for path in self.files:
            _check_path(path)
        object.__setattr__(self, "files", dict(sorted(self.files.items())))

    @cached_property
    def hashes(self) -> dict[str, str]:
        """SHA-256 (hex) of every file, by path."""
        return {path: hashlib.sha256(content).hexdigest() for path, content in self.files.items()}

    @cached_property
    def digest(self) -> str:
        """SHA-256 over the sorted ``path NUL sha256 LF`` lines: the identity of the bundle's content."""
        hasher = hashlib.sha256()
        for path, sha in self.hashes.items():
            hasher.update(f"{path}\0{sha}\n".encode())
        return hasher.hexdigest()

    @cached_property
    def content_digest(self) -> str:
        """The digest of every file but ``bundle.json``: the one its manifest records and users see."""
        if MANIFEST not in self.files:
            return self.digest
        return Bundle({p: c for p, c in self.files.items() if p != MANIFEST}).digest

    def merged(self, other: Mapping[str, bytes]) -> Bundle:
        """A new bundle with ``other``'s files added; a path present in both is a programming error."""
        clash = sorted(set(self.files) & set(other))
        if clash:
            raise ValueError(f"bundle paths rendered twice: {', '.join(clash)}")
        return Bundle({**self.files, **other})

    def with_manifest(self) -> Bundle:
        """This bundle plus ``bundle.json`` describing it (the manifest is not part of the digest)."""
        files = {p: c for p, c in self.files.items() if p != MANIFEST}
        inner = Bundle(files)
        return Bundle({**files, MANIFEST: bundle_json(inner)})


def bundle_json(bundle: Bundle) -> bytes:
    """The manifest: every file's SHA-256 and size, and the bundle digest; stable bytes."""
    doc = {
        "version": MANIFEST_VERSION,
        "digest": f"sha256:{bundle.digest}",
        "files": [{"path": p, "sha256": bundle.hashes[p], "size": len(c)} for p, c in bundle.files.items()],
    }
    return (json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _syncfs(root: Path) -> bool:
    """Flush the whole file system holding ``root`` (Linux ``syncfs``): one call instead of one
    ``fsync`` per file, with the same guarantee. False where the system has no ``syncfs``."""
    libc = _libc()
    syncfs = getattr(libc, "syncfs", None)
    if syncfs is None:
        return False
    fd = os.open(root, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), str(root))
    finally:
        os.close(fd)
    return True


def write_tree(files: Mapping[str, bytes], root: Path) -> None:
    """Write ``files`` under an existing empty ``root`` and make them durable: one ``syncfs`` of
    the file system, or, where there is none, an ``fsync`` of every file and folder."""
    folders = {root}
    written = []
    for path, content in sorted(files.items()):
        _check_path(path)
        target = root / path
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.update([target.parent, *target.parent.parents])
        target.write_bytes(content)
        written.append(target)
    if _syncfs(root):
        return
    for target in written:
        with target.open("rb+") as handle:
            os.fsync(handle.fileno())
    for folder in sorted((f for f in folders if f == root or root in f.parents), key=lambda p: -len(p.parts)):
        _fsync_dir(folder)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    renameat2 = getattr(_libc(), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _recover(out: Path) -> None:
    """Finish or undo an interrupted swap of the fallback path, and remove leftovers."""
    parent = out.parent
    for aside in sorted(parent.glob(f".{out.name}.old-*")):
        previous = aside / "previous"
        if not out.exists() and previous.is_dir():
            previous.replace(out)
        shutil.rmtree(aside, ignore_errors=True)
    for stale in parent.glob(f".{out.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _earlier_render(folder: Path) -> bool:
    """Whether ``folder`` holds an earlier render and nothing else: a ``bundle.json`` buttress wrote (its
    version, digest and file list) listing every file there. A folder that merely has a ``bundle.json``
    (another tool's, or one beside the user's own files) is not one: replacing it would delete those."""
    try:
        manifest = json.loads((folder / MANIFEST).read_bytes())
        listed = {entry["path"] for entry in manifest["files"]}
        if not isinstance(manifest.get("version"), int) or not str(manifest.get("digest", "")).startswith("sha256:"):
            return False
    except (OSError, ValueError, TypeError, KeyError):
        return False
    for root, _, names in os.walk(folder):
        for name in names:
            relative = (Path(root) / name).relative_to(folder).as_posix()
            if relative != MANIFEST and relative not in listed:
                return False
    return True


def refuse_unsafe_target(out_dir: Path | str, keep: Iterable[Path] = (), *,
                         earlier: Callable[[Path], bool] = _earlier_render, what: str = f"render (no {MANIFEST})") -> None:
    """Raise ``UsageError`` unless ``out_dir`` may be replaced as a whole: it must not hold any
    path of ``keep`` (the blueprint), and if it exists it must be a folder that is empty or holds an
    earlier output (``earlier``: by default an earlier bundle, its ``bundle.json``; ``what`` names
    that output in the message) — ``--out .`` must never wipe a working folder."""
    out = Path(out_dir).absolute().resolve()
    for path in keep:
        kept = Path(path).absolute().resolve()
        if kept == out or out in kept.parents:
            raise UsageError(f"--out {out_dir} holds {path}, which replacing it would delete; choose a folder "
                             "of its own for the output")
    if not out.exists():
        return
    if not out.is_dir():
        raise UsageError(f"--out {out_dir} exists and is not a folder")
    if any(out.iterdir()) and not earlier(out):
        raise UsageError(f"--out {out_dir} holds files that are not an earlier {what}; it would be "
                         "replaced as a whole: remove it or choose another folder")


def replace_folder(files: Mapping[str, bytes], out_dir: Path | str) -> None:
    """``write_atomic``, a failure of the system (no permission, no space) as a ``UsageError`` naming the folder."""
    try:
        write_atomic(files, out_dir)
    except OSError as exc:
        raise UsageError(f"cannot write {out_dir}: {exc.strerror or exc}") from None


def write_atomic(files: Mapping[str, bytes], out_dir: Path | str) -> None:
    """Replace ``out_dir`` with exactly ``files``, as a whole or not at all.

    The files are written and made durable (``write_tree``) in a sibling temporary folder, which
    then takes the place of ``out_dir`` in one atomic exchange of the two names (``renameat2``);
    where the system has no exchange, by two renames whose interruption the next run repairs. Killed at any point,
    ``out_dir`` holds either its previous contents or the new ones, never a mix.
    """
    out = Path(out_dir).absolute()
    if out.is_symlink():  # replace the folder it names, and keep the link
        out = out.resolve()
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    _recover(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a folder")
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        write_tree(files, staging)
        staging.chmod(0o755)
        if not out.exists():
            staging.replace(out)
        elif not _exchange(staging, out):
            aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            out.replace(aside / "previous")
            staging.replace(out)
        _fsync_dir(parent)
    finally:
        _recover(out)

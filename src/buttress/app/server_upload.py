"""``buttress release create --server URL``: send a blueprint's *source* to a team server, which builds the
release itself.

The client sends only what the blueprint reads — the blueprint file, the pattern files of ``uses`` and the
``*.rego`` files of ``policies.rego`` — as paths relative to the blueprint's folder. The server writes them
into a fresh temporary folder and calls ``app.release.create_release`` on it: the very code of a local
``buttress release create``. Policy, findings, bundle and source digest are therefore the server's own
computation, never the client's word, and the creator is the token's identity. A source that does not
validate is refused with every located problem, named relative to the blueprint's folder.

Client half: ``source_of``, ``release_body`` and ``upload`` (called by ``cli.release``).
Server half: ``create_from_source`` (called by ``server.api_releases``).
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

import httpx

from buttress.app import release as release_app
from buttress.app.ledger_session import LedgerContext
from buttress.app.release_query import ReleaseSummary
from buttress.app.validate import validate
from buttress.errors import BlueprintError, Problem, UsageError
from buttress.model.parse import Blueprint
from buttress.policy.rego import policy_paths

MAX_FILES = 200
"""Files in one upload."""
MAX_FILE_BYTES = 4 * 1024 * 1024
"""Bytes of one source file."""
MAX_SOURCE_BYTES = 16 * 1024 * 1024
"""Bytes of all source files together."""
MAX_PATH_CHARS = 300
SEGMENT = r"[A-Za-z0-9_@+-][A-Za-z0-9._@+-]{0,127}"
"""One path component: no leading dot, so never ``.``, ``..`` or a hidden file."""
PATH_PATTERN = rf"^{SEGMENT}(/{SEGMENT}){{0,15}}$"
"""A relative POSIX path confined to the blueprint's folder (at most 16 components)."""
FILE_PATTERN = rf"^{SEGMENT}$"
"""The blueprint file's name: directly inside the folder."""
_PATH = re.compile(PATH_PATTERN)

_BUILDING = threading.Lock()
"""One build at a time per process: validation pauses the GC and the Rego compiler redirects fd 1,
both process-wide."""


# --- client: what to send -------------------------------------------------------------------------


def _relative(relative: str) -> str:
    """A path of the blueprint (``uses``, ``policies.rego``) as the upload names it."""
    return PurePosixPath(os.path.normpath(relative.rstrip("/"))).as_posix()


def _rego_files(folder: Path, relative: str) -> list[str]:
    """The Rego files a ``policies.rego`` entry names, as the build reads them (no ``*_test.rego``)."""
    name = _relative(relative)
    target = folder / name
    return [(PurePosixPath(name) / p.relative_to(target).as_posix()).as_posix() if p != target else name
            for p in policy_paths(target, tests=False)]


def _source_paths(bp: Blueprint) -> list[str]:
    """Every file the blueprint reads, relative to its folder: itself, its patterns, its Rego policies."""
    paths = [Path(bp.file).name, *(_relative(r) for r in bp.spec.uses.values())]
    for relative in bp.spec.policies.rego:
        paths += _rego_files(bp.folder, relative)
    return list(dict.fromkeys(paths))


def source_of(path: Path | str) -> tuple[str, dict[str, bytes]]:
    """The blueprint at ``path`` (validated here first, for local error messages) as the upload sends it:
    the blueprint file's name and every source file by its path relative to the blueprint's folder."""
    bp = validate(path).blueprint
    files = {}
    for relative in _source_paths(bp):
        if not _PATH.fullmatch(relative):
            raise UsageError(f"{bp.folder / relative}: cannot send {relative!r} to a server (a relative path of "
                             "letters, digits and ._@+- without hidden components)")
        files[relative] = (bp.folder / relative).read_bytes()
    entry = Path(bp.file).name
    check_source(entry, files)
    return entry, files


def release_body(path: Path | str) -> dict[str, Any]:
    """The ``POST /api/releases`` body for the blueprint at ``path``: its source, base64-encoded."""
    entry, files = source_of(path)
    return {"blueprintFile": entry,
            "source": {name: base64.b64encode(content).decode() for name, content in sorted(files.items())}}


# --- server: build from source ---------------------------------------------------------------------


def check_source(entry: str, files: Mapping[str, bytes]) -> None:
    """Refuse (``UsageError``) a source that is too big, has unconfined paths or non-UTF-8 files, or lacks
    its blueprint file."""
    if not files or len(files) > MAX_FILES:
        raise UsageError(f"a blueprint's source is 1 to {MAX_FILES} files (got {len(files)})")
    if "/" in entry or entry not in files:
        raise UsageError(f"the source has no blueprint file {entry!r} at its top level")
    total = 0
    for name, content in files.items():
        if len(name) > MAX_PATH_CHARS or not _PATH.fullmatch(name):
            raise UsageError(f"source path {name[:80]!r} is not a relative path inside the blueprint's folder")
        if len(content) > MAX_FILE_BYTES:
            raise UsageError(f"source file {name} is {len(content)} bytes, over the {MAX_FILE_BYTES}-byte limit")
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"source file {name} is not UTF-8 text") from None
        total += len(content)
    if total > MAX_SOURCE_BYTES:
        raise UsageError(f"the source is {total} bytes, over the {MAX_SOURCE_BYTES}-byte limit")


def _write_source(root: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` under the fresh folder ``root`` (paths already checked), never outside it."""
    for name, content in sorted(files.items()):
        target = root.joinpath(*name.split("/"))
        if root not in target.parents:
            raise UsageError(f"source path {name!r} leaves the blueprint's folder")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("xb") as out:
                out.write(content)
        except OSError:
            raise UsageError(f"source path {name!r} clashes with another source path") from None


@contextmanager
def _materialised(files: Mapping[str, bytes]) -> Iterator[Path]:
    """A temporary blueprint folder holding ``files``, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="buttress-upload-") as tmp:
        root = Path(tmp).resolve()
        _write_source(root, files)
        yield root


def _relocated(problem: Problem, root: Path) -> Problem:
    """``problem`` with the temporary folder taken out of its file name and message."""
    prefix = f"{root}{os.sep}"
    return replace(problem, file=problem.file.removeprefix(prefix), message=problem.message.replace(prefix, ""))


def create_from_source(ctx: LedgerContext, entry: str, files: Mapping[str, bytes]) -> ReleaseSummary:
    """Validate, check, render, sign and store the release of an uploaded blueprint source, exactly as
    ``buttress release create`` does, acting as ``ctx``'s identity at ``ctx``'s time. ``BlueprintError``
    (every located problem) or ``UsageError`` when the source is refused."""
    check_source(entry, files)
    with _BUILDING, _materialised(files) as root:
        try:
            return release_app.create_release(root / entry, ctx)
        except BlueprintError as exc:
            raise BlueprintError([_relocated(p, root) for p in exc.problems]) from None
        except UsageError as exc:
            raise UsageError(str(exc).replace(f"{root}{os.sep}", "")) from None


# --- client: send ----------------------------------------------------------------------------------


def _refusal(answer: httpx.Response) -> str:
    """The server's reason for a refusal: its detail, with one located problem a line."""
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:300]
    if not isinstance(body, dict):
        return str(body)[:300]
    problems = body.get("problems")
    if isinstance(problems, list) and problems:
        return "\n" + "\n".join(_problem_line(p) for p in problems)
    return str(body.get("detail"))


def _problem_line(problem: Any) -> str:
    """One problem of a refusal as ``FILE:LINE:COL: error: MESSAGE (at KEY.PATH)``."""
    try:
        return Problem(str(problem["file"]), int(problem["line"]), int(problem["column"]), str(problem["message"]),
                       str(problem.get("keypath", ""))).format()
    except (TypeError, KeyError, ValueError, AttributeError):
        return str(problem)[:300]


def _summary(stored: dict[str, Any]) -> ReleaseSummary:
    """A stored release's summary from the server's answer."""
    return ReleaseSummary(id=stored["id"], number=stored["number"], created_at=stored["createdAt"],
                          creator=stored["creator"], blueprint=stored["blueprint"], source_digest=stored["sourceDigest"],
                          bundle_digest=stored["bundleDigest"], environments=stored["environments"])


def upload(path: Path | str, server: str, token: str | None = None, timeout: float = 120) -> ReleaseSummary:
    """Send the blueprint's source to ``server`` with the API token ``token`` (default: ``$BUTTRESS_TOKEN``,
    so that it stays out of process listings); the summary of the release the server built. Refusals become
    ``UsageError``s with the server's reason (never the token)."""
    token = token or os.environ.get("BUTTRESS_TOKEN")
    if not token:
        raise UsageError("--server needs an API token: set BUTTRESS_TOKEN (buttress tokens create ci ...)")
    if not server.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise UsageError(f"--server {server} must be https:// (plain http only to localhost)")
    body = release_body(path)
    try:
        answer = httpx.post(server.rstrip("/") + "/api/releases", json=body, timeout=timeout,
                            headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        raise UsageError(f"cannot reach {server}: {type(exc).__name__}") from None
    if answer.status_code != 201:
        raise UsageError(f"{server} refused the release ({answer.status_code}): {_refusal(answer)}")
    return _summary(answer.json())

"""The diff use case: the effective difference between two renders of a blueprint, object by object.

``diff_environments`` compares two environments of one blueprint: the first is rendered under the
second's name and namespace, so that what buttress names after an environment (namespaces, rule
groups, dashboard uids, ``--env`` in runbooks) reads the same on both sides and only real
differences remain, a value the user wrote per environment among them;
``diff_against`` compares an environment with an earlier render on disk. Objects are matched by
(apiVersion, kind, name); a changed object lists its changed fields by path, list items that
carry a ``name`` (containers, env vars, ports) matched by that name; a Job, whose name carries its
content's digest, is matched by its module (``stable_name``). Two fields derived from the
blueprint digest, which every edit changes, are not compared (``without_digest_fields``): the
blueprint-digest annotation and the version label of environment-wide objects. Other files
compare by content. Called by ``buttress diff``.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from buttress.app.manifests import environment_folder
from buttress.app.render import environment_files, require_environment
from buttress.app.validate import Validated
from buttress.errors import UsageError
from buttress.render.bundle import MANIFEST
from buttress.render.common.labels import DIGEST_ANNOTATION, VERSION_LABEL, digest_version
from buttress.render.kubernetes.kustomization import KUSTOMIZATION
from buttress.render.kubernetes.workloads import stable_name
from buttress.render.yamlio import load_all, load_located
from buttress.secrets import redact_value

_ABSENT = object()
_DERIVED = {KUSTOMIZATION, MANIFEST}
_EVIDENCE = "compliance/"
"""Evidence files of a render (they record the check as of a date, not what is deployed): not compared."""


@dataclass(frozen=True)
class ObjectRef:
    """One object (or, for files that hold no objects, one file) of a render."""

    api_version: str
    kind: str
    name: str
    file: str

    @property
    def label(self) -> str:
        """``Kind/name``, or the file's path for plain files."""
        return f"{self.kind}/{self.name}" if self.kind else self.file

    def to_json(self) -> dict[str, str]:
        """As JSON."""
        return {"apiVersion": self.api_version, "kind": self.kind, "name": self.name, "file": self.file}


@dataclass(frozen=True)
class FieldChange:
    """One changed field: its dotted path and the values before and after (None when absent)."""

    path: str
    before: Any
    after: Any
    before_present: bool = True
    after_present: bool = True

    def to_json(self) -> dict[str, Any]:
        """As JSON; an absent side is omitted."""
        out: dict[str, Any] = {"path": self.path}
        if self.before_present:
            out["from"] = self.before
        if self.after_present:
            out["to"] = self.after
        return out


@dataclass(frozen=True)
class Changed:
    """An object present on both sides whose content differs."""

    ref: ObjectRef
    changes: list[FieldChange]


@dataclass(frozen=True)
class DiffResult:
    """What differs between side A and side B."""

    a: str
    b: str
    added: list[ObjectRef] = field(default_factory=list)
    removed: list[ObjectRef] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        """Whether nothing differs."""
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        """The result as one JSON document."""
        return {"from": self.a, "to": self.b, "equal": self.equal,
                "added": [r.to_json() for r in self.added], "removed": [r.to_json() for r in self.removed],
                "changed": [{**c.ref.to_json(), "changes": [f.to_json() for f in c.changes]} for c in self.changed]}


Key = tuple[str, str, str]


def without_digest_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without the fields derived from the blueprint digest: its blueprint-digest
    annotation, and its ``app.kubernetes.io/version`` label when that is the digest's
    (``sha256-<12 hex>``, on environment-wide objects; a module's version is its image's and stays)."""
    meta = doc.get("metadata")
    if not isinstance(meta, dict):
        return doc
    annotations, labels = meta.get("annotations"), meta.get("labels")
    if not isinstance(annotations, dict) or not isinstance(digest := annotations.get(DIGEST_ANNOTATION), str):
        return doc
    meta = {**meta, "annotations": {k: v for k, v in annotations.items() if k != DIGEST_ANNOTATION}}
    if isinstance(labels, dict) and labels.get(VERSION_LABEL) == digest_version(digest):
        meta["labels"] = {k: v for k, v in labels.items() if k != VERSION_LABEL}
    return {**doc, "metadata": meta}


def _objects(files: dict[str, bytes], where: str) -> tuple[dict[Key, tuple[ObjectRef, Any]], dict[str, bytes]]:
    """The objects of a render by (apiVersion, kind, name as side B would name it), and its other files."""
    objects: dict[Key, tuple[ObjectRef, Any]] = {}
    plain: dict[str, bytes] = {}
    for path, content in sorted(files.items()):
        if path in _DERIVED or path.startswith(_EVIDENCE):
            continue
        docs: list[Any] = []
        if path.endswith((".yaml", ".yml")):
            docs = load_located(content, f"{where}/{path}")
        if docs and all(isinstance(d, dict) and "kind" in d and isinstance(d.get("metadata"), dict) for d in docs):
            for doc in docs:
                ref = ObjectRef(str(doc.get("apiVersion", "")), str(doc["kind"]), str(doc["metadata"].get("name", "")),
                                path)
                objects[(ref.api_version, ref.kind, stable_name(doc))] = (ref, without_digest_fields(doc))
        else:
            plain[path] = content
    return objects, plain


def _item_key(item: Any) -> str | None:
    return str(item["name"]) if isinstance(item, dict) and isinstance(item.get("name"), str) else None


def field_changes(a: Any, b: Any, path: str = "",
                  names: tuple[str | None, str | None] = (None, None)) -> list[FieldChange]:
    """Changed leaves between two values; named list items are matched by name, others by index.

    Changes show the values as written on each side, secret-looking strings redacted (``names``: the
    env vars whose values ``a`` and ``b`` are).
    """
    if isinstance(a, dict) and isinstance(b, dict):
        named = tuple(x["name"] if isinstance(x.get("name"), str) else None for x in (a, b))
        out: list[FieldChange] = []
        for key in [*a, *(k for k in b if k not in a)]:
            sub = f"{path}.{key}" if path else str(key)
            out += field_changes(a.get(key, _ABSENT), b.get(key, _ABSENT), sub,
                                 (named[0], named[1]) if key == "value" else (None, None))
        return out
    if isinstance(a, list) and isinstance(b, list):
        keys_b = [_item_key(x) for x in b]
        keys_a = [_item_key(x) for x in a]
        if all(keys_a) and all(keys_b) and len(set(keys_a)) == len(a) and len(set(keys_b)) == len(b):
            by_a = dict(zip(keys_a, a, strict=True))
            by_b = dict(zip(keys_b, b, strict=True))
            out = []
            for key in [*by_a, *(k for k in by_b if k not in by_a)]:
                out += field_changes(by_a.get(key, _ABSENT), by_b.get(key, _ABSENT), f"{path}[{key}]")
            return out
        if a and b:
            return [c for i in range(max(len(a), len(b)))
                    for c in field_changes(a[i] if i < len(a) else _ABSENT, b[i] if i < len(b) else _ABSENT,
                                           f"{path}[{i}]")]
    if a is _ABSENT or b is _ABSENT or a != b:
        # an env var's value is read with its name, as the ``secret-inline`` control reads it
        return [FieldChange(path, None if a is _ABSENT else redact_value(a, names[0]),
                            None if b is _ABSENT else redact_value(b, names[1]), a is not _ABSENT, b is not _ABSENT)]
    return []


def file_changes(path: str, a: bytes, b: bytes) -> list[FieldChange]:
    """Changes inside a file that holds no objects: fields for JSON, changed line ranges for text."""
    if path.endswith(".json"):
        try:
            return field_changes(json.loads(a), json.loads(b))
        except ValueError:
            pass
    if path.endswith((".yaml", ".yml")):
        try:
            docs_a, docs_b = load_all(a), load_all(b)
        except yaml.YAMLError:
            pass
        else:
            return field_changes(docs_a[0] if len(docs_a) == 1 else docs_a, docs_b[0] if len(docs_b) == 1 else docs_b)
    lines_a = a.decode(errors="replace").splitlines()
    lines_b = b.decode(errors="replace").splitlines()
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, lines_a, lines_b, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append(FieldChange(f"line {j1 + 1}", redact_value("\n".join(lines_a[i1:i2])),
                                   redact_value("\n".join(lines_b[j1:j2])), i2 > i1, j2 > j1))
    return out


def compare(a_files: dict[str, bytes], b_files: dict[str, bytes], a: str, b: str) -> DiffResult:
    """Object-level comparison of two environment folders' files (paths relative to the folder)."""
    objs_a, plain_a = _objects(a_files, a)
    objs_b, plain_b = _objects(b_files, b)
    added = [objs_b[k][0] for k in objs_b if k not in objs_a]
    removed = [objs_a[k][0] for k in objs_a if k not in objs_b]
    changed = []
    for key, (ref, doc) in objs_b.items():
        if key in objs_a and objs_a[key][1] != doc:
            changes = field_changes(objs_a[key][1], doc)
            if changes:
                changed.append(Changed(ref, changes))
    added += [ObjectRef("", "", "", p) for p in plain_b if p not in plain_a]
    removed += [ObjectRef("", "", "", p) for p in plain_a if p not in plain_b]
    for p in plain_b:
        if p in plain_a and plain_a[p] != plain_b[p]:
            changes = file_changes(p, plain_a[p], plain_b[p])
            if changes:
                changed.append(Changed(ObjectRef("", "", "", p), changes))

    def order(r: ObjectRef) -> tuple[str, str, str]:
        return (r.file, r.kind, r.name)

    return DiffResult(a, b, sorted(added, key=order), sorted(removed, key=order),
                      sorted(changed, key=lambda c: order(c.ref)))


def _files(validated: Validated, env: str) -> dict[str, bytes]:
    require_environment(validated, env)
    return environment_files(validated.blueprint, validated.environments[env], validated.graphs[env])


def named_as(validated: Validated, src: str, dst: str) -> dict[str, bytes]:
    """Environment ``src``'s files as they would render under ``dst``'s name and namespace: its
    modules, overrides and settings, with everything buttress names after an environment named as
    ``dst``'s render names it."""
    require_environment(validated, src)
    require_environment(validated, dst)
    env, other = validated.environments[src], validated.environments[dst]
    spec = env.spec.model_copy(update={"namespace": other.spec.namespace})
    return environment_files(validated.blueprint, replace(env, name=dst, spec=spec), validated.graphs[src])


def diff_environments(validated: Validated, a: str, b: str) -> DiffResult:
    """What changes going from environment ``a``'s render to ``b``'s (``a`` rendered ``named_as`` ``b``)."""
    return compare(named_as(validated, a, b), _files(validated, b), a, b)


def read_render(folder: Path, env: str) -> dict[str, bytes]:
    """An earlier render's files of ``env``: ``folder/<env>/`` (a ``--out`` folder) or ``folder`` itself."""
    if not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder" if folder.exists() else f"{folder}: no such folder")
    root = environment_folder(folder, env)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def diff_against(validated: Validated, env: str, folder: Path) -> DiffResult:
    """What changes going from the render in ``folder`` to rendering ``env`` now."""
    earlier = read_render(folder, env)  # refuses a missing folder before it is looked into
    return compare(earlier, _files(validated, env), str(environment_folder(folder, env)), env)

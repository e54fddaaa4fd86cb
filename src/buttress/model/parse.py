"""From a path to a typed ``Blueprint``: load the file and its patterns, validate the spec,
and check the references that need no environment (pattern names, override targets,
promotion chains, Rego folders). Called by ``app`` use cases through ``buttress.load``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from buttress.errors import BlueprintError, Problem, UsageError
from buttress.model.diagnostics import problems_from
from buttress.model.loader import load_file
from buttress.model.source import Document, KeyPath, Mark, format_keypath
from buttress.model.spec import BlueprintSpec, PatternSpec
from buttress.model.suggest import did_you_mean
from buttress.model.units import is_dns_label

BLUEPRINT_FILE = "blueprint.yaml"


@dataclass(frozen=True)
class Pattern:
    """A loaded pattern file."""

    name: str
    spec: PatternSpec
    document: Document


@dataclass(frozen=True)
class Blueprint:
    """A loaded, schema-valid blueprint with its patterns; environments not yet resolved."""

    folder: Path
    document: Document
    spec: BlueprintSpec
    patterns: dict[str, Pattern]
    digest: str
    """SHA-256 over the blueprint file and every pattern file it uses."""

    @property
    def file(self) -> str:
        """The blueprint's file name as shown in messages."""
        return self.document.file

    def problem(self, path: KeyPath, message: str, *, key: bool = False) -> Problem:
        """A problem located at ``path`` of the blueprint file."""
        mark = self.document.locate(path, key=key)
        return Problem(mark.file, mark.line, mark.column, message, format_keypath(path))

    def locate(self, path: KeyPath) -> Mark:
        """Where ``path`` stands in the blueprint file."""
        return self.document.locate(path)


def find_blueprint(path: Path) -> Path:
    """``PATH`` as the CLI takes it: a blueprint file, or a folder holding ``blueprint.yaml``."""
    if path.is_dir():
        path = path / BLUEPRINT_FILE
    if not path.is_file():
        raise UsageError(f"{path}: no such blueprint file")
    return path


def validate_model(model: type[BaseModel], doc: Document, prefix: KeyPath = ()) -> tuple[Any, list[Problem]]:
    """Validate ``doc.data`` (or the part at ``prefix``) against ``model``; located problems on failure."""
    data = doc.data
    for part in prefix:
        data = data[part]
    if not isinstance(data, dict):
        mark = doc.locate(prefix)
        return None, [Problem(mark.file, mark.line, mark.column, "expected a mapping", format_keypath(prefix))]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, problems_from(exc, data, model, lambda p, key: doc.locate(p, key=key), prefix)


def load_blueprint(path: Path | str) -> Blueprint:
    """Load and validate a blueprint and its patterns; raise ``BlueprintError`` with every problem."""
    file = find_blueprint(Path(path))
    folder = file.parent.resolve()
    doc = load_file(file, str(file))
    spec, problems = validate_model(BlueprintSpec, doc)
    if spec is None:
        raise BlueprintError(problems)
    patterns, pattern_problems = _load_patterns(spec, doc, folder)
    hasher = hashlib.sha256(file.read_bytes())
    for name in sorted(patterns):
        hasher.update(name.encode() + b"\0" + Path(patterns[name].document.file).read_bytes())
    blueprint = Blueprint(folder, doc, spec, patterns, hasher.hexdigest())
    problems = pattern_problems + _check_names(blueprint) + _check_rego_folders(blueprint)
    if problems:
        raise BlueprintError(problems)
    return blueprint


def inside_folder(folder: Path, relative: str) -> Path | None:
    """``folder/relative`` resolved, or None if it leaves ``folder`` (``..``, absolute, symlinks)."""
    if Path(relative).is_absolute():
        return None
    target = (folder / relative).resolve()
    return target if target == folder or folder in target.parents else None


def _load_patterns(spec: BlueprintSpec, doc: Document, folder: Path) -> tuple[dict[str, Pattern], list[Problem]]:
    patterns: dict[str, Pattern] = {}
    problems: list[Problem] = []
    for name, relative in spec.uses.items():
        where = doc.locate(("uses", name))
        keypath = f"uses.{name}"
        target = inside_folder(folder, relative)
        if target is None:
            problems.append(Problem(where.file, where.line, where.column,
                                    f"pattern path {relative!r} leaves the blueprint's folder", keypath))
            continue
        if not target.is_file():
            problems.append(Problem(where.file, where.line, where.column,
                                    f"pattern file {relative!r} does not exist", keypath))
            continue
        display = str(Path(doc.file).parent / relative)
        try:
            pdoc = load_file(target, display)
        except BlueprintError as exc:
            problems += exc.problems
            continue
        pspec, pproblems = validate_model(PatternSpec, pdoc)
        problems += pproblems
        if pspec is not None:
            patterns[name] = Pattern(name, pspec, pdoc)
    return patterns, problems


def _check_names(bp: Blueprint) -> list[Problem]:
    spec = bp.spec
    problems: list[Problem] = []
    for section, names in (("modules", spec.modules), ("environments", spec.environments),
                           ("externals", spec.externals), ("scenarios", spec.scenarios)):
        for name in names:
            if not is_dns_label(name):
                problems.append(bp.problem((section, name), f"{section[:-1]} name {name!r} is not a DNS-1123 label "
                                           "(lower-case letters, digits and '-')", key=True))
    clash = set(spec.modules) & set(spec.externals)
    problems += [bp.problem(("externals", n), f"{n!r} names both a module and an external", key=True) for n in clash]
    for name, module in spec.modules.items():
        for iface in module.provides or {}:
            if not is_dns_label(iface):
                problems.append(bp.problem(("modules", name, "provides", iface),
                                           f"interface name {iface!r} is not a DNS-1123 label", key=True))
    for layer, path in [(spec.defaults, ("defaults",))] + [(m, ("modules", n)) for n, m in spec.modules.items()]:
        if layer.extends is not None and layer.extends not in bp.patterns and layer.extends not in spec.uses:
            problems.append(bp.problem((*path, "extends"), f"pattern {layer.extends!r} is not declared in uses"
                                       + did_you_mean(layer.extends, spec.uses)))
    for env_name, env in spec.environments.items():
        for target in env.overrides:
            if target not in spec.modules:
                problems.append(bp.problem(("environments", env_name, "overrides", target),
                                           f"override names module {target!r}, which does not exist"
                                           + did_you_mean(target, spec.modules), key=True))
    problems += _check_promotions(bp)
    return problems


def _check_promotions(bp: Blueprint) -> list[Problem]:
    envs = bp.spec.environments
    problems = []
    for name, env in envs.items():
        if env.promotion and env.promotion.from_ not in envs:
            problems.append(bp.problem(("environments", name, "promotion", "from"),
                                       f"promotion source {env.promotion.from_!r} is not an environment"
                                       + did_you_mean(env.promotion.from_, envs)))
    for start in envs:
        seen = [start]
        current = envs[start]
        while current.promotion and current.promotion.from_ in envs:
            nxt = current.promotion.from_
            if nxt in seen:
                if nxt == start:
                    loop = " -> ".join([*reversed(seen), start])
                    problems.append(bp.problem(("environments", start, "promotion", "from"),
                                               f"promotion chain loops: {loop}"))
                break
            seen.append(nxt)
            current = envs[nxt]
    return problems


def _check_rego_folders(bp: Blueprint) -> list[Problem]:
    problems = []
    for i, relative in enumerate(bp.spec.policies.rego):
        target = inside_folder(bp.folder, relative)
        if target is None:
            problems.append(bp.problem(("policies", "rego", i), f"policy path {relative!r} leaves the blueprint's folder"))
        elif not target.exists():
            problems.append(bp.problem(("policies", "rego", i), f"policy path {relative!r} does not exist"))
    return problems

"""From a path to a typed ``Blueprint``: load the file and its patterns, validate the spec,
and check the references that need no environment (pattern names, override targets,
promotion chains, Rego folders). Called by ``app`` use cases through ``buttress.load``.

The reference checks read the plain data rather than the typed spec, so a file with schema
errors still has its reference errors reported in the same run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from buttress.errors import BlueprintError, Problem, UsageError
from buttress.model.diagnostics import allowed_keys, problems_from
from buttress.model.loader import load_file
from buttress.model.source import Document, KeyPath, Mark, format_keypath
from buttress.model.spec import BlueprintSpec, EnvironmentSpec, PatternSpec
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
        return self.document.problem(path, message, key=key)

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
    """Load and validate a blueprint and its patterns; raise ``BlueprintError`` with every problem.

    The reference checks read the plain data, so they run even when the schema fails: a run
    reports schema mistakes together with every reference mistake whose inputs are well-formed
    (and ``model.salvage`` adds those of the environments' modules).
    """
    file = find_blueprint(Path(path))
    folder = file.parent.resolve()
    doc = load_file(file, str(file))
    spec, problems = validate_model(BlueprintSpec, doc)
    raw = Raw(doc.data if isinstance(doc.data, dict) else {}, BlueprintSpec)
    patterns, pattern_problems = _load_patterns(raw, doc, folder)
    problems += pattern_problems + _check_names(raw, doc) + _check_rego_folders(raw, doc, folder)
    if spec is None:
        from buttress.model.salvage import salvage  # salvage builds on resolve and graph, which import this module

        raise BlueprintError(problems + salvage(doc, patterns))
    if problems:
        raise BlueprintError(problems)
    hasher = hashlib.sha256(file.read_bytes())
    for name in sorted(patterns):
        hasher.update(name.encode() + b"\0" + Path(patterns[name].document.file).read_bytes())
    return Blueprint(folder, doc, spec, patterns, hasher.hexdigest())


@dataclass(frozen=True)
class Raw:
    """A mapping of a loaded file read before (or despite) its schema, for checks that need only part of it.

    ``section`` tells a well-formed part from one that cannot be relied on: a part written as
    something other than a mapping (null included), or absent from a mapping holding unknown
    keys (it may be there under a misspelt name), is ``None``, so checks that need it stay silent.
    """

    data: dict[str, Any]
    model: type[BaseModel]

    @property
    def stray(self) -> bool:
        """Whether the mapping holds keys its model does not know."""
        return not set(self.data) <= set(allowed_keys(self.model))

    def section(self, key: str) -> dict[str, Any] | None:
        """The mapping at ``key`` (empty when absent), or None when it cannot be relied on."""
        if key not in self.data:
            return None if self.stray else {}
        value = self.data[key]
        return value if isinstance(value, dict) else None


def inside_folder(folder: Path, relative: str) -> Path | None:
    """``folder/relative`` resolved, or None if it leaves ``folder`` (``..``, absolute, symlinks)."""
    if Path(relative).is_absolute():
        return None
    target = (folder / relative).resolve()
    return target if target == folder or folder in target.parents else None


def _load_patterns(raw: Raw, doc: Document, folder: Path) -> tuple[dict[str, Pattern], list[Problem]]:
    patterns: dict[str, Pattern] = {}
    problems: list[Problem] = []
    for name, relative in (raw.section("uses") or {}).items():
        if not isinstance(relative, str):
            continue  # a schema error
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
        defaults = pdoc.data.get("defaults") if isinstance(pdoc.data, dict) else None
        if isinstance(defaults, dict) and "extends" in defaults:
            problems.append(pdoc.problem(("defaults", "extends"), "a pattern cannot extend another pattern: "
                                         "give the module one pattern and its own keys", key=True))
        if pspec is not None:
            patterns[name] = Pattern(name, pspec, pdoc)
    return patterns, problems


def _check_names(raw: Raw, doc: Document) -> list[Problem]:
    problems: list[Problem] = []
    sections = {name: raw.section(name) for name in ("modules", "environments", "externals", "scenarios", "uses")}
    for section in ("modules", "environments", "externals", "scenarios"):
        for name in sections[section] or {}:
            if not is_dns_label(name):
                problems.append(doc.problem((section, name), f"{section[:-1]} name {name!r} is not a DNS-1123 label "
                                            "(lower-case letters, digits and '-')", key=True))
    modules, externals, uses = sections["modules"], sections["externals"], sections["uses"]
    clash = set(modules or {}) & set(externals or {})
    problems += [doc.problem(("externals", n), f"{n!r} names both a module and an external", key=True) for n in clash]
    for name, module in (modules or {}).items():
        provides = module.get("provides") if isinstance(module, dict) else None
        for iface in provides if isinstance(provides, dict) else {}:
            if not is_dns_label(iface):
                problems.append(doc.problem(("modules", name, "provides", iface),
                                            f"interface name {iface!r} is not a DNS-1123 label", key=True))
    layers = [(raw.data.get("defaults"), ("defaults",))] + [(m, ("modules", n)) for n, m in (modules or {}).items()]
    for layer, path in layers:
        extends = layer.get("extends") if isinstance(layer, dict) else None
        if uses is not None and isinstance(extends, str) and extends not in uses:
            problems.append(doc.problem((*path, "extends"), f"pattern {extends!r} is not declared in uses"
                                        + did_you_mean(extends, uses)))
    envs = sections["environments"] or {}
    for env_name, env in envs.items():
        overrides = Raw(env, EnvironmentSpec).section("overrides") if isinstance(env, dict) else None
        if overrides is None or modules is None:
            continue
        for target, override in overrides.items():
            if target not in modules:
                problems.append(doc.problem(("environments", env_name, "overrides", target),
                                            f"override names module {target!r}, which does not exist"
                                            + did_you_mean(target, modules), key=True))
            if isinstance(override, dict) and "extends" in override:
                problems.append(doc.problem(("environments", env_name, "overrides", target, "extends"),
                                            "extends cannot be overridden: a module has the same pattern in every "
                                            "environment (override the keys that differ instead)", key=True))
    return problems + _check_promotions(envs, doc) + _check_scenario_environments(sections["scenarios"] or {}, envs, doc)


def _check_scenario_environments(scenarios: dict[str, Any], envs: dict[str, Any], doc: Document) -> list[Problem]:
    """Every environment a scenario names exists."""
    problems = []
    for name, scenario in scenarios.items():
        listed = scenario.get("environments") if isinstance(scenario, dict) else None
        for i, env in enumerate(listed if isinstance(listed, list) else []):
            if isinstance(env, str) and env not in envs:
                problems.append(doc.problem(("scenarios", name, "environments", i),
                                            f"scenario {name!r} names environment {env!r}, which does not exist"
                                            + did_you_mean(env, envs)))
    return problems


def _promotion_source(env: Any) -> str | None:
    promotion = env.get("promotion") if isinstance(env, dict) else None
    source = promotion.get("from", promotion.get("from_")) if isinstance(promotion, dict) else None
    return source if isinstance(source, str) else None


def _check_promotions(envs: dict[str, Any], doc: Document) -> list[Problem]:
    sources = {name: _promotion_source(env) for name, env in envs.items()}
    problems = []
    for name, source in sources.items():
        if source is not None and source not in envs:
            problems.append(doc.problem(("environments", name, "promotion", "from"),
                                        f"promotion source {source!r} is not an environment" + did_you_mean(source, envs)))
    for start, first in sources.items():
        seen = [start]
        nxt = first
        while nxt is not None and nxt in sources:
            if nxt in seen:
                if nxt == start:
                    loop = " -> ".join([*reversed(seen), seen[-1]])  # in promotion order: source -> target
                    problems.append(doc.problem(("environments", start, "promotion", "from"),
                                                f"promotion chain loops: {loop}"))
                break
            seen.append(nxt)
            nxt = sources[nxt]
    return problems


def _check_rego_folders(raw: Raw, doc: Document, folder: Path) -> list[Problem]:
    problems = []
    rego = (raw.section("policies") or {}).get("rego")
    for i, relative in enumerate(rego if isinstance(rego, list) else []):
        if not isinstance(relative, str):
            continue
        target = inside_folder(folder, relative)
        if target is None:
            problems.append(doc.problem(("policies", "rego", i), f"policy path {relative!r} leaves the blueprint's folder"))
        elif not target.exists():
            problems.append(doc.problem(("policies", "rego", i), f"policy path {relative!r} does not exist"))
    return problems

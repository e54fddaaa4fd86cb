"""The validate use case: load, resolve every environment and build its graph, in one pass
that collects every problem. Everything else (check, render, capacity) starts from its result."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from buttress.errors import BlueprintError, Problem, UsageError
from buttress.model.graph import Graph, build_graph
from buttress.model.parse import Blueprint, load_blueprint
from buttress.model.resolve import Environment, ResolvedModule, resolve, unrendered
from buttress.model.suggest import did_you_mean


@dataclass(frozen=True)
class Validated:
    """A valid blueprint with every environment resolved and its graph built."""

    blueprint: Blueprint
    environments: dict[str, Environment]
    graphs: dict[str, Graph]

    def warnings(self) -> list[Problem]:
        """Things validate notes but check decides on (incompatible contracts, cycles), and probes not rendered."""
        out: set[Problem] = set()
        for env_name, graph in self.graphs.items():
            env = self.environments[env_name]
            for edge in graph.edges:
                if not edge.compatible:
                    out.add(env.modules[edge.consumer].problem(
                        ("consumes", edge.index),
                        f"{edge.target}.{edge.interface} is version {edge.provider_version}, "
                        f"outside the range {edge.range} (contract-compatible)"))
            for cycle in graph.cycles:
                out.add(env.modules[cycle[0]].problem(("consumes",), "dependency cycle: " + " -> ".join(cycle)))
            for module in env.modules.values():
                out.update(unrendered(module))
        return sorted(out)


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Loading builds many small objects and no cycles; the cyclic GC only costs time here."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def validate(path: Path | str, environments: list[str] | None = None) -> Validated:
    """Load ``path`` and resolve ``environments`` (default all); ``BlueprintError`` lists every problem."""
    with _no_gc_pauses():
        return _validate(path, environments)


def _validate(path: Path | str, environments: list[str] | None) -> Validated:
    bp = load_blueprint(path)
    names = list(bp.spec.environments)
    for wanted in environments or []:
        if wanted not in bp.spec.environments:
            raise UsageError(f"environment {wanted!r} is not in the blueprint{did_you_mean(wanted, names)}"
                             f" (environments: {', '.join(names)})")
    problems: list[Problem] = []
    envs: dict[str, Environment] = {}
    graphs: dict[str, Graph] = {}
    memo: dict[str, ResolvedModule] = {}
    for name in environments or names:
        try:
            envs[name] = resolve(bp, name, memo)
            graphs[name] = build_graph(bp, envs[name])
        except BlueprintError as exc:
            problems += [p for p in exc.problems if p not in problems]  # a module's own mistake, once
    if problems:
        raise BlueprintError(problems)
    return Validated(bp, envs, graphs)

"""buttress: declare an ML or analytics system once as a blueprint, and run it safely.

The public Python API. ``load`` reads and validates a blueprint; ``resolve`` gives one
environment's merged modules; ``build_graph`` its dependency graph; ``validate`` does all three
for every environment. Everything else lives in sub-packages and may change.
"""

from buttress.app.validate import Validated, validate
from buttress.errors import BlueprintError, ButtressError, Problem, UsageError
from buttress.model.graph import Edge, Graph, build_graph
from buttress.model.parse import Blueprint, Pattern
from buttress.model.parse import load_blueprint as load
from buttress.model.resolve import Environment, ResolvedModule, resolve
from buttress.model.spec import BlueprintSpec, EnvironmentSpec, ModuleSpec, PatternSpec

__version__ = "0.1.0"

__all__ = [
    "Blueprint",
    "BlueprintError",
    "BlueprintSpec",
    "ButtressError",
    "Edge",
    "Environment",
    "EnvironmentSpec",
    "Graph",
    "ModuleSpec",
    "Pattern",
    "PatternSpec",
    "Problem",
    "ResolvedModule",
    "UsageError",
    "Validated",
    "build_graph",
    "load",
    "resolve",
    "validate",
]

"""The blueprint language v1 as pydantic models: frozen, unknown keys refused.

``parse`` validates loaded documents against these; ``buttress schema`` exports their JSON Schema.
"""

from buttress.model.spec.blueprint import (
    Approvals,
    BlueprintSpec,
    Compliance,
    EnvironmentSpec,
    ExternalSpec,
    PatternSpec,
    Policies,
    Promotion,
    ScenarioSpec,
    Waiver,
    Window,
)
from buttress.model.spec.module import (
    AccessRule,
    Backup,
    CapacitySpec,
    DataSpec,
    Interface,
    ModuleSpec,
    Probe,
    Probes,
    Replicas,
    Resources,
    Rollout,
    Scaling,
    SloSpec,
    StateSpec,
)

__all__ = [
    "AccessRule",
    "Approvals",
    "Backup",
    "BlueprintSpec",
    "CapacitySpec",
    "Compliance",
    "DataSpec",
    "EnvironmentSpec",
    "ExternalSpec",
    "Interface",
    "ModuleSpec",
    "PatternSpec",
    "Policies",
    "Probe",
    "Probes",
    "Promotion",
    "Replicas",
    "Resources",
    "Rollout",
    "Scaling",
    "ScenarioSpec",
    "SloSpec",
    "StateSpec",
    "Waiver",
    "Window",
]

"""Capacity planning: load propagation, Erlang C sizing and a ramp simulation with the autoscaler.

``plan(blueprint, environment)`` is the entry point the ``capacity`` command and the
``capacity-headroom`` control use. This package imports only ``buttress.model`` (and numpy,
matplotlib for ``plot``), never ``render`` or ``policy``.
"""

from buttress.capacity.autoscaler import AutoscalerSettings
from buttress.capacity.inputs import Objective
from buttress.capacity.plan import CapacityPlan, ModulePlan, ScenarioPlan, plan
from buttress.capacity.ramp import SimulationSettings, Trace
from buttress.capacity.totals import Resources, ResourceTotals

__all__ = [
    "AutoscalerSettings",
    "CapacityPlan",
    "ModulePlan",
    "Objective",
    "ResourceTotals",
    "Resources",
    "ScenarioPlan",
    "SimulationSettings",
    "Trace",
    "plan",
]

"""The ``capacity-headroom`` control: the capacity planner's verdicts as findings of ``check``.

For every scenario that applies to the environment (those its ``environments`` names; by default
every environment whose enforcement is not advisory — dev is not expected to carry the peak, and
``buttress capacity --env dev`` still shows how it would fare): an error for each module whose peak cannot
be served within ``scaling.replicas.max`` with every latency objective met (located where that
maximum is set), and a warning for each module whose ramp to the peak breaks a latency objective
(p95 or p99: either counts) for longer than the scenario's ``tolerance`` (default 5 min; located at
the module's capacity data). Every module is sized
analytically; the ramp is simulated only for the modules ``capacity.plan``'s ``screened`` mode picks,
so that ``check`` stays fast on large blueprints. Deterministic (seed 0, as ``buttress capacity``).
Called by ``app.check.check``.
"""

from __future__ import annotations

from buttress.app.validate import Validated
from buttress.capacity import ModulePlan, ScenarioPlan, plan
from buttress.model.resolve import ResolvedModule
from buttress.model.source import Mark
from buttress.policy.findings import Finding, Location

CONTROL = "capacity-headroom"


def _location(module: ResolvedModule, *path: str) -> Location:
    mark: Mark = module.locate(*path)
    return Location(mark.file, mark.line, mark.column)


def _findings(env_name: str, scenario: ScenarioPlan, m: ModulePlan, module: ResolvedModule) -> list[Finding]:
    prefix = f"scenario {scenario.name}: {m.module} "
    if m.verdict == "short":
        return [Finding(CONTROL, "error", env_name, m.module, prefix + m.message,
                        _location(module, "scaling", "replicas", "max"))]
    ramp = m.ramp_message(scenario.tolerance_seconds)
    if ramp is not None and m.ramp_verdict(scenario.tolerance_seconds) == "breach":
        return [Finding(CONTROL, "warning", env_name, m.module, f"{prefix}is sized for the peak, but {ramp}",
                        _location(module, "capacity"))]
    return []


def headroom_findings(validated: Validated, env_name: str) -> list[Finding]:
    """The ``capacity-headroom`` findings of every scenario in ``env_name`` (none without scenarios).

    A call cycle or an unknown interface in a scenario is a located ``BlueprintError``, as in
    ``buttress capacity``.
    """
    bp = validated.blueprint
    if not bp.spec.scenarios:
        return []
    env = validated.environments[env_name]
    held = [n for n, sc in bp.spec.scenarios.items() if sc.applies_to(env_name, env.spec.enforcement)]
    found: list[Finding] = []
    if not held:
        return found
    for scenario in plan(bp, env, held, simulate_modules="screened").scenarios:
        for m in scenario.modules:
            found += _findings(env_name, scenario, m, env.modules[m.module])
    return found

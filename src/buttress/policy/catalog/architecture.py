"""Architecture controls: public interfaces, interface contracts, dependency cycles, API access."""

from __future__ import annotations

from collections.abc import Iterator

from buttress.model.resolve import ResolvedModule
from buttress.policy.catalog.base import STRICT, Control, EnvContext, Hit, Mappings

SENSITIVE_RESOURCES = frozenset({"secrets", "pods/exec", "pods/attach", "pods/portforward", "pods/proxy",
                                 "services/proxy", "nodes/proxy", "serviceaccounts/token",
                                 "clusterroles", "roles", "rolebindings", "clusterrolebindings"})
ESCALATING_VERBS = frozenset({"escalate", "bind", "impersonate"})


def has_wildcard(values: list[str]) -> bool:
    """Whether an RBAC list holds a wildcard: ``*`` itself, or in a subresource such as ``pods/*``."""
    return any("*" in value for value in values)


def public_auth(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """Every public interface declares authentication other than ``none``."""
    for name, iface in (m.spec.provides or {}).items():
        if iface.exposure == "public" and iface.auth in (None, "none"):
            yield Hit(f"public interface {name} of {m.name} declares {'auth: none' if iface.auth else 'no auth'}; "
                      "anyone on the internet can call it", ("provides", name))


def public_protocol(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """Public interfaces speak HTTP or gRPC, so they are served through an Ingress with TLS."""
    for name, iface in (m.spec.provides or {}).items():
        if iface.exposure == "public" and iface.protocol == "tcp":
            yield Hit(f"public interface {name} of {m.name} is raw tcp, which cannot be exposed through a TLS "
                      "Ingress", ("provides", name, "protocol"))


def contract_compatible(ctx: EnvContext) -> Iterator[Hit]:
    """Every ``consumes`` range is satisfied by the provider's version."""
    for edge in ctx.graph.edges:
        if not edge.compatible:
            yield Hit(f"{edge.consumer} needs {edge.target}.{edge.interface}@{edge.range}, but "
                      f"{edge.target} provides version {edge.provider_version}", ("consumes", edge.index),
                      module=edge.consumer)


def contract_range(ctx: EnvContext) -> Iterator[Hit]:
    """Consumers of module interfaces state the version range they were built against."""
    for edge in ctx.graph.edges:
        if not edge.external and (edge.range is None or edge.range.unbounded):
            how = "without a version range" if edge.range is None else f"with the range {edge.range}, which admits any version"
            yield Hit(f"{edge.consumer} consumes {edge.target}.{edge.interface} {how}, so "
                      "breaking changes go unnoticed", ("consumes", edge.index), module=edge.consumer)


def dependency_cycle(ctx: EnvContext) -> Iterator[Hit]:
    """Modules' ``consumes`` form no cycle."""
    for cycle in ctx.graph.cycles:
        yield Hit("dependency cycle: " + " -> ".join(cycle), ("consumes",), module=cycle[0])


def access_least_privilege(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """Kubernetes API access names resources and verbs: no wildcards, no escalating verbs."""
    for i, rule in enumerate(m.spec.access or []):
        if has_wildcard(rule.verbs) or has_wildcard(rule.resources) or has_wildcard(rule.api_groups):
            yield Hit(f"access rule {i} of {m.name} uses a wildcard", ("access", i))
        bad = sorted(ESCALATING_VERBS & set(rule.verbs))
        if bad:
            yield Hit(f"access rule {i} of {m.name} grants {', '.join(bad)}, which allows privilege escalation",
                      ("access", i))


def access_sensitive(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """API access avoids secrets, exec and RBAC objects."""
    for i, rule in enumerate(m.spec.access or []):
        touched = sorted(SENSITIVE_RESOURCES & set(rule.resources))
        if touched:
            yield Hit(f"access rule {i} of {m.name} reaches {', '.join(touched)}", ("access", i))


CONTROLS = (
    Control(
        id="public-auth", title="Public interfaces require authentication", severity="error", scope="module",
        check=public_auth,
        explanation="An interface exposed to the internet without authentication can be called by anyone.",
        fix="Set auth: oidc, mtls or api-key on the interface, or make it exposure: internal.",
        mappings=Mappings(nist=("IA-2", "AC-3", "AC-17"), soc2=("CC6.1", "CC6.6"), iso27001=("8.5", "5.15"))),
    Control(
        id="public-protocol", title="Public interfaces are HTTP or gRPC", severity="error", scope="module",
        check=public_protocol,
        explanation="Public exposure goes through an Ingress that terminates TLS; raw TCP would need a "
                    "LoadBalancer Service without TLS or authentication at the edge.",
        fix="Expose an HTTP or gRPC interface, or keep the TCP interface internal.",
        mappings=Mappings(cis=("5.3.2",), nist=("SC-7", "SC-8"), soc2=("CC6.6", "CC6.7"), iso27001=("8.20", "8.21"))),
    Control(
        id="contract-compatible", title="Consumed interface versions satisfy the consumer's range", severity="error",
        scope="environment", check=contract_compatible,
        explanation="The provider's declared version is outside the semver range the consumer was built against: "
                    "the release would ship an incompatible pair.",
        fix="Update the consumer to the provider's major version and widen its range, or pin the provider.",
        mappings=Mappings(nist=("SA-8", "CM-3", "SA-10"), soc2=("CC8.1",), iso27001=("8.27", "8.32"))),
    Control(
        id="contract-range", title="Module interfaces are consumed with a version range", severity="warning",
        scope="environment", check=contract_range, profiles=STRICT,
        explanation="Without a range buttress cannot tell a breaking change of the provider from a compatible one.",
        fix="Write consumes entries as module.interface@^1.4.",
        mappings=Mappings(nist=("CM-3", "SA-10"), soc2=("CC8.1",), iso27001=("8.32",))),
    Control(
        id="dependency-cycle", title="Module dependencies form no cycle", severity="error", scope="environment",
        check=dependency_cycle,
        explanation="Modules that consume each other cannot start, roll out or be rolled back independently, and a "
                    "failure feeds back around the loop.",
        fix="Break the cycle: move the shared part into its own module, or replace one call by an event.",
        mappings=Mappings(nist=("SA-8", "SC-7(21)"), soc2=("CC9.1", "A1.2"), iso27001=("8.27",))),
    Control(
        id="access-least-privilege", title="API access has no wildcards or escalating verbs", severity="error",
        scope="module", check=access_least_privilege,
        explanation="A wildcard or escalate/bind/impersonate verb in access: grants far more than the module needs "
                    "and lets a compromised pod take over the namespace.",
        fix="List exact resources, verbs and apiGroups, e.g. {resources: [configmaps], verbs: [get]}.",
        mappings=Mappings(cis=("5.1.3", "5.1.8"), nist=("AC-6", "AC-6(10)"), soc2=("CC6.3",),
                          iso27001=("8.2", "5.18"))),
    Control(
        id="access-sensitive", title="API access avoids secrets, exec and RBAC objects", severity="warning",
        scope="module", check=access_sensitive,
        explanation="Reading secrets, exec-ing into pods or editing RBAC from a workload widens what an attacker "
                    "inside the pod can reach.",
        fix="Mount secrets through the module's secrets: map instead, and drop the access rule.",
        mappings=Mappings(cis=("5.1.2", "5.1.4"), nist=("AC-6", "AC-3"), soc2=("CC6.3",), iso27001=("8.2", "8.3"))),
)

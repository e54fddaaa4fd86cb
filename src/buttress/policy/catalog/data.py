"""Data protection controls: residency, encryption at rest, backups, classification and its flow."""

from __future__ import annotations

from collections.abc import Iterator

from buttress.model.resolve import ResolvedModule
from buttress.model.spec.base import CLASSIFICATION_RANK
from buttress.policy.catalog.base import STRICT, Control, EnvContext, Hit, Mappings

_SENSITIVE = frozenset({"confidential", "restricted"})
_PLAINTEXT_SCHEMES = frozenset({"http", "ftp", "telnet", "ldap", "ws", "amqp", "mqtt", "redis"})


def _classification(m: ResolvedModule) -> str | None:
    return m.spec.data.classification if m.spec.data else None


def region_allowed(ctx: EnvContext) -> Iterator[Hit]:
    """The environment's region is one of ``compliance.regions`` (when that list is given)."""
    allowed = ctx.blueprint.spec.compliance.regions
    region = ctx.environment.spec.region
    if allowed is not None and region is not None and region not in allowed:
        yield Hit(f"environment {ctx.environment.name} runs in {region}, outside the allowed regions "
                  f"({', '.join(allowed)})", ("environments", ctx.environment.name, "region"))


def region_defined(ctx: EnvContext) -> Iterator[Hit]:
    """Where regions are restricted, every environment says where it runs."""
    if ctx.blueprint.spec.compliance.regions is not None and ctx.environment.spec.region is None:
        yield Hit(f"environment {ctx.environment.name} declares no region, so residency cannot be checked",
                  ("environments", ctx.environment.name))


def encryption_at_rest(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """Stateful modules with confidential, restricted or unclassified data declare a KMS key for encryption at rest."""
    level = _classification(m)
    if m.spec.state is not None and (level is None or level in _SENSITIVE):
        data = m.spec.data
        if data is None or data.encryption is None or not data.encryption.at_rest:
            yield Hit(f"{m.name} stores {level or 'unclassified'} data without data.encryption.atRest", ("state",))


def backup_defined(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """Stateful modules declare a backup with an RPO and an RTO."""
    state = m.spec.state
    if state is None:
        return
    backup = state.backup
    if backup is None:
        yield Hit(f"{m.name} keeps state but declares no backup", ("state",))
        return
    missing = [k for k in ("schedule", "rpo", "rto") if getattr(backup, k) is None]
    if missing:
        yield Hit(f"{m.name}'s backup declares no {', no '.join(missing)}", ("state", "backup"))


def backup_retention(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """Backups say how long they are kept."""
    state = m.spec.state
    if state is not None and state.backup is not None and state.backup.retention is None:
        yield Hit(f"{m.name}'s backup declares no retention", ("state", "backup"))


def classification_defined(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """Every module resolves a data classification (its own, its pattern's or the defaults')."""
    if _classification(m) is None:
        yield Hit(f"{m.name} has no data.classification", ("data",) if m.spec.data else ())


def classification_flow(ctx: EnvContext) -> Iterator[Hit]:
    """A module's classification is at least that of every module and external it consumes."""
    externals = ctx.blueprint.spec.externals
    modules = ctx.environment.modules
    for edge in ctx.graph.edges:
        consumer = modules[edge.consumer]
        mine = _classification(consumer) or "internal"
        theirs = externals[edge.target].classification if edge.external else (
            _classification(modules[edge.target]) or "internal")
        if CLASSIFICATION_RANK[theirs] > CLASSIFICATION_RANK[mine]:
            what = "external" if edge.external else "module"
            yield Hit(f"{edge.consumer} ({mine}) consumes {theirs} data from {what} {edge.target}; raise its "
                      f"data.classification to {theirs}", ("consumes", edge.index), module=edge.consumer)


def external_plaintext(ctx: EnvContext) -> Iterator[Hit]:
    """Confidential or restricted externals are reached over an encrypted protocol."""
    used = {e.target for e in ctx.graph.edges if e.external}
    for name, ext in ctx.blueprint.spec.externals.items():
        if name in used and ext.classification in _SENSITIVE and ext.endpoint.scheme in _PLAINTEXT_SCHEMES:
            yield Hit(f"external {name} holds {ext.classification} data but is reached over plaintext "
                      f"{ext.endpoint.scheme}://", ("externals", name, "endpoint"))


CONTROLS = (
    Control(
        id="region-allowed", title="Environments run in allowed regions", severity="error", scope="environment",
        check=region_allowed,
        explanation="Data residency: compliance.regions lists where the system's data may be processed; an "
                    "environment elsewhere moves data across a legal boundary.",
        fix="Move the environment to an allowed region, or (with legal approval) extend compliance.regions.",
        mappings=Mappings(nist=("SA-9(5)", "AC-4"), soc2=("C1.1", "CC3.1"), iso27001=("5.31", "5.34"))),
    Control(
        id="region-defined", title="Environments declare their region", severity="warning", scope="environment",
        check=region_defined, profiles=STRICT,
        explanation="When regions are restricted, an environment without a region cannot be checked for residency.",
        fix="Set region: on the environment.",
        mappings=Mappings(nist=("SA-9(5)", "CM-8"), soc2=("C1.1",), iso27001=("5.31",))),
    Control(
        id="encryption-at-rest", title="Sensitive state is encrypted at rest", severity="error", scope="module",
        check=encryption_at_rest,
        explanation="Confidential and restricted data kept in volumes (and unclassified data, which may be either) "
                    "must be encrypted with a managed key, so a lost disk or snapshot discloses nothing.",
        fix="Set data.encryption.atRest to a KMS key reference, e.g. kms://eu/team-key.",
        mappings=Mappings(nist=("SC-28", "SC-28(1)", "SC-12"), soc2=("CC6.1", "C1.1"), iso27001=("8.24",))),
    Control(
        id="backup-defined", title="Stateful modules declare backups with RPO and RTO", severity="error",
        scope="module", check=backup_defined,
        explanation="State without a backup schedule and recovery objectives cannot be restored within a known "
                    "time or with a known loss.",
        fix="Add state.backup: {schedule: '0 * * * *', rpo: 1h, rto: 4h, retention: 30d}.",
        mappings=Mappings(nist=("CP-9", "CP-10", "CP-2"), soc2=("A1.2", "A1.3"), iso27001=("8.13", "5.30"))),
    Control(
        id="backup-retention", title="Backups declare a retention", severity="warning", scope="module",
        check=backup_retention, profiles=STRICT,
        explanation="Retention decides how far back a restore can go and how long copies of the data exist.",
        fix="Set state.backup.retention, e.g. 30d.",
        mappings=Mappings(nist=("CP-9", "SI-12"), soc2=("A1.2", "C1.2"), iso27001=("8.13", "8.10"))),
    Control(
        id="classification-defined", title="Every module has a data classification", severity="warning",
        scope="module", check=classification_defined,
        explanation="Classification drives encryption, flow and evidence controls; without it they assume internal.",
        fix="Set data.classification (public, internal, confidential, restricted), or a default under defaults:.",
        mappings=Mappings(nist=("RA-2", "AC-16"), soc2=("C1.1",), iso27001=("5.12", "5.13"))),
    Control(
        id="classification-flow", title="Data does not flow to a lower classification", severity="error",
        scope="environment", check=classification_flow,
        explanation="A module that consumes more sensitive data than it is classified for handles that data "
                    "under weaker controls.",
        fix="Raise the consumer's data.classification to at least that of what it consumes, or stop consuming it.",
        mappings=Mappings(nist=("AC-4", "AC-16"), soc2=("C1.1", "CC6.1"), iso27001=("5.12", "5.14"))),
    Control(
        id="external-plaintext", title="Sensitive externals use encrypted protocols", severity="error",
        scope="environment", check=external_plaintext,
        explanation="Confidential or restricted data must not cross the network in clear text.",
        fix="Use the TLS form of the endpoint (https://, rediss://, amqps://, ...).",
        mappings=Mappings(nist=("SC-8", "SC-8(1)"), soc2=("CC6.7",), iso27001=("8.24", "5.14"))),
)

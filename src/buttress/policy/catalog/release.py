"""Release controls: promotion approvals, soak and windows, enforcement, and the waivers themselves."""

from __future__ import annotations

from collections.abc import Iterator

from buttress.model.spec import EnvironmentSpec
from buttress.policy.catalog.base import STRICT, Control, EnvContext, Hit, Mappings


def _is_chain_end(ctx: EnvContext) -> bool:
    """Whether this environment is promoted into and promotes nowhere further (the last of a chain)."""
    envs: dict[str, EnvironmentSpec] = ctx.blueprint.spec.environments
    name = ctx.environment.name
    has_source = ctx.environment.spec.promotion is not None
    feeds = any(e.promotion is not None and e.promotion.from_ == name for e in envs.values())
    return has_source and not feeds


def _where(ctx: EnvContext, *rest: str) -> tuple[str, ...]:
    return ("environments", ctx.environment.name, "promotion", *rest)


def promotion_approvals(ctx: EnvContext) -> Iterator[Hit]:
    """The last environment of every promotion chain requires approvals (>= 2 in strict, >= 1 in baseline)."""
    if not _is_chain_end(ctx):
        return
    promotion = ctx.environment.spec.promotion
    needed = 2 if ctx.profile == "strict" else 1
    count = promotion.approvals.count if promotion and promotion.approvals else 0
    if count < needed:
        yield Hit(f"environment {ctx.environment.name} ends a promotion chain but requires {count} approval(s); "
                  f"the {ctx.profile} profile needs at least {needed}", _where(ctx, "approvals"))


def promotion_roles(ctx: EnvContext) -> Iterator[Hit]:
    """Approvals name the roles that may give them."""
    promotion = ctx.environment.spec.promotion
    if promotion and promotion.approvals and not promotion.approvals.roles:
        yield Hit(f"approvals into {ctx.environment.name} name no roles, so anyone can approve",
                  _where(ctx, "approvals"))


def promotion_soak(ctx: EnvContext) -> Iterator[Hit]:
    """The last environment of a chain requires a soak time in the environment before it."""
    promotion = ctx.environment.spec.promotion
    if _is_chain_end(ctx) and promotion and (promotion.soak is None or promotion.soak.seconds <= 0):
        yield Hit(f"promotion into {ctx.environment.name} requires no soak time in {promotion.from_}",
                  _where(ctx, "soak") if promotion.soak is not None else _where(ctx))


def promotion_window(ctx: EnvContext) -> Iterator[Hit]:
    """The last environment of a chain restricts promotions to a change window."""
    promotion = ctx.environment.spec.promotion
    if _is_chain_end(ctx) and promotion and promotion.window is None:
        yield Hit(f"promotion into {ctx.environment.name} has no change window", _where(ctx))


def enforcement_approved(ctx: EnvContext) -> Iterator[Hit]:
    """An environment that needs approvals does not run with advisory enforcement."""
    if ctx.approved and ctx.environment.spec.enforcement == "advisory":
        yield Hit(f"environment {ctx.environment.name} requires approvals but its enforcement is advisory, so "
                  "no finding ever blocks it", ("environments", ctx.environment.name, "enforcement"))


CONTROLS = (
    Control(
        id="promotion-approvals", title="The last environment of a promotion chain requires approvals",
        severity="error", scope="environment", check=promotion_approvals,
        explanation="Releases reaching production must be approved by people other than their author: at least 2 "
                    "approvals in the strict profile, 1 in baseline.",
        fix="Add promotion.approvals: {count: 2, roles: [release-manager, security]} to the environment.",
        mappings=Mappings(nist=("CM-3", "CM-3(2)", "AC-5"), soc2=("CC8.1",), iso27001=("8.32", "5.3"))),
    Control(
        id="promotion-roles", title="Approvals name the roles allowed to give them", severity="warning",
        scope="environment", check=promotion_roles,
        explanation="Without roles any user can approve, and separation of duties cannot be shown.",
        fix="Add promotion.approvals.roles, e.g. [release-manager, security].",
        mappings=Mappings(nist=("AC-5", "CM-3(4)"), soc2=("CC8.1", "CC5.1"), iso27001=("5.3", "8.32"))),
    Control(
        id="promotion-soak", title="Promotions to the last environment soak first", severity="warning",
        scope="environment", check=promotion_soak, profiles=STRICT,
        explanation="A soak time in the previous environment catches slow leaks and nightly-job failures before "
                    "production.",
        fix="Set promotion.soak, e.g. 24h.",
        mappings=Mappings(nist=("CM-3(2)", "CM-4"), soc2=("CC8.1",), iso27001=("8.32", "8.29"))),
    Control(
        id="promotion-window", title="Promotions to the last environment happen in a change window",
        severity="warning", scope="environment", check=promotion_window, profiles=STRICT,
        explanation="Changes outside staffed hours wait longer for someone to notice and roll back.",
        fix="Set promotion.window: {days: [mon, tue, wed, thu], hours: '08:00-16:00', timezone: Europe/Berlin}.",
        mappings=Mappings(nist=("CM-3", "CM-5"), soc2=("CC8.1",), iso27001=("8.32",))),
    Control(
        id="enforcement-approved", title="Approved environments are not advisory", severity="error",
        scope="environment", check=enforcement_approved,
        explanation="An environment that needs approvals is production-like; advisory enforcement there means no "
                    "control can stop a release.",
        fix="Set enforcement: mandatory (or strict) on the environment.",
        mappings=Mappings(cis=("5.2.1",), nist=("CM-6", "CA-7"), soc2=("CC7.1", "CC8.1"), iso27001=("8.9",))),
    Control(
        id="waiver-valid", title="Waivers are current and name real controls and modules", severity="error",
        scope="waivers",
        explanation="A waiver must name an existing control and existing modules, and expire within 180 days of the "
                    "check date. An expired, too-distant or dangling waiver waives nothing and is reported itself.",
        fix="Renew the waiver with a new approval and an expiry at most 180 days ahead, fix its control or module "
            "names, or remove it once the finding is fixed.",
        mappings=Mappings(nist=("CA-5", "PM-4", "CA-7"), soc2=("CC3.2", "CC4.2"), iso27001=("5.36", "8.8"))),
    Control(
        id="waiver-unused", title="Waivers still waive something", severity="warning", scope="waivers",
        profiles=STRICT,
        explanation="A waiver that matches no finding is stale: the issue was fixed, or the waiver no longer says "
                    "what it was meant to; either way it should go before it silently covers a new finding.",
        fix="Remove the waiver (or correct its control and modules).",
        mappings=Mappings(nist=("CA-5", "CA-7"), soc2=("CC4.2",), iso27001=("5.36",))),
)

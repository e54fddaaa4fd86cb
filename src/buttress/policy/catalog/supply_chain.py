"""Supply-chain and secrets controls: inline secrets (in every resolved module and everywhere else a
value is written in the blueprint), image digests and registries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from buttress.model.resolve import ResolvedModule
from buttress.model.source import KeyPath
from buttress.policy.catalog.base import STRICT, Control, EnvContext, Hit, Mappings
from buttress.secrets import looks_secret

_NOT_SCANNED = frozenset({"secrets", "image", "extends", "kind", "consumes", "resources", "scaling", "slo",
                          "rollout", "schedule", "capacity"})
"""Module keys that hold references or typed values (quantities, durations, names) validated by the
spec, so no free text (and so no secret) can be written there."""
_ENTROPY_KEYS = frozenset({"env", "args", "command", "labels"})
"""Where random-looking strings are suspicious; elsewhere only known token patterns count."""


def _strings(value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    """Every string value under ``value`` with its path, and numbers written where text goes (a numeric password)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*path, i))
    elif isinstance(value, str):
        yield path, value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, str(value)


def _keys(value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    """Every mapping key under ``value`` with its path (a label's name is written into manifests too)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key), str(key)
            yield from _keys(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _keys(item, (*path, i))


_MERGED_INTO_MODULES = frozenset({"modules", "defaults"})
"""Top-level keys whose values reach the resolved modules (scanned there, once per module)."""


def _secret_hit(path: KeyPath, reason: str, module: str | None) -> Hit:
    where = ".".join(str(p) for p in path)
    return Hit(f"{where} holds what looks like {reason}; the value is not shown. Move it to a secret store and "
               "reference it under a module's secrets: (vault://path#key)", path, module=module)


def _flag_values(value: Any) -> dict[Any, str]:
    """In an ``args`` or ``command`` list, the index of each item that follows a flag written apart from its
    value (``--db-password``, then the value) -> the flag's name."""
    if not isinstance(value, list):
        return {}
    return {i + 1: flag.lstrip("-") for i, flag in enumerate(value[:-1])
            if isinstance(flag, str) and flag.startswith("-") and "=" not in flag and flag.strip("-")
            and not (isinstance(value[i + 1], str) and value[i + 1].startswith("-"))}  # a switch, then a flag


def _module_secrets(m: ResolvedModule) -> Iterator[Hit]:
    """Every string and key the module writes, except secret references and typed values; and its image
    reference (known token formats only), which the manifests write and the image controls' messages would show."""
    for key, value in m.data.items():
        if key in _NOT_SCANNED:
            continue
        flags = _flag_values(value) if key in ("args", "command") else {}
        for path, text in _strings(value, (key,)):
            name = str(path[-1]) if key == "env" else flags.get(path[1]) if len(path) == 2 else None
            reason = looks_secret(text, name=name, entropy_check=key in _ENTROPY_KEYS)
            if reason:
                yield _secret_hit(path, reason, m.name)
        for path, text in _keys(value, (key,)):  # names: known token formats only
            reason = looks_secret(text, entropy_check=False)
            if reason:
                yield _secret_hit(path, reason, m.name)
    image = m.spec.image
    reason = looks_secret(str(image), entropy_check=False) if image is not None else None
    if reason:
        yield _secret_hit(("image",), reason, m.name)


def _blueprint_secrets(data: Any) -> Iterator[Hit]:
    """Every other string of the blueprint file: description, externals, environments (their overrides
    reach the modules), scenarios, policies and waivers. Known token formats only: free text there
    (descriptions, reasons) is not judged by its randomness."""
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if key in _MERGED_INTO_MODULES:
            continue
        for path, text in _strings(value, (key,)):
            if key == "environments" and len(path) > 2 and path[2] == "overrides":
                continue
            reason = looks_secret(text, name=None, entropy_check=False)
            if reason:
                yield _secret_hit(path, reason, None)


def secret_inline(ctx: EnvContext) -> Iterator[Hit]:
    """No string written in the blueprint, except secret references, looks like a secret."""
    for m in ctx.environment.modules.values():
        yield from _module_secrets(m)
    yield from _blueprint_secrets(ctx.blueprint.document.data)


def image_digest(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """The image is pinned by a full sha256 digest."""
    image = m.spec.image
    if image is not None and not image.pinned:
        yield Hit(f"image {image.repository} is not pinned by digest (tag {image.tag or 'none'}); "
                  "use @sha256:<digest>", ("image",))


def image_registry(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """The image comes from one of ``compliance.registries`` (when that list is given)."""
    allowed = ctx.blueprint.spec.compliance.registries
    image = m.spec.image
    if allowed is None or image is None:
        return
    repo = image.repository
    if not any(repo == p.rstrip("/") or repo.startswith(p.rstrip("/") + "/") for p in allowed):
        yield Hit(f"image repository {repo} is outside the allowed registries ({', '.join(allowed)})", ("image",))


def image_mutable_tag(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """An image names a tag other than ``latest`` (or a digest), so builds are traceable."""
    image = m.spec.image
    if image is not None and image.digest is None and image.tag in (None, "latest"):
        yield Hit(f"image {image.repository} uses {'the latest tag' if image.tag else 'no tag'}, which moves",
                  ("image",))


CONTROLS = (
    Control(
        id="secret-inline", title="No secret values written in the blueprint", severity="error", scope="environment",
        check=secret_inline,
        explanation="A value that looks like a credential (known token formats, private keys, passwords in URLs, "
                    "or a high-entropy string in env, args, command or labels) was written where anyone who can "
                    "read the repository, the rendered manifests or the logs can read it. buttress never echoes it.",
        fix="Revoke the credential, store it in a secret manager and reference it under the module's secrets: "
            "map, e.g. secrets: {API_TOKEN: vault://secret/team/app#token}.",
        mappings=Mappings(cis=("5.4.1", "5.4.2"), nist=("IA-5(7)", "SC-28", "SC-12"), soc2=("CC6.1", "CC6.7"),
                          iso27001=("5.17", "8.24", "8.28"))),
    Control(
        id="image-digest", title="Images are pinned by digest", severity="error", scope="module", check=image_digest,
        explanation="A tag can be moved to different content at any time, so what runs is not what was reviewed "
                    "or scanned. A digest names exactly one image.",
        fix="Pin the image: image: registry.example.com/team/app@sha256:<64 hex> (e.g. from `crane digest`).",
        mappings=Mappings(cis=("5.5.1",), nist=("CM-14", "SI-7", "SR-11"), soc2=("CC7.1", "CC8.1"),
                          iso27001=("8.19", "8.32"))),
    Control(
        id="image-registry", title="Images come from allowed registries", severity="error", scope="module",
        check=image_registry,
        explanation="Images from registries outside compliance.registries bypass the organisation's scanning, "
                    "signing and retention.",
        fix="Mirror the image into an allowed registry, or add the registry prefix to compliance.registries.",
        mappings=Mappings(cis=("5.5.1",), nist=("CM-7(5)", "SR-3", "SA-9"), soc2=("CC6.8", "CC7.1"),
                          iso27001=("5.23", "8.19"))),
    Control(
        id="image-mutable-tag", title="Images name a version, not latest", severity="warning",
        scope="module", check=image_mutable_tag, profiles=STRICT,
        explanation="An untagged or latest image cannot be traced to a build, even in environments that allow tags.",
        fix="Use a version tag at least, and a digest wherever enforcement is mandatory.",
        mappings=Mappings(nist=("CM-2", "CM-8"), soc2=("CC8.1",), iso27001=("8.9",))),
)

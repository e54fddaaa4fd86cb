"""The init use case: scaffold a small, valid, commented blueprint a new user can start from."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from string import Template

from buttress.errors import UsageError
from buttress.model.units import is_dns_label

_FILES = ("blueprint.yaml", "patterns/web-service.yaml")
MAX_NAME = 63 - len("-prod")
"""The longest name whose namespaces (``<name>-dev``, ``<name>-prod``) are still DNS-1123 labels."""


def scaffold(folder: Path, name: str | None = None) -> list[Path]:
    """Write a starter blueprint into ``folder`` (new or empty); returns the files written."""
    name = name or folder.resolve().name.lower()
    if not is_dns_label(name):
        raise UsageError(f"{name!r} is not a DNS-1123 label: pass --name with lower-case letters, digits and '-'")
    if len(name) > MAX_NAME:
        raise UsageError(f"{name!r} has {len(name)} characters; pass a --name of at most {MAX_NAME}: the environments' "
                         f"namespaces are {name[:8]}…-dev and …-prod, DNS-1123 labels of at most 63")
    if folder.exists() and any(folder.iterdir()):
        raise UsageError(f"{folder} is not empty: buttress init writes into a new or empty folder")
    root = resources.files("buttress.app") / "scaffold"
    written = []
    for relative in _FILES:
        text = Template((root / relative).read_text(encoding="utf-8")).substitute(name=name)
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written

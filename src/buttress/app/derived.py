"""Which strings of an environment's render buttress derived from the environment's name and
namespace, and which it only carried over from the blueprint as the user wrote them.

``buttress diff --from A --to B`` maps A's names onto B's (``fraud-dev-case-store`` is
``fraud-prod-case-store``), but must not map a user's own value: ``s3://models/dev/model.pkl``
against ``s3://models/prod/model.pkl`` is a real difference. The environment is rendered again
under stand-in names, and every string that changed is one buttress derived. Strings, not places:
a value the user wrote that is itself one of them (exactly the environment's name or namespace,
``APP_ENV: dev``) is mapped as they are. Called by ``app.diff``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import yaml

from buttress.app.render import environment_files
from buttress.app.validate import Validated
from buttress.render.yamlio import load_all

STAND_IN = "zqenvironmentqz"
"""The environment's name in the second render: a word no blueprint holds by chance."""


def derived_strings(validated: Validated, env_name: str, files: dict[str, bytes]) -> set[str]:
    """The strings (values, keys, lines of text files) of ``files``, the render of ``env_name``,
    that a render of the same environment under another name and namespace writes otherwise."""
    env = validated.environments[env_name]
    spec = env.spec.model_copy(update={"namespace": f"{STAND_IN}-ns"})
    twin = dataclasses.replace(env, name=STAND_IN, spec=spec)
    other = environment_files(validated.blueprint, twin, validated.graphs[env_name])
    out: set[str] = set()
    for (path, content), (_, twin_content) in zip(files.items(), other.items(), strict=False):
        if content != twin_content:
            _collect(_parsed(path, content), _parsed(path, twin_content), out)
    return out


def _parsed(path: str, content: bytes) -> Any:
    """A file as the diff reads it: YAML documents, JSON, or lines."""
    try:
        if path.endswith((".yaml", ".yml")):
            return load_all(content)
        if path.endswith(".json"):
            return json.loads(content)
    except (yaml.YAMLError, ValueError):
        pass
    return content.decode(errors="replace").splitlines()


def _collect(a: Any, b: Any, out: set[str]) -> None:
    """Add to ``out`` every string of ``a`` that ``b`` holds otherwise at the same place."""
    if isinstance(a, str):
        if a != b:
            out.add(a)
    elif isinstance(a, dict) and isinstance(b, dict):
        for (key, value), (other_key, other) in zip(a.items(), b.items(), strict=False):
            if isinstance(key, str) and key != other_key:
                out.add(key)
            _collect(value, other, out)
    elif isinstance(a, list) and isinstance(b, list):
        for value, other in zip(a, b, strict=False):
            _collect(value, other, out)

"""The base model every spec model shares: frozen, camelCase keys, unknown keys refused."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

Classification = Literal["public", "internal", "confidential", "restricted"]
CLASSIFICATION_RANK: dict[str, int] = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}


class Spec(BaseModel):
    """Base of every blueprint model."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,  # a blueprint spells keys as BLUEPRINT.md does: approvedBy, never approved_by
        strict=False,
        use_attribute_docstrings=True,
    )

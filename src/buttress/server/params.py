"""Path and query parameters the API shares, with the patterns that turn bad input into 422."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

RELEASE_PATTERN = r"^#?[A-Za-z0-9][A-Za-z0-9-]{0,39}$"
ENV_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,199}$"

ReleaseRef = Annotated[str, Path(pattern=RELEASE_PATTERN, description="Release ID, unique prefix, or number.")]
EnvName = Annotated[str, Path(pattern=ENV_PATTERN, description="Environment name.")]
EnvQuery = Annotated[str | None, Query(pattern=ENV_PATTERN, description="Only this environment.")]
IdentityName = Annotated[str, Path(pattern=NAME_PATTERN, description="An identity.")]

"""Fuzz the API with schemathesis against its own ``/openapi.json``: for every operation a bounded number of
generated requests (valid and invalid), sent as an admin; no answer may be a 5xx."""

from __future__ import annotations

from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

World = Any  # the ``world`` fixture of conftest.py
EXAMPLES = 12  # per operation (~30 operations): a few seconds in all


def test_server_fuzz_openapi_no_server_error(world: World) -> None:
    app = world.client("alice").app
    auth = {"Authorization": f"Bearer {world.tokens['alice']}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    real = {"ref": world.release, "env": "prod", "seq": "3", "identity": "eve", "name": "fraud-detection"}
    failures: list[str] = []
    seen: dict[str, set[int]] = {}

    for operation in operations:
        _fuzz(operation, auth, real, failures, seen.setdefault(operation.label, set()))()
    assert not failures, "\n".join(failures[:10])
    assert all(seen.values())
    assert any(422 in codes for codes in seen.values())  # the fuzzer did reach the validation
    assert sum(1 for codes in seen.values() if any(code < 300 for code in codes)) >= 20  # valid ones went through


def _fuzz(operation: Any, auth: dict[str, str], real: dict[str, str], failures: list[str], codes: set[int]) -> Any:
    """A hypothesis test sending ``EXAMPLES`` generated requests to one operation: valid ones, invalid ones,
    and valid ones naming things that exist (so that they get past the 404s)."""
    known = {name: value for name, value in real.items() if f"{{{name}}}" in operation.path}
    strategy = st.one_of(operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE),
                         *([operation.as_strategy(path_parameters=known)] if known else []))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
    def probe(case: Any) -> None:
        answer = case.call(headers=auth)
        codes.add(answer.status_code)
        if answer.status_code >= 500:
            failures.append(f"{operation.label}: {answer.status_code} for {case.as_curl_command()}")

    return probe

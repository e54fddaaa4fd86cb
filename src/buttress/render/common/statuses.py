"""How a request counter tells failed requests apart, in one place: HTTP status codes on ``code``, or a
gRPC server counter's (``grpc_server_handled_total``, as go-grpc-prometheus and its ports name it)
status on ``grpc_code``. Called by the SLIs, the dashboards, the promtool tests
(``render.signals``, ``render.dashboards``, ``render.monitoring``) and the rollout analysis
(``render.kubernetes.rollouts``), so that none of them counts failures differently.
"""

from __future__ import annotations

ERROR_CODES = '5..'
"""HTTP status codes of failed requests (label ``code``)."""
GRPC_ERROR_CODES = "Unknown|DeadlineExceeded|Unimplemented|Internal|Unavailable|DataLoss"
"""gRPC status codes of a server's own faults (label ``grpc_code``), as the SRE practice counts them;
client errors (InvalidArgument, NotFound, ...) do not spend the budget."""


def status_label(metric: str) -> str:
    """The label a request counter carries its status in: ``grpc_code`` for a gRPC server counter
    (``grpc_server_handled_total``, as go-grpc-prometheus and its ports name it), else ``code``."""
    return "grpc_code" if metric.startswith("grpc_") else "code"


def failed(metric: str) -> dict[str, str]:
    """The regex matcher selecting a request counter's failed requests: 5xx, or a gRPC server fault."""
    label = status_label(metric)
    return {label: GRPC_ERROR_CODES if label == "grpc_code" else ERROR_CODES}


def example_statuses(metric: str) -> tuple[str, str]:
    """A succeeding and a failing status of a request counter (synthetic series for unit tests)."""
    return ("OK", "Unavailable") if status_label(metric) == "grpc_code" else ("200", "500")

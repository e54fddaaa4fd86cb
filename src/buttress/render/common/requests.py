"""A module's request metrics, in one place: the SLI metric names (``metrics:`` or the defaults), and how a
request counter tells failed requests apart (HTTP status codes on ``code``, or a gRPC server counter's —
``grpc_server_handled_total``, as go-grpc-prometheus and its ports name it — status on ``grpc_code``).
Called by the SLIs, the dashboards, the promtool tests (``render.signals``, ``render.dashboards``,
``render.monitoring``), the autoscaling triggers and the rollout analysis (``render.kubernetes``), so that
none of them reads another metric or counts failures differently.
"""

from __future__ import annotations

from buttress.model.resolve import ResolvedModule

DEFAULT_REQUESTS = "http_requests_total"
DEFAULT_DURATION = "http_request_duration_seconds"

ERROR_CODES = '5..'
"""HTTP status codes of failed requests (label ``code``)."""
GRPC_ERROR_CODES = "Unknown|DeadlineExceeded|Unimplemented|Internal|Unavailable|DataLoss"
"""gRPC status codes of a server's own faults (label ``grpc_code``), as the SRE practice counts them;
client errors (InvalidArgument, NotFound, ...) do not spend the budget."""


def requests_metric(module: ResolvedModule) -> str:
    """The request counter (labels ``code`` or ``grpc_code``, ...) of a module."""
    metrics = module.spec.metrics
    return metrics.requests if metrics and metrics.requests else DEFAULT_REQUESTS


def duration_metric(module: ResolvedModule) -> str:
    """The request-duration histogram's base name (``_bucket``, ``_count``, ``_sum`` series)."""
    metrics = module.spec.metrics
    return metrics.duration if metrics and metrics.duration else DEFAULT_DURATION


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

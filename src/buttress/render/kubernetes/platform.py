"""What the renderer assumes the platform provides, in one place: the in-cluster Prometheus
(for KEDA triggers and Argo Rollouts analysis; its namespace and the scrape convention are
``buttress.render.common.scrape``'s, the SLI metric names ``render.common.requests``').
Called by ``scaling`` and ``rollouts``.
"""

from __future__ import annotations

from buttress.model.resolve import ResolvedModule
from buttress.render.common.requests import duration_metric, requests_metric
from buttress.render.common.scrape import PROMETHEUS_URL

__all__ = ["PROMETHEUS_URL", "RATE_WINDOW", "latency_quantile", "request_rate", "series"]

RATE_WINDOW = "2m"


def series(namespace: str, service: str, extra: str = "") -> str:
    """The PromQL label matcher selecting the series scraped through ``service`` (a module's
    Service is named after it) in ``namespace``."""
    return f'{{namespace="{namespace}",service="{service}"{extra}}}'


def request_rate(namespace: str, module: ResolvedModule, extra: str = "", service: str | None = None) -> str:
    """``sum(rate(requests{...}[2m]))`` for the module (through ``service``, by default its own)."""
    return f"sum(rate({requests_metric(module)}{series(namespace, service or module.name, extra)}[{RATE_WINDOW}]))"


def latency_quantile(namespace: str, module: ResolvedModule, quantile: float, service: str | None = None) -> str:
    """The module's request-latency quantile in seconds over the rate window (``service``: as ``request_rate``)."""
    bucket = f"{duration_metric(module)}_bucket{series(namespace, service or module.name)}"
    return f"histogram_quantile({quantile}, sum(rate({bucket}[{RATE_WINDOW}])) by (le))"

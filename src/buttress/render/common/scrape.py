"""How Prometheus reaches a module's metrics: the platform's scrape convention, in one place.

- Prometheus runs in the namespace ``monitoring`` (``MONITORING_NAMESPACE``; its pods carry
  ``app.kubernetes.io/name: prometheus``, as prometheus-operator labels them, and the namespace
  the ``kubernetes.io/metadata.name`` label Kubernetes gives every namespace).
- A module *exposes metrics* when it runs long (``service`` or ``worker``) and serves an
  interface or declares an ``slo`` or ``metrics:`` — the modules whose series the rules, the
  dashboards and the rollout analysis read. Jobs and cron jobs are observed through
  kube-state-metrics instead.
- Such a module serves Prometheus metrics over HTTP at ``/metrics`` on its own port
  ``METRICS_PORT`` (named ``metrics``), apart from its interfaces: the metrics stay off any
  public interface and its Ingress, gRPC servers and workers are scraped the same way, and the
  port is opened to the monitoring pods only.
- It is scraped through its Service named after it (a ServiceMonitor keeps that Service only, not
  the headless or preview one), so its series carry ``job=<module>`` and ``service=<module>``
  in the environment's namespace.

Called by the Kubernetes renderer (container and Service ports, the NetworkPolicy rule that lets
Prometheus in, the ServiceMonitor, the Prometheus address of analysis and autoscaling).
"""

from __future__ import annotations

from buttress.model.resolve import ResolvedModule

MONITORING_NAMESPACE = "monitoring"
PROMETHEUS_POD_LABELS = {"app.kubernetes.io/name": "prometheus"}
PROMETHEUS_URL = f"http://prometheus-operated.{MONITORING_NAMESPACE}.svc:9090"
METRICS_PORT = 9464
METRICS_PORT_NAME = "metrics"
METRICS_PATH = "/metrics"
SCRAPE_INTERVAL = "30s"


def exposes_metrics(module: ResolvedModule) -> bool:
    """Whether Prometheus scrapes ``module`` (see the module docstring)."""
    spec = module.spec
    return bool(module.long_running and (spec.provides or spec.slo is not None or spec.metrics is not None))


def monitoring_peer() -> dict[str, dict[str, dict[str, str]]]:
    """The NetworkPolicy peer of the Prometheus pods in the monitoring namespace."""
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}},
            "podSelector": {"matchLabels": dict(PROMETHEUS_POD_LABELS)}}

"""Which Prometheus series describe a module, and how a selector for them is written.

One place for the scrape conventions every observing renderer relies on: the series of the module's SLI
metrics (named by ``render.common.requests``), the job label a ServiceMonitor gives its targets
(``job=<module>`` in the environment's namespace), and the platform exporters' series
(kube-state-metrics, cAdvisor, kafka-exporter, Velero). Called by ``signals.alerts``, the
monitoring rules, the dashboards and the PromQL reference test.
"""

from __future__ import annotations

from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.common.queues import KAFKA_LAG_METRIC, RABBITMQ_READY_METRIC
from buttress.render.common.requests import duration_metric, requests_metric

#: Series the platform's exporters provide; dashboards and rules may use these beside the modules' own.
PLATFORM_SERIES: frozenset[str] = frozenset({
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
    "kube_pod_container_resource_requests",
    "kube_pod_status_ready",
    "kube_cronjob_status_last_successful_time",
    "kube_job_failed",
    KAFKA_LAG_METRIC,
    RABBITMQ_READY_METRIC,
    "velero_backup_last_successful_timestamp",
    "ALERTS",
})


def module_series(module: ResolvedModule) -> set[str]:
    """Every series name the module itself exposes for its SLIs."""
    duration = duration_metric(module)
    return {requests_metric(module), f"{duration}_bucket", f"{duration}_count", f"{duration}_sum"}


def quote(value: str) -> str:
    """A PromQL string literal."""
    if "\\" in value or '"' in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{value}"'


def selector(labels: dict[str, str], regex: dict[str, str] | None = None) -> str:
    """``{a="x",b=~"y"}`` from equality and regular-expression matchers, in the given order."""
    parts = [f"{k}={quote(v)}" for k, v in labels.items()]
    if regex:
        parts += [f"{k}=~{quote(v)}" for k, v in regex.items()]
    return "{" + ",".join(parts) + "}"


def target_labels(env: Environment, module: str) -> dict[str, str]:
    """The labels that select a module's scraped series in an environment."""
    return {"namespace": str(env.spec.namespace), "job": module}


def pod_labels(env: Environment, module: str) -> tuple[dict[str, str], dict[str, str]]:
    """Equality and regex matchers selecting a module's pods' container series (cAdvisor, kube-state-metrics)."""
    return {"namespace": str(env.spec.namespace), "container": module}, {"pod": f"{module}-.*"}

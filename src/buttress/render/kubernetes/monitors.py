"""A prometheus-operator ``ServiceMonitor`` per module that exposes metrics: Prometheus scrapes
``/metrics`` on the ``metrics`` port of the module's Service named after it — only that Service,
not the headless or blue-green preview one that select the same pods — so that the module's
series carry ``job=<module>`` and ``service=<module>``, as the rules, dashboards and rollout
analysis expect (``render.common.scrape``). Called by ``render_objects``.
"""

from __future__ import annotations

from buttress.model.resolve import ResolvedModule
from buttress.render.common.scrape import METRICS_PATH, METRICS_PORT_NAME, SCRAPE_INTERVAL, exposes_metrics
from buttress.render.kubernetes.labels import Context, Obj


def service_monitor(ctx: Context, module: ResolvedModule) -> list[Obj]:
    """The module's ServiceMonitor, or nothing when Prometheus does not scrape it."""
    if not exposes_metrics(module):
        return []
    endpoint: Obj = {
        "port": METRICS_PORT_NAME,
        "path": METRICS_PATH,
        "scheme": "http",
        "interval": SCRAPE_INTERVAL,
        "relabelings": [{"action": "keep", "sourceLabels": ["__meta_kubernetes_service_name"],
                         "regex": module.name}],
    }
    return [{"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
             "metadata": ctx.module_meta(module, module.name),
             "spec": {"selector": {"matchLabels": ctx.selector(module.name)},
                      "namespaceSelector": {"matchNames": [ctx.namespace]},
                      "endpoints": [endpoint]}}]

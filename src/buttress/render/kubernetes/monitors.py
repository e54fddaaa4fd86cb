"""A prometheus-operator ``ServiceMonitor`` per module that exposes metrics: Prometheus scrapes
``/metrics`` on the ``metrics`` port of the module's Service named after it — not the headless
twin that selects the same pods — so that the module's series carry ``job=<module>`` and
``service=<module>``, as the rules, dashboards and rollout analysis expect
(``render.common.scrape``). A blue-green module's preview Service is scraped too: during a
rollout it alone selects the new pods, whose series (``service=<module>-preview``, which no rule
or dashboard reads) the pre-promotion analysis measures (``rollouts``); between rollouts both
Services select the same pods, scraped once per Service. Called by ``render_objects``.
"""

from __future__ import annotations

from buttress.model.resolve import ResolvedModule
from buttress.render.common.scrape import METRICS_PATH, METRICS_PORT_NAME, SCRAPE_INTERVAL, exposes_metrics
from buttress.render.kubernetes.labels import Context, Obj
from buttress.render.kubernetes.rollouts import preview_service


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
                         "regex": "|".join(filter(None, (module.name, preview_service(module))))}],
    }
    return [{"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
             "metadata": ctx.module_meta(module, module.name),
             "spec": {"selector": {"matchLabels": ctx.selector(module.name)},
                      "namespaceSelector": {"matchNames": [ctx.namespace]},
                      "endpoints": [endpoint]}}]

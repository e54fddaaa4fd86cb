"""Segmentation from the dependency graph, exposure, scaling and rollouts of the fraud-detection example."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import FRAUD, edit
from tests.render.conftest import Schemas
from tests.render.helpers import WORKLOAD_KINDS, Obj, one, pick, pod_spec, render

from buttress.errors import BlueprintError

INGRESS_PEER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}}}
MONITORING_PEER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                   "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}
METRICS_PORT = 9464
SCRAPE_RULE = {"from": [MONITORING_PEER], "ports": [{"protocol": "TCP", "port": METRICS_PORT}]}
SCRAPED = {"features", "scorer", "case-store"}
"""The example's modules that expose metrics: long-running, with interfaces or an SLO (not the
SLO-less worker label-ingest, not the cron job retrain)."""


def _peer(module: str) -> dict[str, object]:
    return {"podSelector": {"matchLabels": {"app.kubernetes.io/name": module,
                                            "app.kubernetes.io/part-of": "fraud-detection"}}}


@pytest.fixture(scope="module")
def prod() -> list[Obj]:
    return render(FRAUD, "prod")


def test_default_deny_and_dns(prod: list[Obj]) -> None:
    deny = one(prod, "NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = one(prod, "NetworkPolicy", "allow-dns")["spec"]
    assert dns["policyTypes"] == ["Egress"] and "ingress" not in dns
    assert {p["port"] for p in dns["egress"][0]["ports"]} == {53}


def test_each_edge_opens_exactly_the_interface_port_both_ways(prod: list[Obj]) -> None:
    features = one(prod, "NetworkPolicy", "features")["spec"]
    assert features["ingress"] == [{"from": [_peer("scorer")], "ports": [{"protocol": "TCP", "port": 8080}]},
                                   SCRAPE_RULE]
    scorer = one(prod, "NetworkPolicy", "scorer")["spec"]
    assert {"to": [_peer("features")], "ports": [{"protocol": "TCP", "port": 8080}]} in scorer["egress"]
    case_store = one(prod, "NetworkPolicy", "case-store")["spec"]
    assert case_store["ingress"] == [SCRAPE_RULE]  # nobody consumes cases; Prometheus scrapes it
    assert case_store["egress"] == [{"to": [_peer("scorer")], "ports": [{"protocol": "TCP", "port": 8080}]}]
    assert scorer["ingress"] == [
        {"from": [_peer("case-store")], "ports": [{"protocol": "TCP", "port": 8080}]},
        {"from": [INGRESS_PEER], "ports": [{"protocol": "TCP", "port": 8080}]},
        SCRAPE_RULE]


def test_ingress_controller_only_reaches_public_interfaces(prod: list[Obj]) -> None:
    for policy in pick(prod, "NetworkPolicy"):
        reaches = any(INGRESS_PEER in rule["from"] for rule in policy["spec"].get("ingress", []))
        assert reaches is (policy["metadata"]["name"] == "scorer")


def test_externals_are_port_scoped_with_a_comment_unless_cidrs_are_given(prod: list[Obj], fraud: Path) -> None:
    policy = one(prod, "NetworkPolicy", "label-ingest")
    assert policy["spec"]["egress"] == [{"ports": [{"protocol": "TCP", "port": 9093}]},
                                        {"ports": [{"protocol": "TCP", "port": 5432}]}]
    note = policy["metadata"]["annotations"]["buttress.dev/egress-port-scoped"]
    assert "events (kafka.internal.example.com:9093)" in note and "cidrs" in note
    edit(fraud / "blueprint.yaml", "endpoint: postgres://txdb.internal.example.com:5432\n",
         "endpoint: postgres://txdb.internal.example.com:5432\n    cidrs: [10.20.0.0/16, 10.10.0.0/24]\n")
    policy = one(render(fraud, "prod"), "NetworkPolicy", "label-ingest")
    assert {"to": [{"ipBlock": {"cidr": "10.10.0.0/24"}}, {"ipBlock": {"cidr": "10.20.0.0/16"}}],
            "ports": [{"protocol": "TCP", "port": 5432}]} in policy["spec"]["egress"]
    assert "txdb" not in policy["metadata"]["annotations"]["buttress.dev/egress-port-scoped"]


def test_nothing_else_is_open(prod: list[Obj]) -> None:
    """Every allowed port is a DNS port, an interface port, an external's port, the metrics port
    for Prometheus only, or — for the one module that declares ``access`` — the Kubernetes API's;
    every ingress rule names its peers (no ingress from anywhere)."""
    allowed = {53, 8080, 9090, 5432, 443, 9093}
    for policy in pick(prod, "NetworkPolicy"):
        spec = policy["spec"]
        api = {6443} if policy["metadata"]["name"] == "retrain" else set()
        for rule in spec.get("ingress", []):
            assert rule.get("from"), policy["metadata"]["name"]
        for rule in spec.get("ingress", []) + spec.get("egress", []):
            ports = {p["port"] for p in rule["ports"]}
            if MONITORING_PEER in rule.get("from", []):
                assert rule == SCRAPE_RULE
                continue
            assert rule["ports"] and ports <= allowed | api
            assert METRICS_PORT not in ports


def test_prometheus_reaches_exactly_the_metrics_port_of_every_module_that_exposes_metrics(
        prod: list[Obj], schemas: Schemas) -> None:
    """Default deny would keep Prometheus out: each scraped module opens its metrics port to the
    Prometheus pods of the monitoring namespace — that port, those pods, nothing more — and has a
    ServiceMonitor (valid against the prometheus-operator CRD) scraping it through its Service."""
    opened = {p["metadata"]["name"] for p in pick(prod, "NetworkPolicy")
              for rule in p["spec"].get("ingress", []) if MONITORING_PEER in rule["from"]}
    assert opened == SCRAPED
    for policy in pick(prod, "NetworkPolicy"):
        scrape = [r for r in policy["spec"].get("ingress", []) if MONITORING_PEER in r["from"]]
        assert scrape == ([SCRAPE_RULE] if policy["metadata"]["name"] in SCRAPED else [])
    monitors = {m["metadata"]["name"]: m for m in pick(prod, "ServiceMonitor")}
    assert set(monitors) == SCRAPED
    for name, monitor in monitors.items():
        assert schemas.errors(monitor) == []
        spec = monitor["spec"]
        assert spec["selector"] == {"matchLabels": {"app.kubernetes.io/name": name,
                                                    "app.kubernetes.io/part-of": "fraud-detection"}}
        assert spec["namespaceSelector"] == {"matchNames": ["fraud-prod"]}
        [endpoint] = spec["endpoints"]
        assert (endpoint["port"], endpoint["path"]) == ("metrics", "/metrics")
        # Only the Service named after the module (job=<module>), not its headless twin (no module here
        # is blue-green, whose preview Service is scraped too: test_render_analysis).
        assert endpoint["relabelings"] == [{"action": "keep", "sourceLabels": ["__meta_kubernetes_service_name"],
                                            "regex": name}]
        service = one(prod, "Service", name)["spec"]
        assert {"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics", "protocol": "TCP",
                "appProtocol": "http"} in service["ports"]
        [workload] = [o for o in prod if o["kind"] in WORKLOAD_KINDS and o["metadata"]["name"] == name]
        ports = pod_spec(workload)["containers"][0]["ports"]
        assert {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"} in ports
    broken = {**monitors["features"], "spec": {**monitors["features"]["spec"], "endpoint": []}}
    assert schemas.errors(broken), "the ServiceMonitor schema must refuse an unknown field"
    # The metrics port is not on any Ingress: public traffic reaches interfaces only.
    for ingress in pick(prod, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            assert all(p["backend"]["service"]["port"] != {"number": METRICS_PORT}
                       and p["backend"]["service"]["port"].get("name") != "metrics" for p in rule["http"]["paths"])


def test_a_worker_with_an_slo_is_scraped_through_a_metrics_service(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "    queue: {from: events", "    slo: {availability: 99%}\n    queue: {from: events")
    objects = render(fraud, "prod")
    service = one(objects, "Service", "label-ingest")["spec"]
    assert [p["name"] for p in service["ports"]] == ["metrics"]
    assert one(objects, "ServiceMonitor", "label-ingest")
    assert SCRAPE_RULE in one(objects, "NetworkPolicy", "label-ingest")["spec"]["ingress"]


def test_an_interface_on_the_metrics_port_is_refused(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "cases: {protocol: grpc, port: 9090", f"cases: {{protocol: grpc, port: {METRICS_PORT}")
    with pytest.raises(BlueprintError, match="metrics"):
        render(fraud, "prod")


def test_declared_access_opens_the_kubernetes_api_and_says_it_is_port_scoped(prod: list[Obj]) -> None:
    retrain = one(prod, "NetworkPolicy", "retrain")
    assert {"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}]} in retrain["spec"]["egress"]
    assert "Kubernetes API" in retrain["metadata"]["annotations"]["buttress.dev/egress-port-scoped"]
    for name in ("features", "scorer", "label-ingest", "case-store"):  # no access declared
        policy = one(prod, "NetworkPolicy", name)
        assert all(p["port"] != 6443 for rule in policy["spec"].get("egress", []) for p in rule["ports"])
        assert "Kubernetes API" not in policy["metadata"]["annotations"].get("buttress.dev/egress-port-scoped", "")


def test_public_interfaces_get_an_ingress_with_tls_and_auth(prod: list[Obj], fraud: Path) -> None:
    ingresses = pick(prod, "Ingress")
    assert [i["metadata"]["name"] for i in ingresses] == ["scorer-score-api"]
    spec = ingresses[0]["spec"]
    host = spec["rules"][0]["host"]
    assert spec["tls"] == [{"hosts": [host], "secretName": "scorer-score-api-tls"}]
    assert ingresses[0]["metadata"]["annotations"]["buttress.dev/auth"] == "oidc"
    edit(fraud / "blueprint.yaml", "exposure: public, auth: oidc}", "exposure: public, auth: oidc, host: score.example.com}")
    spec = one(render(fraud, "prod"), "Ingress", "scorer-score-api")["spec"]
    assert spec["rules"][0]["host"] == "score.example.com" and spec["tls"][0]["hosts"] == ["score.example.com"]


def test_hpa_for_resource_targets_keda_for_the_others_never_both(prod: list[Obj]) -> None:
    hpa = one(prod, "HorizontalPodAutoscaler", "features")["spec"]
    assert hpa["minReplicas"] == 3 and hpa["maxReplicas"] == 12
    assert hpa["metrics"][0]["resource"] == {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}
    scorer = one(prod, "ScaledObject", "scorer")["spec"]
    assert scorer["scaleTargetRef"] == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "scorer"}
    assert [t["type"] for t in scorer["triggers"]] == ["cpu", "prometheus"]
    assert scorer["triggers"][1]["metadata"]["threshold"] == "0.12"
    kafka = one(prod, "ScaledObject", "label-ingest")["spec"]["triggers"]
    assert kafka == [{"type": "kafka", "metadata": {"bootstrapServers": "kafka.internal.example.com:9093",
                                                    "consumerGroup": "label-ingest", "topic": "chargebacks",
                                                    "lagThreshold": "500"}}]
    hpas = {o["metadata"]["name"] for o in pick(prod, "HorizontalPodAutoscaler")}
    scaled = {o["metadata"]["name"] for o in pick(prod, "ScaledObject")}
    assert not hpas & scaled


def test_disruption_budgets_for_long_running_modules_with_two_replicas() -> None:
    assert {o["metadata"]["name"] for o in pick(render(FRAUD, "prod"), "PodDisruptionBudget")} == {
        "features", "scorer", "label-ingest", "case-store"}
    assert {o["metadata"]["name"] for o in pick(render(FRAUD, "dev"), "PodDisruptionBudget")} == {
        "label-ingest", "case-store"}


def test_rolling_keeps_every_replica_during_updates(prod: list[Obj]) -> None:
    strategy = one(prod, "Deployment", "features")["spec"]["strategy"]
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0


def test_canary_rollout_with_slo_analysis(prod: list[Obj]) -> None:
    assert not pick(prod, "Deployment", "scorer")
    canary = one(prod, "Rollout", "scorer")["spec"]["strategy"]["canary"]
    assert canary["steps"] == [{"setWeight": 10}, {"pause": {"duration": "10m"}},
                               {"setWeight": 50}, {"pause": {"duration": "10m"}}]
    assert canary["analysis"]["templates"] == [{"templateName": "scorer"}]
    metrics = {m["name"]: m for m in one(prod, "AnalysisTemplate", "scorer")["spec"]["metrics"]}
    assert metrics["error-ratio"]["successCondition"].endswith("result[0] <= 0.0005")  # 99.95%
    assert metrics["latency-p95"]["successCondition"].endswith("result[0] <= 0.15")  # 150ms
    assert 'namespace="fraud-prod",service="{{args.service}}"' in metrics["latency-p95"]["provider"]["prometheus"]["query"]
    assert one(prod, "AnalysisTemplate", "scorer")["spec"]["args"] == [{"name": "service", "value": "scorer"}]


def test_blue_green_rollout_with_preview_service(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "strategy: canary\n      steps: [10, 50]\n      pause: 10m",
         "strategy: blue-green\n      pause: 10m")
    objects = render(fraud, "prod")
    green = one(objects, "Rollout", "scorer")["spec"]["strategy"]["blueGreen"]
    assert green["activeService"] == "scorer" and green["previewService"] == "scorer-preview"
    assert green["autoPromotionSeconds"] == 600
    assert green["prePromotionAnalysis"] == {"templates": [{"templateName": "scorer"}],
                                             "args": [{"name": "service", "value": "scorer-preview"}]}
    assert one(objects, "Service", "scorer-preview")


def test_blue_green_needs_an_interface(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "    queue: {from: events", "    rollout: {strategy: blue-green}\n    queue: {from: events")
    with pytest.raises(BlueprintError, match="blue-green"):
        render(fraud, "prod")


def test_every_workload_kind_is_present_once_per_module(prod: list[Obj]) -> None:
    assert sorted(o["metadata"]["name"] for o in prod if o["kind"] in WORKLOAD_KINDS) == [
        "case-store", "features", "label-ingest", "retrain", "scorer"]

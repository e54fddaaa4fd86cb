"""Namespace, workloads by kind, pod hardening, identity and secrets of the fraud-detection example."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tests.conftest import FRAUD, edit
from tests.render.helpers import WORKLOAD_KINDS, Obj, one, pick, pod_spec, render

from buttress.app.render import environment_files
from buttress.app.validate import validate


@pytest.fixture(scope="module")
def prod() -> list[Obj]:
    return render(FRAUD, "prod")


@pytest.fixture(scope="module")
def dev() -> list[Obj]:
    return render(FRAUD, "dev")


def test_namespace_enforces_restricted_pod_security_at_a_pinned_version(prod: list[Obj]) -> None:
    labels = one(prod, "Namespace", "fraud-prod")["metadata"]["labels"]
    for mode in ("enforce", "warn", "audit"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.31"


def test_quota_is_sized_from_the_modules(prod: list[Obj], dev: list[Obj]) -> None:
    hard = one(prod, "ResourceQuota", "quota")["spec"]["hard"]
    assert hard["requests.nvidia.com/gpu"] == "2"  # retrain: 1 GPU x (1 pod + 1 surge)
    assert hard["persistentvolumeclaims"] == "3" and hard["requests.storage"] == "60Gi"  # case-store 3 x 20Gi
    dev_cpu = one(dev, "ResourceQuota", "quota")["spec"]["hard"]["requests.cpu"]
    assert int(hard["requests.cpu"].rstrip("m")) > int(dev_cpu.rstrip("m"))
    assert one(prod, "LimitRange", "limits")["spec"]["limits"][0]["max"]["memory"] == "16Gi"


def test_workloads_by_kind(prod: list[Obj]) -> None:
    kinds = {(o["kind"], o["metadata"]["name"]) for o in prod if o["kind"] in (*WORKLOAD_KINDS, "Service")}
    assert kinds == {("Deployment", "features"), ("Service", "features"), ("Rollout", "scorer"), ("Service", "scorer"),
                     ("Deployment", "label-ingest"), ("CronJob", "retrain"), ("StatefulSet", "case-store"),
                     ("Service", "case-store-headless"), ("Service", "case-store")}
    cron = one(prod, "CronJob", "retrain")["spec"]
    assert cron["schedule"] == "0 3 * * *" and cron["concurrencyPolicy"] == "Forbid"
    assert cron["successfulJobsHistoryLimit"] and cron["failedJobsHistoryLimit"] and cron["startingDeadlineSeconds"]
    job = cron["jobTemplate"]["spec"]
    assert job["ttlSecondsAfterFinished"] and job["activeDeadlineSeconds"] and job["backoffLimit"] == 3


def test_job_kind(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", 'kind: cronjob\n    description: Retrains the fraud model nightly and registers it.\n'
         '    image: registry.example.com/risk/retrain@sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n'
         '    schedule: "0 3 * * *"\n',
         'kind: job\n    description: Retrains once.\n'
         '    image: registry.example.com/risk/retrain@sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n')
    [job] = pick(render(fraud, "prod"), "Job", module="retrain")
    spec = job["spec"]
    assert spec["backoffLimit"] == 3 and spec["activeDeadlineSeconds"] > 0 and spec["ttlSecondsAfterFinished"] > 0
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    # Named after its content: a new release's Job is a new object (a Job's template is immutable).
    assert job["metadata"]["name"].startswith("retrain-") and len(job["metadata"]["name"]) == len("retrain-") + 8
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "Sync"
    assert one(render(fraud, "dev"), "Job", job["metadata"]["name"])  # dev runs the same Job
    edit(fraud / "blueprint.yaml", "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
    assert not pick(render(fraud, "prod"), "Job", job["metadata"]["name"])


def test_state_gives_statefulset_with_claim_headless_service_and_velero_schedule(prod: list[Obj]) -> None:
    sts = one(prod, "StatefulSet", "case-store")["spec"]
    assert sts["serviceName"] == "case-store-headless"
    claim = sts["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    mounts = sts["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": claim["metadata"]["name"], "mountPath": "/data"} in mounts
    assert one(prod, "Service", "case-store-headless")["spec"]["clusterIP"] == "None"
    schedule = one(prod, "Schedule", "fraud-prod-case-store")
    assert schedule["metadata"]["namespace"] == "velero"
    assert schedule["spec"]["schedule"] == "0 * * * *"
    assert schedule["spec"]["template"]["ttl"] == "720h0m0s"  # retention 30d
    assert schedule["spec"]["template"]["includedNamespaces"] == ["fraud-prod"]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_workload_is_hardened(env: str) -> None:
    objects = render(FRAUD, env)
    workloads = [o for o in objects if o["kind"] in WORKLOAD_KINDS]
    assert len(workloads) == 5
    for w in workloads:
        spec = pod_spec(w)
        ctx = spec["securityContext"]
        assert ctx["runAsNonRoot"] is True and ctx["runAsUser"] > 0 and ctx["runAsGroup"] > 0
        assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
        assert not spec["hostNetwork"] and not spec["hostPID"] and not spec["hostIPC"]
        assert all("hostPath" not in v for v in spec["volumes"])
        assert {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}} in spec["volumes"]
        assert spec["serviceAccountName"] == w["metadata"]["name"]
        assert spec["automountServiceAccountToken"] is (w["metadata"]["name"] == "retrain")
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
            assert sc["capabilities"] == {"drop": ["ALL"]} and sc["privileged"] is False
            assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
            assert all("hostPort" not in p for p in c.get("ports", []))
            assert c["resources"]["limits"]["memory"] == c["resources"]["requests"]["memory"]
            assert "ephemeral-storage" in c["resources"]["requests"]


def test_gpu_limit_and_toleration(prod: list[Obj]) -> None:
    spec = pod_spec(one(prod, "CronJob", "retrain"))
    assert spec["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert spec["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert "tolerations" not in pod_spec(one(prod, "Deployment", "features"))


def test_probes_http_defaults_for_services_and_from_the_blueprint(prod: list[Obj]) -> None:
    features = pod_spec(one(prod, "Deployment", "features"))["containers"][0]
    assert features["readinessProbe"]["httpGet"] == {"path": "/ready", "port": 8080}
    assert features["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}
    scorer = pod_spec(one(prod, "Rollout", "scorer"))["containers"][0]
    assert scorer["startupProbe"]["failureThreshold"] == 60  # from the model-server pattern
    case_store = pod_spec(one(prod, "StatefulSet", "case-store"))["containers"][0]
    assert case_store["readinessProbe"] == {"grpc": {"port": 9090}, "periodSeconds": 10, "failureThreshold": 3,
                                            "timeoutSeconds": 2}
    worker = pod_spec(one(prod, "Deployment", "label-ingest"))["containers"][0]
    assert "readinessProbe" not in worker


def test_topology_spread_only_with_two_or_more_replicas(fraud: Path, prod: list[Obj]) -> None:
    spread = pod_spec(one(prod, "Deployment", "features"))["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in spread} == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    edit(fraud / "blueprint.yaml", "features:\n        scaling: {replicas: {min: 1, max: 2}}",
         "features:\n        scaling: {replicas: {min: 1, max: 1}}")
    assert "topologySpreadConstraints" not in pod_spec(one(render(fraud, "dev"), "Deployment", "features"))


def test_identity_holds_exactly_the_declared_access(prod: list[Obj]) -> None:
    assert {o["metadata"]["name"] for o in pick(prod, "ServiceAccount")} == {
        "features", "scorer", "label-ingest", "retrain", "case-store"}
    assert [o["metadata"]["name"] for o in pick(prod, "Role")] == ["retrain"]
    assert one(prod, "Role", "retrain")["rules"] == [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]
    binding = one(prod, "RoleBinding", "retrain")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "retrain", "namespace": "fraud-prod"}]
    assert one(prod, "ServiceAccount", "features")["automountServiceAccountToken"] is False


def test_secrets_are_references_only(prod: list[Obj]) -> None:
    es = one(prod, "ExternalSecret", "label-ingest")["spec"]
    assert es["secretStoreRef"] == {"kind": "SecretStore", "name": "vault"}
    assert es["target"]["name"] == "label-ingest-secrets"
    assert es["data"] == [
        {"secretKey": "DB_PASSWORD", "remoteRef": {"key": "secret/risk/txdb", "property": "password"}},
        {"secretKey": "KAFKA_PASSWORD", "remoteRef": {"key": "secret/risk/kafka", "property": "password"}}]
    env = pod_spec(one(prod, "Deployment", "label-ingest"))["containers"][0]["env"]
    assert {"name": "KAFKA_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "label-ingest-secrets", "key": "KAFKA_PASSWORD"}}} in env
    assert not pick(prod, "Secret")


def test_secret_store_follows_each_references_scheme(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "KAFKA_PASSWORD: vault://secret/risk/kafka#password",
         "KAFKA_PASSWORD: aws-sm://risk/kafka#password")
    spec = one(render(fraud, "prod"), "ExternalSecret", "label-ingest")["spec"]
    stores = {d["secretKey"]: d.get("sourceRef", {"storeRef": spec["secretStoreRef"]})["storeRef"]["name"]
              for d in spec["data"]}
    assert stores == {"DB_PASSWORD": "vault", "KAFKA_PASSWORD": "aws-sm"}


def _kustomized_objects(env: str) -> list[Obj]:
    """Every object of every resource file the kustomization of ``env`` lists (all renderers')."""
    v = validate(FRAUD, [env])
    files = environment_files(v.blueprint, v.environments[env], v.graphs[env])
    resources = yaml.safe_load(files["kustomization.yaml"])["resources"]
    return [doc for path in resources for doc in yaml.safe_load_all(files[path]) if doc]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_standard_labels_and_digest_on_every_object(env: str) -> None:
    """Every object ``kubectl apply -k`` would create, whichever renderer wrote it (the Kubernetes
    objects, the monitoring renderer's PrometheusRule), carries the standard labels and annotations."""
    from buttress.model.parse import load_blueprint

    digest = load_blueprint(FRAUD).digest
    objects = _kustomized_objects(env)
    kinds = {o["kind"] for o in objects}
    assert {"PrometheusRule", "ServiceMonitor", "Deployment", "Namespace"} <= kinds
    for o in objects:
        meta = o["metadata"]
        for key in ("name", "part-of", "component", "version", "managed-by"):
            assert meta["labels"][f"app.kubernetes.io/{key}"], (o["kind"], key)
        assert meta["labels"]["app.kubernetes.io/part-of"] == "fraud-detection"
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "buttress"
        assert meta["labels"]["buttress.dev/owner"] == "risk-ml"
        assert meta["labels"]["buttress.dev/classification"] in ("internal", "confidential", "restricted")
        assert meta["annotations"]["buttress.dev/blueprint-digest"] == digest, (o["kind"], meta["name"])
        assert meta["annotations"]["buttress.dev/environment"] == env
        namespace_wide = o["kind"] in ("Namespace", "LimitRange", "ResourceQuota", "PrometheusRule") or meta["name"] in (
            "default-deny", "allow-dns")
        assert ("buttress.dev/module" in meta["annotations"]) is not namespace_wide
        if namespace_wide:  # the highest classification of any module, the blueprint's digest as version
            assert meta["labels"]["buttress.dev/classification"] == "restricted"
            assert meta["labels"]["app.kubernetes.io/version"] == f"sha256-{digest[:12]}"
    rule = next(o for o in objects if o["kind"] == "PrometheusRule")
    assert rule["metadata"]["labels"]["app.kubernetes.io/component"] == "monitoring"
    assert one(objects, "CronJob", "retrain")["metadata"]["labels"]["cost-centre"] == "risk-ml-training"

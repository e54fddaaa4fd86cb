"""The hardened pod template every workload shares (Deployment, Rollout, StatefulSet, Job, CronJob).

Restricted Pod Security by construction: non-root with a fixed non-zero UID/GID, RuntimeDefault
seccomp, no privilege escalation, every capability dropped, a read-only root filesystem with an
``emptyDir`` at ``/tmp``, no host namespaces, ports or paths, and a service-account token only for
modules that declare ``access``. Also requests/limits, GPUs, probes and topology spread.
Called by ``workloads`` and ``rollouts``.
"""

from __future__ import annotations

import re
from typing import Any

from buttress.errors import BlueprintError
from buttress.model.resolve import ResolvedModule
from buttress.model.spec.module import Interface, Probe
from buttress.render.common.scrape import METRICS_PORT, METRICS_PORT_NAME, exposes_metrics
from buttress.render.kubernetes.labels import Context, Obj
from buttress.render.kubernetes.secrets import SECRET_SUFFIX
from buttress.render.kubernetes.sizing import GPU_RESOURCE, bytes_text, replicas, size

RUN_AS = 10001
"""UID and GID of every container: non-zero, outside the range images commonly reserve."""
DATA_MOUNT = "/data"
DATA_VOLUME = "data"
_PORT_NAME = re.compile(r"(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]")
_DEFAULT_PATHS = {"startup": "/healthz", "readiness": "/ready", "liveness": "/healthz"}
_DEFAULT_THRESHOLDS = {"startup": 30, "readiness": 3, "liveness": 3}
_DEFAULT_PERIODS = {"startup": 5, "readiness": 10, "liveness": 10}


def port_name(name: str, iface: Interface) -> str:
    """A valid port name (IANA service name, at most 15 characters) for interface ``name``."""
    return name if len(name) <= 15 and _PORT_NAME.fullmatch(name) else f"port-{iface.port}"


def interfaces(module: ResolvedModule) -> list[tuple[str, Interface]]:
    """The module's interfaces sorted by name (the order of every list rendered from them).

    A module that exposes metrics keeps ``METRICS_PORT`` and the port name ``metrics`` for them:
    an interface on either is refused."""
    found = sorted((module.spec.provides or {}).items())
    if exposes_metrics(module):
        clash = [name for name, iface in found if iface.port == METRICS_PORT or port_name(name, iface) == METRICS_PORT_NAME]
        if clash:
            raise BlueprintError([module.problem(("provides", name), f"port {METRICS_PORT} and the port name "
                                                 f"{METRICS_PORT_NAME!r} serve the module's Prometheus metrics; give "
                                                 "the interface another port and name") for name in clash])
    return found


def _handler(kind: str, given: Probe | None, module: ResolvedModule) -> Obj | None:
    """HTTP when a path is given or the module speaks HTTP; else gRPC or TCP on its first port."""
    ifaces = sorted((i for _, i in interfaces(module)), key=lambda i: i.port)
    http = next((i for i in ifaces if i.protocol == "http"), None)
    first = http or (ifaces[0] if ifaces else None)
    port = (given.port if given else None) or (first.port if first else None)
    if port is None:
        return None
    if (given is not None and given.path) or http is not None:
        return {"httpGet": {"path": (given.path if given else None) or _DEFAULT_PATHS[kind], "port": port}}
    if first is not None and first.protocol == "grpc":
        return {"grpc": {"port": port}}
    return {"tcpSocket": {"port": port}}


def _probe(kind: str, given: Probe | None, module: ResolvedModule) -> Obj | None:
    if given is None and module.kind != "service":
        return None
    handler = _handler(kind, given, module)
    if handler is None:
        return None
    period = given.period.seconds if given and given.period else _DEFAULT_PERIODS[kind]
    threshold = given.failure_threshold if given and given.failure_threshold else _DEFAULT_THRESHOLDS[kind]
    return {**handler, "periodSeconds": max(1, round(period)), "failureThreshold": threshold,
            "timeoutSeconds": 1 if kind == "startup" else 2}


def probes(module: ResolvedModule) -> Obj:
    """``startupProbe``, ``readinessProbe``, ``livenessProbe``: HTTP defaults for services, else from ``probes:``."""
    if not module.long_running:
        return {}
    given = module.spec.probes
    out: Obj = {}
    for kind in ("startup", "readiness", "liveness"):
        probe = _probe(kind, getattr(given, kind) if given else None, module)
        if probe is not None:
            out[f"{kind}Probe"] = probe
    return out


def _env(module: ResolvedModule) -> list[Obj]:
    plain = [{"name": k, "value": _text(v)} for k, v in sorted((module.spec.env or {}).items())]
    secret = [{"name": k, "valueFrom": {"secretKeyRef": {"name": module.name + SECRET_SUFFIX, "key": k}}}
              for k in sorted(module.spec.secrets or {})]
    return plain + secret


def _text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def container_security() -> Obj:
    """The container ``securityContext`` of the restricted profile."""
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": RUN_AS,
        "runAsGroup": RUN_AS,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _container(module: ResolvedModule) -> Obj:
    s = module.spec
    sized = size(module)
    container: Obj = {"name": module.name, "image": str(s.image), "imagePullPolicy": "IfNotPresent"}
    if s.command:
        container["command"] = list(s.command)
    if s.args:
        container["args"] = list(s.args)
    ports = [{"name": port_name(n, i), "containerPort": i.port, "protocol": "TCP"} for n, i in interfaces(module)]
    if exposes_metrics(module):
        ports.append({"name": METRICS_PORT_NAME, "containerPort": METRICS_PORT, "protocol": "TCP"})
    if ports:
        container["ports"] = ports
    env = _env(module)
    if env:
        container["env"] = env
    container["resources"] = {"requests": sized.requests(), "limits": sized.limits()}
    container.update(probes(module))
    container["securityContext"] = container_security()
    mounts = [{"name": "tmp", "mountPath": "/tmp"}]
    if s.state is not None:
        mounts.append({"name": DATA_VOLUME, "mountPath": DATA_MOUNT})
    container["volumeMounts"] = mounts
    return container


def topology_spread(ctx: Context, module: ResolvedModule) -> list[Obj]:
    """Spread across zones and nodes, for modules that run two or more replicas."""
    if replicas(module)[1] < 2:
        return []
    return [{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": ctx.selector(module.name)}}
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")]


def pod_template(ctx: Context, module: ResolvedModule, *, restart_policy: str = "Always") -> Obj:
    """The pod template of ``module``: metadata with the standard labels and a hardened spec."""
    sized = size(module)
    spec: dict[str, Any] = {
        "serviceAccountName": module.name,
        "automountServiceAccountToken": bool(module.spec.access),
        "enableServiceLinks": False,
        "hostNetwork": False,
        "hostPID": False,
        "hostIPC": False,
        "restartPolicy": restart_policy,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_container(module)],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": bytes_text(sized.ephemeral_limit)}}],
    }
    spread = topology_spread(ctx, module)
    if spread:
        spec["topologySpreadConstraints"] = spread
    if sized.gpu:
        spec["tolerations"] = [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]
    return {"metadata": {"labels": ctx.module_labels(module)}, "spec": spec}

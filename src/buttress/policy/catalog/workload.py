"""Pod security controls over rendered workload objects (Pod Security Standards, CIS 5.2 and 5.7).

Each check takes one rendered object (a plain dict) and looks at its pod spec, so that a hand edit
or a renderer bug is caught as surely as a blueprint mistake.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from buttress.policy.catalog.base import Check, Control, Hit, Mappings
from buttress.policy.catalog.kube import WORKLOAD_KINDS, each_container, pod_spec, ref, security
from buttress.policy.findings import Severity

Obj = dict[str, Any]
ALLOWED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})


def _pod_hits(obj: Obj, message: str) -> Hit:
    return Hit(f"{ref(obj)}: {message}", object=ref(obj))


def privileged(obj: Obj) -> Iterator[Hit]:
    """No container runs privileged."""
    for _pod, c in each_container(obj):
        if (c.get("securityContext") or {}).get("privileged") is True:
            yield _pod_hits(obj, f"container {c.get('name')} is privileged")


def host_namespaces(obj: Obj) -> Iterator[Hit]:
    """The pod shares no host namespace (network, PID, IPC)."""
    pod = pod_spec(obj)
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod is not None and pod.get(field) is True:
            yield _pod_hits(obj, f"{field} is true")


def host_ports(obj: Obj) -> Iterator[Hit]:
    """No container binds a host port."""
    for _pod, c in each_container(obj):
        for port in c.get("ports") or []:
            if port.get("hostPort"):
                yield _pod_hits(obj, f"container {c.get('name')} binds host port {port['hostPort']}")


def host_path(obj: Obj) -> Iterator[Hit]:
    """No hostPath volume."""
    pod = pod_spec(obj)
    for volume in (pod.get("volumes") or []) if pod is not None else ():
        if "hostPath" in volume:
            yield _pod_hits(obj, f"volume {volume.get('name')} mounts host path {volume['hostPath'].get('path')}")


def privilege_escalation(obj: Obj) -> Iterator[Hit]:
    """Every container sets ``allowPrivilegeEscalation: false``."""
    for _pod, c in each_container(obj):
        if (c.get("securityContext") or {}).get("allowPrivilegeEscalation") is not False:
            yield _pod_hits(obj, f"container {c.get('name')} does not set allowPrivilegeEscalation: false")


def run_as_non_root(obj: Obj) -> Iterator[Hit]:
    """Every container runs as a non-root user (``runAsNonRoot: true``, no ``runAsUser: 0``)."""
    for pod, c in each_container(obj):
        if security(pod, c, "runAsUser") == 0:
            yield _pod_hits(obj, f"container {c.get('name')} runs as user 0")
        elif security(pod, c, "runAsNonRoot") is not True:
            yield _pod_hits(obj, f"container {c.get('name')} does not set runAsNonRoot: true")


def capabilities(obj: Obj) -> Iterator[Hit]:
    """Every container drops ALL capabilities and adds none but NET_BIND_SERVICE."""
    for _pod, c in each_container(obj):
        caps = (c.get("securityContext") or {}).get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            yield _pod_hits(obj, f"container {c.get('name')} does not drop ALL capabilities")
        added = sorted(set(caps.get("add") or []) - ALLOWED_CAPABILITIES)
        if added:
            yield _pod_hits(obj, f"container {c.get('name')} adds capabilities {', '.join(added)}")


def seccomp(obj: Obj) -> Iterator[Hit]:
    """Every container runs with the RuntimeDefault or a Localhost seccomp profile."""
    for pod, c in each_container(obj):
        profile = security(pod, c, "seccompProfile") or {}
        if profile.get("type") not in ("RuntimeDefault", "Localhost"):
            yield _pod_hits(obj, f"container {c.get('name')} has seccomp profile {profile.get('type') or 'unset'}")


def read_only_root(obj: Obj) -> Iterator[Hit]:
    """Every container's root filesystem is read-only."""
    for _pod, c in each_container(obj):
        if (c.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True:
            yield _pod_hits(obj, f"container {c.get('name')} has a writable root filesystem")


_SCRAPE_PORT = "metrics"
"""A port of this name is Prometheus's to scrape, not traffic's: a worker exposing only it serves nothing a
readiness probe would gate."""


def probes(obj: Obj) -> Iterator[Hit]:
    """Containers that serve ports (other than a metrics port) have a readiness probe."""
    for _, c in each_container(obj, main_only=True):
        serving = [p for p in c.get("ports") or [] if not (isinstance(p, dict) and p.get("name") == _SCRAPE_PORT)]
        if serving and not c.get("readinessProbe"):
            yield _pod_hits(obj, f"container {c.get('name')} serves ports but has no readinessProbe")


def resource_limits(obj: Obj) -> Iterator[Hit]:
    """Every container requests cpu and memory and has a memory limit."""
    for _, c in each_container(obj, main_only=True):
        res = c.get("resources") or {}
        missing = [f"requests.{k}" for k in ("cpu", "memory") if k not in (res.get("requests") or {})]
        missing += ["limits.memory"] if "memory" not in (res.get("limits") or {}) else []
        if missing:
            yield _pod_hits(obj, f"container {c.get('name')} sets no {', '.join(missing)}")


def _pod(id: str, title: str, check: Check, explanation: str, fix: str, *, mappings: Mappings,
         severity: Severity = "error") -> Control:
    """A control over one rendered workload object."""
    return Control(id=id, title=title, severity=severity, scope="object", check=check, explanation=explanation,
                   fix=fix, mappings=mappings, kinds=WORKLOAD_KINDS)


CONTROLS = (
    _pod("pod-privileged", "No privileged containers", privileged,
         "A privileged container has every capability and all host devices: it is root on the node.",
         "Remove securityContext.privileged (buttress never renders it; look for a hand edit).",
         mappings=Mappings(cis=("5.2.2",), pss=("baseline: Privileged Containers",), nist=("AC-6", "SC-39", "CM-7"),
                  soc2=("CC6.1", "CC6.8"), iso27001=("8.2", "8.22"))),
    _pod("pod-host-namespaces", "No host network, PID or IPC namespaces", host_namespaces,
         "Sharing the node's namespaces lets a container see and reach every process and interface on the node.",
         "Remove hostNetwork, hostPID and hostIPC from the pod spec.",
         mappings=Mappings(cis=("5.2.3", "5.2.4", "5.2.5"), pss=("baseline: Host Namespaces",), nist=("SC-39", "AC-6"),
                  soc2=("CC6.1",), iso27001=("8.22",))),
    _pod("pod-host-ports", "No host ports", host_ports,
         "A host port binds the node's interface, bypassing Services and NetworkPolicies.",
         "Remove hostPort; expose the port through a Service.",
         mappings=Mappings(cis=("5.2.13",), pss=("baseline: Host Ports",), nist=("SC-7", "CM-7"), soc2=("CC6.6",),
                  iso27001=("8.20", "8.22"))),
    _pod("pod-host-path", "No hostPath volumes", host_path,
         "A hostPath volume exposes the node's filesystem (kubelet credentials, container runtime socket).",
         "Use a PersistentVolumeClaim (state.volume) or an emptyDir instead.",
         mappings=Mappings(cis=("5.2.12",), pss=("baseline: HostPath Volumes",), nist=("AC-6", "SC-39"),
                           soc2=("CC6.1",), iso27001=("8.2",))),
    _pod("pod-privilege-escalation", "Privilege escalation is disabled", privilege_escalation,
         "Without allowPrivilegeEscalation: false a process can gain more privileges than its parent (setuid).",
         "Set securityContext.allowPrivilegeEscalation: false on every container.",
         mappings=Mappings(cis=("5.2.6",), pss=("restricted: Privilege Escalation",), nist=("AC-6", "CM-7"),
                  soc2=("CC6.1",), iso27001=("8.2",))),
    _pod("pod-run-as-non-root", "Containers run as non-root", run_as_non_root,
         "Root in a container is one kernel bug away from root on the node.",
         "Set securityContext.runAsNonRoot: true (and a non-zero runAsUser) and build the image with a USER.",
         mappings=Mappings(cis=("5.2.7",), pss=("restricted: Running as Non-root",
                                                   "restricted: Running as Non-root user"),
                           nist=("AC-6(2)", "CM-7"), soc2=("CC6.1",), iso27001=("8.2",))),
    _pod("pod-capabilities", "All capabilities are dropped", capabilities,
         "Linux capabilities such as NET_RAW or SYS_ADMIN give a container parts of root.",
         "Set capabilities: {drop: [ALL]} and add at most NET_BIND_SERVICE.",
         mappings=Mappings(cis=("5.2.8", "5.2.9", "5.2.10"), pss=("baseline: Capabilities", "restricted: Capabilities"),
                  nist=("AC-6", "CM-7"), soc2=("CC6.1",), iso27001=("8.2",))),
    _pod("pod-seccomp", "Containers run with a seccomp profile", seccomp,
         "Without seccomp every system call is available to an attacker in the container.",
         "Set securityContext.seccompProfile: {type: RuntimeDefault} on the pod.",
         mappings=Mappings(cis=("5.7.2",), pss=("baseline: Seccomp", "restricted: Seccomp"), nist=("SC-39", "CM-7"),
                  soc2=("CC6.8",), iso27001=("8.22",))),
    _pod("pod-read-only-root", "Root filesystems are read-only", read_only_root,
         "A writable root filesystem lets an attacker drop tools and persist changes in the container.",
         "Set readOnlyRootFilesystem: true and mount an emptyDir where the program must write.",
         mappings=Mappings(cis=("5.7.3",), nist=("CM-7", "SI-7"), soc2=("CC6.8",), iso27001=("8.9",))),
    _pod("pod-probes", "Serving containers have readiness probes", probes,
         "Without a readiness probe traffic reaches a replica before it can serve, and rollouts cannot tell a "
         "broken version from a slow one.",
         "Declare probes.readiness (services get HTTP defaults) or let buttress render the default.",
         mappings=Mappings(nist=("SI-4", "CP-2"), soc2=("A1.1", "CC7.2"), iso27001=("8.16",)), severity="warning"),
    _pod("pod-resource-limits", "Containers have requests and a memory limit", resource_limits,
         "Containers without requests and a memory limit can starve the node and their neighbours.",
         "Set resources in the blueprint; buttress renders requests and a memory limit.",
         mappings=Mappings(cis=("5.7.3",), nist=("SC-6", "SC-5"), soc2=("A1.1",), iso27001=("8.6",))),
)

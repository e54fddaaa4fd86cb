# Benchmark policy set, package main: conftest-style rules over each rendered Kubernetes object.
package main

import rego.v1

workload_kinds := {"Deployment", "StatefulSet", "Rollout", "Job"}

deny_latest_image contains msg if {
	input.kind in workload_kinds
	some c in input.spec.template.spec.containers
	endswith(c.image, ":latest")
	msg := sprintf("%s/%s uses a latest image", [input.kind, input.metadata.name])
}

deny_privileged contains msg if {
	input.kind in workload_kinds
	some c in input.spec.template.spec.containers
	c.securityContext.privileged
	msg := sprintf("%s/%s runs a privileged container", [input.kind, input.metadata.name])
}

deny_missing_memory_limit contains msg if {
	input.kind in workload_kinds
	some c in input.spec.template.spec.containers
	not c.resources.limits.memory
	msg := sprintf("%s/%s container %s has no memory limit", [input.kind, input.metadata.name, c.name])
}

violation_host_network contains msg if {
	input.spec.template.spec.hostNetwork
	msg := sprintf("%s/%s uses the host network", [input.kind, input.metadata.name])
}

warn_missing_team_label contains msg if {
	input.kind in workload_kinds
	not input.metadata.labels["app.kubernetes.io/part-of"]
	msg := sprintf("%s/%s has no part-of label", [input.kind, input.metadata.name])
}

deny_loadbalancer contains msg if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	msg := sprintf("Service/%s is a LoadBalancer", [input.metadata.name])
}

warn_ingress_without_tls contains msg if {
	input.kind == "Ingress"
	not input.spec.tls
	msg := sprintf("Ingress/%s has no tls", [input.metadata.name])
}

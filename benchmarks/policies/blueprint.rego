# Benchmark policy set, package blueprint: organisation rules over one resolved environment.
package blueprint

import rego.v1

deny_restricted_replicas contains msg if {
	input.environment.name == "prod"
	some name, m in input.modules
	m.kind == "service"
	m.data.classification == "restricted"
	m.scaling.replicas.min < 3
	msg := sprintf("module %s handles restricted data and needs at least 3 replicas in prod", [name])
}

deny_missing_description contains msg if {
	some name, m in input.modules
	not m.description
	msg := sprintf("module %s has no description", [name])
}

warn_gpu_cost_centre contains msg if {
	some name, m in input.modules
	m.resources.gpu > 0
	not m.labels["cost-centre"]
	msg := sprintf("module %s requests a GPU but has no cost-centre label", [name])
}

warn_large_memory contains msg if {
	some name, m in input.modules
	endswith(m.resources.memory, "Gi")
	to_number(trim_suffix(m.resources.memory, "Gi")) > 32
	msg := sprintf("module %s requests more than 32Gi of memory", [name])
}

deny_prod_region contains msg if {
	input.environment.name == "prod"
	not startswith(input.environment.region, "eu-")
	msg := "prod must run in an EU region"
}

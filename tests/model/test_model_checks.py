"""Checks a reviewer found missing or late: network and host values, rules render used to find
only while rendering, and every problem of a file reported in one run (schema and references)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import Run, edit

import buttress
from buttress.errors import BlueprintError
from buttress.model.units import check_cidr, check_host


def problems(path: Path) -> list[str]:
    with pytest.raises(BlueprintError) as info:
        buttress.validate(path)
    return [p.format() for p in info.value.problems]


def line_of(path: Path, text: str) -> int:
    """The 1-based line on which ``text`` (unique) starts."""
    content = path.read_text()
    assert content.count(text) == 1
    return content[:content.index(text)].count("\n") + 1


def refused(cli: Callable[..., Run], folder: Path) -> list[str]:
    """``buttress validate`` exits 2; its error lines."""
    run = cli("validate", folder)
    assert run.exit == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    return [line for line in run.stderr.splitlines() if ": error: " in line]


# -- externals' cidrs and interfaces' host ---------------------------------------------------------------

@pytest.mark.parametrize("text", ["10.20.0.0/16", "10.10.0.0/24", "0.0.0.0/0", "192.0.2.7/32", "2001:db8::/32", "::/0"])
def test_networks_in_cidr_notation_pass(text: str) -> None:
    assert check_cidr(text) == text


@pytest.mark.parametrize(("text", "message"), [
    ("not-a-cidr", "is not a network in CIDR notation such as 10.20.0.0/16"),
    ("10.0.0.1/8", "has host bits set: the network is 10.0.0.0/8"),
    ("2001:db8::1/32", "has host bits set: the network is 2001:db8::/32"),
    ("10.0.0.5", "has no prefix length: write 10.0.0.5/32"),
    ("10.0.0.0/33", "prefix length of an IPv4 network is a number from 0 to 32"),
    ("10.0.0.0/255.0.0.0", "prefix length of an IPv4 network"),
    ("", "is not a network in CIDR notation"),
])
def test_bad_networks_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        check_cidr(text)


@pytest.mark.parametrize("text", ["score.example.com", "localhost", "a-b.c-d.example", "*.apps.example.com"])
def test_dns_subdomains_and_wildcards_are_hosts(text: str) -> None:
    assert check_host(text) == text


@pytest.mark.parametrize(("text", "message"), [
    ("Bad Host!", "is not a DNS-1123 subdomain"),
    ("Score.Example.com", "did you mean 'score.example.com'?"),
    ("score.example.com.", "is not a DNS-1123 subdomain"),
    ("-score.example.com", "is not a DNS-1123 subdomain"),
    ("api.*.example.com", "is not a DNS-1123 subdomain"),
    ("x" * 64 + ".example.com", "is not a DNS-1123 subdomain"),
    ("a." * 127 + "com", "is not a DNS-1123 subdomain"),
    ("192.0.2.7", "is an IP address"),
    ("", "is not a DNS-1123 subdomain"),
])
def test_bad_hosts_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        check_host(text)


def test_a_bad_cidr_is_located_at_its_item(cli: Callable[..., Run], fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "    endpoint: postgres://txdb.internal.example.com:5432\n",
         "    endpoint: postgres://txdb.internal.example.com:5432\n    cidrs: [10.20.0.0/16, not-a-cidr, 10.10.0.1/24]\n")
    line = line_of(bp, "    cidrs: [")
    errors = refused(cli, fraud)
    assert len(errors) == 2
    assert errors[0].endswith(f":{line}:27: error: 'not-a-cidr' is not a network in CIDR notation such as "
                              "10.20.0.0/16 or 2001:db8::/32 (at externals.transactions-db.cidrs[1])")
    assert errors[1].endswith(f":{line}:39: error: '10.10.0.1/24' has host bits set: the network is 10.10.0.0/24 "
                              "(at externals.transactions-db.cidrs[2])")


def test_an_empty_cidrs_list_is_refused_rather_than_opening_every_address(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "    endpoint: postgres://txdb.internal.example.com:5432\n",
         "    endpoint: postgres://txdb.internal.example.com:5432\n    cidrs: []\n")
    [message] = problems(fraud)
    assert "cidrs lists no network" in message and message.endswith("(at externals.transactions-db.cidrs)")


def test_good_cidrs_and_host_validate(cli: Callable[..., Run], fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "    endpoint: postgres://txdb.internal.example.com:5432\n",
         "    endpoint: postgres://txdb.internal.example.com:5432\n    cidrs: [10.20.0.0/16, 2001:db8::/48]\n")
    edit(bp, "exposure: public, auth: oidc}", "exposure: public, auth: oidc, host: '*.score.example.com'}")
    run = cli("validate", fraud)
    assert run.exit == 0, run.stderr
    external = buttress.load(fraud).spec.externals["transactions-db"]
    assert external.cidrs == ["10.20.0.0/16", "2001:db8::/48"]


def test_a_bad_host_is_located_at_the_interface(cli: Callable[..., Run], fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "exposure: public, auth: oidc}", "exposure: public, auth: oidc, host: 'Bad Host!'}")
    line = line_of(bp, "host: 'Bad Host!'")
    [error] = refused(cli, fraud)
    assert f":{line}:" in error and "'Bad Host!' is not a DNS-1123 subdomain" in error
    assert error.endswith("(at modules.scorer.provides.score-api.host)")


def test_a_bad_host_in_an_override_is_located_in_the_override(fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "      scorer:\n        scaling: {replicas: {min: 1, max: 2}}\n",
         "      scorer:\n        scaling: {replicas: {min: 1, max: 2}}\n"
         "        provides: {score-api: {protocol: http, port: 8080, version: 2.3.1, host: 10.1.2.3}}\n")
    [message] = problems(bp.parent)
    assert f":{line_of(bp, 'host: 10.1.2.3')}:" in message and "'10.1.2.3' is an IP address" in message
    assert message.endswith("(at environments.dev.overrides.scorer.provides.score-api.host)")


# -- rules that only render used to find ----------------------------------------------------------------

def test_queue_depth_without_a_queue(cli: Callable[..., Run], fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "    queue: {from: events, topic: chargebacks, consumerGroup: label-ingest}\n", "")
    line = line_of(bp, "targets: {queueDepth: 500}")
    [error] = refused(cli, fraud)
    assert error.endswith(f":{line}:29: error: queueDepth scaling needs queue: {{from, topic}} to read the lag of "
                          "(at modules.label-ingest.scaling.targets.queueDepth)")


def test_queue_depth_on_an_endpoint_that_is_no_queue(cli: Callable[..., Run], fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "endpoint: kafka://kafka.internal.example.com:9093", "endpoint: https://kafka.internal.example.com:9093")
    line = line_of(bp, "queue: {from: events")
    [error] = refused(cli, fraud)
    assert f":{line}:" in error and "queueDepth scaling reads Kafka consumer lag or RabbitMQ queue length; " \
        "'events' is a https:// endpoint (at modules.label-ingest.queue.from)" in error


@pytest.mark.parametrize("scheme", ["amqp", "amqps", "kafka"])
def test_queue_depth_on_kafka_or_rabbitmq_validates(fraud: Path, scheme: str) -> None:
    edit(fraud / "blueprint.yaml", "endpoint: kafka://", f"endpoint: {scheme}://")
    assert buttress.validate(fraud).environments


def test_state_without_a_volume(cli: Callable[..., Run], fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "      volume: 20Gi\n", "")
    line = line_of(bp, "    state:\n")
    [error] = refused(cli, fraud)
    assert error.endswith(f":{line + 1}:7: error: a stateful module needs state.volume (the size of its volume, "
                          "e.g. 20Gi) (at modules.case-store.state.volume)")


def test_state_without_a_volume_in_one_environment_only(fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "  staging:\n    namespace: fraud-staging\n",
         "  staging:\n    namespace: fraud-staging\n    overrides:\n      features:\n        state: {storageClass: fast}\n")
    [message] = problems(fraud)
    assert f":{line_of(bp, 'state: {storageClass: fast}')}:" in message
    assert "a stateful module needs state.volume" in message and "(at modules.features.state.volume)" in message


def test_blue_green_without_an_interface(cli: Callable[..., Run], fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "      targets: {queueDepth: 500}\n", "      targets: {queueDepth: 500}\n    rollout: {strategy: blue-green}\n")
    line = line_of(bp, "rollout: {strategy: blue-green}")
    [error] = refused(cli, fraud)
    assert error.endswith(f":{line}:25: error: blue-green switches a Service between versions; a module without "
                          "interfaces needs canary or rolling (at modules.label-ingest.rollout.strategy)")


def test_blue_green_with_an_interface_validates(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "      strategy: canary\n      steps: [10, 50]\n", "      strategy: blue-green\n")
    assert buttress.validate(fraud).environments


def test_the_render_time_rules_are_all_reported_in_one_validate_run(cli: Callable[..., Run], fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "    queue: {from: events, topic: chargebacks, consumerGroup: label-ingest}\n",
         "    rollout: {strategy: blue-green}\n")
    edit(bp, "      volume: 20Gi\n", "")
    errors = "\n".join(refused(cli, fraud))
    assert "(at modules.label-ingest.scaling.targets.queueDepth)" in errors
    assert "(at modules.label-ingest.rollout.strategy)" in errors
    assert "(at modules.case-store.state.volume)" in errors


# -- every problem in one run ---------------------------------------------------------------------------

def test_schema_and_reference_mistakes_are_reported_together(cli: Callable[..., Run], fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "port: 9090", "port: 99999")                                               # schema
    edit(bp, "enforcement: advisory", "enforcement: sometimes")                          # schema
    edit(bp, "      features:\n        scaling", "      featuers:\n        scaling")      # override target
    edit(bp, "- features.feature-api@^1.4", "- featurez.feature-api@^1.4")              # consumes: module
    edit(bp, "      - events\n", "      - eventz\n")                                      # consumes: external
    edit(bp, "- scorer.score-api@^2", "- scorer.scor-api@^2")                           # consumes: interface
    edit(bp, "from: dev", "from: qa")                                                   # promotion
    edit(bp, "    kind: cronjob\n", "    kind: cronjob\n    extends: model-sever\n")           # pattern
    edit(bp, "    kind: service\n    description: Serves", "    kind: service\n    schedule: '@daily'\n"
         "    description: Serves")                                                     # kind rule
    edit(bp, "load: {scorer.score-api: 2500rps}", "load: {scorer.score: 2500rps}")      # scenario
    errors = "\n".join(refused(cli, fraud))
    assert "(at modules.case-store.provides.cases.port)" in errors
    assert "'sometimes' is not allowed" in errors
    assert "override names module 'featuers', which does not exist; did you mean 'features'?" in errors
    assert "module 'featurez' does not exist; did you mean 'features'?" in errors
    assert "'eventz' is neither an external nor a module interface; did you mean 'events'?" in errors
    assert "provides no interface 'scor-api'; did you mean 'score-api'?" in errors
    assert "promotion source 'qa' is not an environment" in errors
    assert "pattern 'model-sever' is not declared in uses; did you mean 'model-server'?" in errors
    assert "schedule applies to cronjobs only; this module is a service (at modules.features.schedule)" in errors
    assert "scenario loads 'scorer.score', which no module provides" in errors


def test_broken_parts_do_not_cause_follow_on_reference_errors(fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "    provides:\n      feature-api:", "    provide:\n      feature-api:")   # scorer consumes it
    edit(bp, "  events:\n    endpoint: kafka", "  events:\n    endpont: kafka")        # an external with a typo
    edit(fraud / "patterns" / "model-server.yaml", "  kind: service\n", "  kind: servce\n")  # the scorer's pattern
    found = "\n".join(problems(fraud))
    assert "unknown key 'provide'; did you mean 'provides'?" in found
    assert "unknown key 'endpont'; did you mean 'endpoint'?" in found
    assert "'servce' is not allowed" in found
    for noise in ("feature-api", "has no kind", "no inbound interface", "must provide", "'events'"):
        assert noise not in found.replace("(at modules.features.provide", ""), noise
    assert len(found.splitlines()) == 3


@pytest.mark.parametrize(("old", "new", "error"), [
    ("externals:\n  transactions-db:", "externels:\n  transactions-db:", "unknown key 'externels'"),
    ("externals:\n  transactions-db:", "externals: null\nx-externals:\n  transactions-db:", "unknown key 'x-externals'"),
    ("    overrides:\n      scorer:", "    overides:\n      scorer:", "unknown key 'overides'"),
    ("      features:\n        scaling: {replicas: {min: 1, max: 2}}\n", "      features: null\n", "(at environments.dev"),
])
def test_a_broken_section_does_not_turn_its_names_into_unknown_references(fraud: Path, old: str, new: str,
                                                                           error: str) -> None:
    edit(fraud / "blueprint.yaml", old, new)
    found = problems(fraud)
    assert all(error in f or "expected" in f or "valid dictionary" in f for f in found), found
    assert not any("is neither an external" in f or "does not exist" in f or "provides no" in f for f in found)


def test_reference_mistakes_are_found_when_a_module_fails_its_schema(fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "    resources: {cpu: 250m, memory: 512Mi}\n", "    resources: {cpu: lots, memory: 512Mi}\n")
    edit(bp, "      - transactions-db\n    resources: {cpu: lots", "      - transaction-db\n    resources: {cpu: lots")
    found = "\n".join(problems(fraud))
    assert "'lots' is not a Kubernetes quantity" in found
    assert "'transaction-db' is neither an external nor a module interface; did you mean 'transactions-db'?" in found
    assert f":{line_of(bp, '      - transaction-db')}:9:" in found


def test_a_bad_env_value_is_one_error_not_one_per_type(cli: Callable[..., Run], fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "    capacity: {serviceTime: 4ms, concurrency: 8}\n",
         "    capacity: {serviceTime: 4ms, concurrency: 8}\n    env: {MODE: [a, b], EMPTY: null, OK: 1.5, ON: true}\n")
    line = line_of(bp, "    env: {MODE")
    errors = refused(cli, fraud)
    assert errors == [
        f"{bp}:{line}:17: error: expected a string, a number or a boolean, not a list; quote it to pass it as text "
        "(at modules.features.env.MODE)",
        f'{bp}:{line}:32: error: expected a string, a number or a boolean, not null; write "" for an empty value '
        "(at modules.features.env.EMPTY)",
    ]


def test_state_on_a_cronjob_is_refused(cli: Callable[..., Run], fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "    labels: {cost-centre: risk-ml-training}\n",
         "    labels: {cost-centre: risk-ml-training}\n    state: {volume: 5Gi}\n")
    [error] = refused(cli, fraud)
    assert f":{line_of(bp, '    state: {volume: 5Gi}')}:" in error
    assert "a cronjob runs to completion and keeps no volume" in error and error.endswith("(at modules.retrain.state)")


@pytest.mark.parametrize(("module", "limit"), [("retrain", 52), ("case-store", 52)])  # a cron job, a stateful service
def test_a_name_too_long_for_what_kubernetes_derives_from_it(cli: Callable[..., Run], fraud: Path, module: str,
                                                             limit: int) -> None:
    bp = fraud / "blueprint.yaml"
    original = bp.read_text()
    for length, refused_too in ((limit, False), (limit + 1, True)):
        name = (module + "-" + "x" * 63)[:length]
        bp.write_text(re.sub(rf"\b{module}\b", name, original))
        if not refused_too:
            assert buttress.validate(fraud).environments, f"{length} characters fit"
            continue
        [error] = refused(cli, fraud)
        assert f":{line_of(bp, f'  {name}:')}:3: error: the name '{name}' has {length} characters; this module's " \
            f"may have at most {limit}" in error


@pytest.mark.parametrize(("old", "new", "message"), [
    ("load: {scorer.score-api: 2500rps}", "load: {scorer.score-api: 0rps}", "'0rps' is no rate"),
    ("serviceTime: 4ms", "serviceTime: 0ms", "a service time of 0ms sizes nothing"),
])
def test_nothing_to_plan_for_is_a_located_error(cli: Callable[..., Run], fraud: Path, old: str, new: str,
                                                message: str) -> None:
    bp = fraud / "blueprint.yaml"
    line = line_of(bp, old)
    edit(bp, old, new)
    [error] = refused(cli, fraud)
    assert f"blueprint.yaml:{line}:" in error and message in error
    assert cli("capacity", fraud, "--env", "prod").exit == 2


def test_an_override_may_change_one_field_of_an_interface(cli: Callable[..., Run], fraud: Path) -> None:
    """Overrides are partial modules and maps merge key by key: no protocol or version needed to move a port."""
    bp = fraud / "blueprint.yaml"
    edit(bp, "  staging:\n    namespace: fraud-staging\n",
         "  staging:\n    namespace: fraud-staging\n    overrides:\n      scorer:\n        provides:\n"
         "          score-api: {port: 9090}\n")
    staging = buttress.validate(fraud).environments["staging"].modules["scorer"].spec.provides
    assert staging is not None and (staging["score-api"].port, staging["score-api"].protocol) == (9090, "http")
    edit(bp, "          score-api: {port: 9090}\n", "          score-api: {port: 9090}\n          admin: {port: 9091}\n")
    errors = refused(cli, fraud)  # a new interface still needs all it needs, once merged
    assert any("missing required key 'protocol' (at modules.scorer.provides.admin)" in e for e in errors), errors


def test_a_worker_probe_without_a_port_is_a_warning(cli: Callable[..., Run], fraud: Path) -> None:
    """A worker has no interface a probe could default to (a pattern written for services, say): validate
    says the probe is not rendered, and render leaves it out."""
    bp = fraud / "blueprint.yaml"
    edit(bp, "    kind: worker\n",
         "    kind: worker\n    probes: {liveness: {path: /healthz, port: 8081}, startup: {path: /healthz}}\n")
    run = cli("validate", fraud)
    assert run.exit == 0
    [warning] = [line for line in run.stderr.splitlines() if ": warning: " in line]
    assert f":{line_of(bp, '    probes: {liveness')}:" in warning and "not rendered" in warning
    assert "(at modules.label-ingest.probes.startup)" in warning

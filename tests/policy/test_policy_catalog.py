"""The control catalog as data: its shape, its mappings, ``buttress controls``/``explain``, the
generated ``docs/controls.md`` (kept current here), and the command line's exit codes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO, Run, edit

from buttress.policy.catalog import CATALOG
from buttress.policy.catalog_doc import render_markdown

BLUEPRINT_IDS = {"secret-inline", "image-digest", "image-registry", "owner-defined", "slo-defined", "replicas-ha",
                 "autoscaling-bounds", "resources-defined", "region-allowed", "encryption-at-rest", "backup-defined",
                 "public-auth", "classification-flow", "contract-compatible", "dependency-cycle",
                 "promotion-approvals"}
FRAMEWORK_REF = {"cis-k8s": r"5\.\d+\.\d+", "pss": r"(baseline|restricted): [A-Z][\w /-]+",
                 "nist-800-53": r"[A-Z]{2}-\d+(\(\d+\))?", "soc2": r"(CC|A|C|PI|P)\d\.\d", "iso27001": r"[5-8]\.\d+"}


def test_catalog_has_at_least_45_controls_with_unique_kebab_ids() -> None:
    ids = [c.id for c in CATALOG]
    assert len(ids) >= 45
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    assert set(ids) >= BLUEPRINT_IDS


def test_every_control_is_complete_data() -> None:
    for c in CATALOG:
        assert c.title and c.explanation and c.fix, c.id
        assert c.severity in ("error", "warning")
        assert c.profiles and set(c.profiles) <= {"baseline", "strict"}
        assert (c.check is None) == (c.scope in ("waivers", "supplied")), c.id
        mappings = c.mappings.as_dict()
        assert mappings["nist-800-53"] and mappings["soc2"] and mappings["iso27001"], c.id
        for framework, refs in mappings.items():
            assert all(re.fullmatch(FRAMEWORK_REF[framework], r) for r in refs), (c.id, refs)


def test_pod_security_controls_map_to_pss_and_cis_section_5() -> None:
    pod = [c for c in CATALOG if c.id.startswith("pod-") and c.id not in ("pod-probes", "pod-resource-limits",
                                                                          "pod-read-only-root")]
    assert len(pod) == 8
    assert all(c.mappings.pss and c.mappings.cis for c in pod)


def test_docs_controls_md_is_current() -> None:
    current = (REPO / "docs" / "controls.md").read_text()
    assert current == render_markdown(), "regenerate: buttress controls --format markdown > docs/controls.md"


def test_controls_lists_the_catalog(cli: Callable[..., Run]) -> None:
    run = cli("controls", "--format", "json")
    assert run.exit == 0
    listed = json.loads(run.stdout)
    assert [c["id"] for c in listed] == [c.id for c in CATALOG]
    assert listed[0]["mappings"]["cis-k8s"] == ["5.4.1", "5.4.2"]
    text = cli("controls", "--profile", "baseline")
    assert "image-digest" in text.stdout and "promotion-soak" not in text.stdout


def test_explain_prints_rationale_fix_and_mappings(cli: Callable[..., Run]) -> None:
    run = cli("explain", "pod-privileged")
    assert run.exit == 0
    assert "Fix: " in run.stdout
    assert "CIS Kubernetes v1.8: 5.2.2" in run.stdout
    assert "Pod Security Standards: baseline: Privileged Containers" in run.stdout
    wrong = cli("explain", "pod-privilegd")
    assert wrong.exit == 2 and "did you mean 'pod-privileged'" in wrong.stderr


def test_check_exit_codes(cli: Callable[..., Run], fraud: Path) -> None:
    assert cli("check", fraud, "--at", "2026-12-01").exit == 0
    assert cli("check", fraud, "--env", "qa").exit == 2
    bad_date = cli("check", fraud, "--at", "tomorrow")
    assert bad_date.exit == 2 and "not a date" in bad_date.stderr
    edit(fraud / "blueprint.yaml", "replicas: {min: 3, max: 40}", "replicas: {min: 3, maxx: 40}")
    invalid = cli("check", fraud, "--format", "json")
    assert invalid.exit == 2 and invalid.stdout == ""
    assert re.search(r"blueprint\.yaml:62:\d+: error: ", invalid.stderr)

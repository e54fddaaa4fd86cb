"""Bundles (sorted files, content digest, bundle.json), atomic folder replacement — including a
writer killed mid-write — and the YAML emitter's faithfulness."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from buttress.render import yamlio
from buttress.render.bundle import MANIFEST, Bundle, write_atomic


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_bundle_is_sorted_and_its_digest_names_the_content() -> None:
    a = Bundle({"z.yaml": b"1", "a/b.yaml": b"2"})
    b = Bundle({"a/b.yaml": b"2", "z.yaml": b"1"})
    assert list(a.files) == ["a/b.yaml", "z.yaml"]
    assert a.digest == b.digest
    assert Bundle({"a/b.yaml": b"2", "z.yaml": b"changed"}).digest != a.digest
    assert Bundle({"a/c.yaml": b"2", "z.yaml": b"1"}).digest != a.digest


def test_manifest_lists_every_file_and_the_digest() -> None:
    bundle = Bundle({"prod/a.yaml": b"x", "prod/b/c.yaml": b"yy"}).with_manifest()
    manifest = json.loads(bundle.files[MANIFEST])
    inner = Bundle({p: c for p, c in bundle.files.items() if p != MANIFEST})
    assert manifest["digest"] == f"sha256:{inner.digest}"
    assert manifest["files"] == [{"path": p, "sha256": hashlib.sha256(c).hexdigest(), "size": len(c)}
                                 for p, c in inner.files.items()]


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../b", "", "a//b"])
def test_bundle_refuses_paths_that_leave_it(bad: str) -> None:
    with pytest.raises(ValueError, match="plain relative path"):
        Bundle({bad: b""})


def test_write_atomic_replaces_the_folder_as_a_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_atomic({"a/x.yaml": b"1", "b.yaml": b"2"}, out)
    assert _tree(out) == {"a/x.yaml": b"1", "b.yaml": b"2"}
    (out / "stray.txt").write_text("left by hand")
    write_atomic({"c.yaml": b"3"}, out)
    assert _tree(out) == {"c.yaml": b"3"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folders left


def test_a_failing_write_leaves_the_previous_contents(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_atomic({"keep.yaml": b"old"}, out)
    with pytest.raises(ValueError):
        write_atomic({"fine.yaml": b"new", "../escape.yaml": b"bad"}, out)
    assert _tree(out) == {"keep.yaml": b"old"}


_WRITER = """
import sys
from buttress.render.bundle import write_atomic
files = {f"m{i:04d}/object.yaml": bytes(200_000) for i in range(int(sys.argv[2]))}
print("start", flush=True)
write_atomic(files, sys.argv[1])
print("done", flush=True)
"""


def test_killed_mid_write_leaves_the_previous_contents(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_atomic({"previous.yaml": b"the previous render"}, out)
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(out), "2000"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "start"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the writer is well into its staging folder
        staging = [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp-")]
        if staging and sum(1 for _ in staging[0].rglob("*.yaml")) >= 20:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert _tree(out) == {"previous.yaml": b"the previous render"}
    write_atomic({"next.yaml": b"n"}, out)  # the next run cleans up what the killed one left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert _tree(out) == {"next.yaml": b"n"}


_TEXT = st.text(alphabet=st.sampled_from(list("0123456789_-:.+eExXoObB yYnN~tT#&*!|>%@,[]{}?'\"\\\n\tabé\r")),
                max_size=12)
_SCALAR = st.one_of(_TEXT, st.integers(), st.booleans(), st.none(),
                    st.floats(allow_nan=False, allow_infinity=False))
_DOC = st.recursive(_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(_TEXT, inner, max_size=4)), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(doc=st.dictionaries(_TEXT, _DOC, max_size=5))
def test_emitted_yaml_reads_back_equal_through_pyyaml(doc: dict[str, object]) -> None:
    text = yamlio.dump(doc)
    assert text.startswith("---\n")
    assert yaml.load(text, Loader=yaml.CSafeLoader) == doc


def test_emitter_keeps_key_order_as_built() -> None:
    text = yamlio.dump({"kind": "X", "apiVersion": "v1", "metadata": {"name": "n"}})
    assert text.index("kind") < text.index("apiVersion") < text.index("metadata")


def test_strings_yaml_1_1_would_misread_stay_strings() -> None:
    for value in ["2026-01-01", "1_000", "0b1_0", "yes", "on", "null", "0x1F", "12:30", "1e3"]:
        assert yaml.load(yamlio.dump({"v": value}), Loader=yaml.CSafeLoader) == {"v": value}


def test_a_value_shared_by_several_places_is_written_in_full_at_each() -> None:
    labels = {"severity": "page"}
    doc = {"rules": [{"expr": "a\nb", "labels": labels}, {"expr": "c\nd", "labels": labels}]}
    text = yamlio.dump(doc)  # multi-line strings: the PyYAML path
    assert "&" not in text and "*" not in text
    assert yaml.load(text, Loader=yaml.CSafeLoader) == doc


def _walk_is_safe(obj: object) -> bool:
    """The reference: no key or value of ``obj`` is risky, by walking it."""
    if isinstance(obj, str):
        return not yamlio._risky(obj)
    if isinstance(obj, dict):
        return all(_walk_is_safe(k) and _walk_is_safe(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(_walk_is_safe(v) for v in obj)
    return True


@settings(max_examples=500, deadline=None)
@given(doc=st.dictionaries(_TEXT, _DOC, max_size=5))
def test_fast_risk_scan_never_misses_what_the_walk_finds(doc: dict[str, object]) -> None:
    fast = yamlio._for_yaml_rs(doc)
    if fast:
        assert _walk_is_safe(doc)
    if not any(c in repr(doc) for c in '"\\'):  # without quotes or backslashes the two agree exactly
        assert fast == _walk_is_safe(doc)


_WIDE_TEXT = st.text(alphabet=st.sampled_from(list("0123456789_-:.+eExXoObB yYnN~tT#&*!|>%@,[]{}?'\"\\\n\tabé\r\x7f\x07\u2028")),
                     max_size=12)
_WIDE_DOC = st.recursive(st.one_of(_WIDE_TEXT, st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False)),
                         lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_WIDE_TEXT, inner, max_size=4)),
                         max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(docs=st.lists(st.dictionaries(_WIDE_TEXT, _WIDE_DOC, max_size=5), min_size=1, max_size=3), shared=_WIDE_DOC)
def test_documents_sharing_parts_are_written_as_dump_writes_each(docs: list[dict[str, object]], shared: object) -> None:
    """``dump_documents`` (the Python emitter, which writes a part several documents hold once)
    writes each document as ``dump`` does: yaml-rs's text, or PyYAML's where a string is risky."""
    docs = [{"a": shared, "b": [shared, {"c": [shared]}], "d": d} for d in docs] + docs
    for doc, text in zip(docs, yamlio.dump_documents(docs), strict=True):
        assert yaml.load(text, Loader=yaml.CSafeLoader) == doc
        if yamlio._for_yaml_rs(doc) == _walk_is_safe(doc):  # where the fast scan errs towards PyYAML, so does dump
            assert text == yamlio.dump(doc)


def test_a_part_shared_at_two_depths_is_re_indented() -> None:
    labels = {"severity": "page", "team": "a"}
    groups = [{"name": "g", "rules": [{"alert": "A", "labels": labels}, {"record": "r", "labels": labels}]}]
    rules, operator = yamlio.dump_documents([{"groups": groups}, {"kind": "PrometheusRule", "spec": {"groups": groups}}])
    assert rules == yamlio.dump({"groups": groups})
    assert operator == yamlio.dump({"kind": "PrometheusRule", "spec": {"groups": groups}})

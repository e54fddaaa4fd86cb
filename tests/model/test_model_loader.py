"""The safe YAML loader: what it refuses, where it says the problem is, and the YAML 1.2 values it gives."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from buttress.errors import BlueprintError
from buttress.model.loader import MAX_BYTES, MAX_DEPTH, load_bytes, load_file


def refused(text: str | bytes) -> BlueprintError:
    raw = text.encode() if isinstance(text, str) else text
    with pytest.raises(BlueprintError) as info:
        load_bytes(raw, "f.yaml")
    return info.value


def only(exc: BlueprintError) -> tuple[int, int, str]:
    assert len(exc.problems) == 1
    p = exc.problems[0]
    return p.line, p.column, p.message


def test_duplicate_key_is_refused_at_the_second_occurrence() -> None:
    line, column, message = only(refused("a: 1\nb:\n  c: 1\n  c: 2\n"))
    assert (line, column) == (4, 3)
    assert "duplicate key 'c'" in message and "line 3" in message
    assert refused("a: 1\nb:\n  c: 1\n  c: 2\n").problems[0].keypath == "b.c"


def test_custom_and_python_tags_are_refused() -> None:
    assert "tag !secret" in only(refused("a: !secret x\n"))[2]
    assert "python/object" in only(refused("a: !!python/object:os.system x\n"))[2]
    assert refused("a:\n  - b: !env X\n").problems[0].format().endswith("(at a[0].b)")


def test_standard_tags_are_honoured() -> None:
    doc = load_bytes(b"a: !!str 3\nb: !!int '4'\nc: !!float 1\n", "f.yaml")
    assert doc.data == {"a": "3", "b": 4, "c": 1.0}
    assert "does not match" in only(refused("a: !!int x\n"))[2]


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    exc = refused("\n".join(lines) + "\n")
    assert "alias expansion exceeds" in only(exc)[2]


def test_aliases_within_the_budget_expand() -> None:
    doc = load_bytes(b"base: &b {cpu: 1}\nx: *b\ny: *b\n", "f.yaml")
    assert doc.data["x"] == doc.data["y"] == {"cpu": 1}


def test_deep_nesting_is_refused_with_a_location() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5)) + "  " * (MAX_DEPTH + 5) + "v\n"
    line, _, message = only(refused(text))
    assert "nesting" in message and line > 1


def test_flow_nesting_beyond_libyaml_limit_is_located() -> None:
    line, column, message = only(refused("a: " + "[" * 20000 + "]" * 20000 + "\n"))
    assert line == 1 and column > 1 and ("nesting" in message or "depth" in message)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(MAX_BYTES + 1)
    with pytest.raises(BlueprintError) as info:
        load_file(big)
    assert "limit" in only(info.value)[2]


def test_non_utf8_names_the_byte_position() -> None:
    line, column, message = only(refused(b"a: 1\nb: caf\xe9\n"))
    assert (line, column, message) == (2, 7, "file is not valid UTF-8")


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_files_are_refused(text: str) -> None:
    assert "empty" in only(refused(text))[2]


def test_multiple_documents_are_refused() -> None:
    line, _, message = only(refused("a: 1\n---\nb: 2\n"))
    assert line == 2 and "single YAML document" in message


def test_merge_keys_and_complex_keys_are_refused() -> None:
    assert "merge keys" in only(refused("a: &x {b: 1}\nc:\n  <<: *x\n"))[2]
    assert "plain strings" in only(refused("? [a, b]\n: 1\n"))[2]


def test_recursive_alias_is_refused() -> None:
    assert only(refused("a: &x [1, *x]\n")) == (1, 4, "recursive alias: a node cannot contain itself")


def test_syntax_error_has_line_and_column_and_no_traceback_text() -> None:
    line, column, message = only(refused("a: {b: 1\nc: 2\n"))
    assert line == 2 and column >= 1 and message.startswith("invalid YAML")


def test_plain_scalars_follow_yaml_1_2_core_schema() -> None:
    doc = load_bytes(b"a: on\nb: yes\nc: 2027-05-15\nd: 0o17\ne: 012\nf: .inf\ng: ~\nh: 1.6.0\ni: 'true'\n", "f.yaml")
    d = doc.data
    assert (d["a"], d["b"], d["c"], d["d"], d["e"], d["g"], d["h"], d["i"]) == (
        "on", "yes", "2027-05-15", 15, 12, None, "1.6.0", "true")
    assert math.isinf(d["f"])


def test_source_map_records_keys_and_values() -> None:
    doc = load_bytes(b"top:\n  list:\n    - first\n    - {k: v}\n", "f.yaml")
    assert doc.key_marks[("top", "list")] == (2, 3)
    assert doc.value_marks[("top", "list", 0)] == (3, 7)
    assert doc.value_marks[("top", "list", 1, "k")] == (4, 11)
    mark = doc.locate(("top", "list", 1, "missing"))
    assert (mark.line, mark.column) == (4, 7)


def test_bom_is_accepted() -> None:
    assert load_bytes("\ufeffa: 1\n".encode(), "f.yaml").data == {"a": 1}

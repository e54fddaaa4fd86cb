"""The public API stays curated: ``__all__`` is sorted, complete and importable."""

from __future__ import annotations

import buttress


def test_all_is_sorted_and_exported() -> None:
    assert buttress.__all__ == sorted(buttress.__all__)
    for name in buttress.__all__:
        assert hasattr(buttress, name), name


def test_all_lists_every_public_name() -> None:
    public = {n for n in vars(buttress) if not n.startswith("_")}
    modules = {n for n, v in vars(buttress).items() if type(v).__name__ == "module"}
    assert public - modules == set(buttress.__all__)

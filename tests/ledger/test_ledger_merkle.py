"""The Merkle tree against RFC 6962/9162: known roots, and proofs that verify exactly when they should."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buttress.ledger import merkle

# The eight leaves of the Certificate Transparency reference tests, and their well-known tree hash.
CT_LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43", bytes(range(0x50, 0x58)),
             bytes(range(0x60, 0x70))]
CT_ROOT = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


def mth(leaves: list[bytes]) -> bytes:
    """MTH straight from the RFC's recursive definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))


LEAVES = [merkle.leaf_hash(bytes([i]) * (i % 5)) for i in range(33)]


def test_domain_separation_and_known_root() -> None:
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert merkle.tree_root([merkle.leaf_hash(x) for x in CT_LEAVES]).hex() == CT_ROOT
    assert merkle.tree_root([]) == hashlib.sha256(b"").digest()


def test_frontier_root_equals_the_recursive_definition_at_every_size() -> None:
    frontier = merkle.Frontier()
    for n, leaf in enumerate(LEAVES, 1):
        frontier.append(leaf)
        assert frontier.root() == mth(LEAVES[:n])
        assert len(frontier.hashes) == n.bit_count()


def test_frontier_refuses_a_wrong_number_of_hashes() -> None:
    with pytest.raises(ValueError, match="holds 2 hashes"):
        merkle.Frontier(3, [LEAVES[0]])


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 33])
def test_every_inclusion_proof_verifies_and_a_wrong_leaf_or_root_does_not(size: int) -> None:
    root = mth(LEAVES[:size])
    for index in range(size):
        proof = merkle.inclusion_proof(LEAVES, index, size)
        assert merkle.verify_inclusion(LEAVES[index], index, size, proof, root)
        assert not merkle.verify_inclusion(merkle.leaf_hash(b"forged"), index, size, proof, root)
        assert not merkle.verify_inclusion(LEAVES[index], index, size, proof, merkle.leaf_hash(b"other root"))
        if size > 1:
            assert not merkle.verify_inclusion(LEAVES[index], (index + 1) % size, size, proof, root)
            assert not merkle.verify_inclusion(LEAVES[index], index, size, proof[:-1], root)


def test_every_consistency_proof_verifies_and_forgeries_do_not() -> None:
    for new in range(1, 20):
        for old in range(1, new + 1):
            proof = merkle.consistency_proof(LEAVES, old, new)
            assert merkle.verify_consistency(old, new, mth(LEAVES[:old]), mth(LEAVES[:new]), proof)
            if old < new:
                forged_old = mth([merkle.leaf_hash(b"x"), *LEAVES[1:old]])
                assert not merkle.verify_consistency(old, new, forged_old, mth(LEAVES[:new]), proof)
                assert not merkle.verify_consistency(old, new, mth(LEAVES[:old]), mth(LEAVES[:new]), proof[:-1])


def test_proof_arguments_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_proof(LEAVES, 5, 5)
    with pytest.raises(ValueError):
        merkle.consistency_proof(LEAVES, 0, 5)
    assert not merkle.verify_inclusion(LEAVES[0], 3, 2, [], LEAVES[0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40), st.data())
def test_property_proofs_hold_for_any_log(data_items: list[bytes], data: st.DataObject) -> None:
    leaves = [merkle.leaf_hash(d) for d in data_items]
    n = len(leaves)
    index = data.draw(st.integers(0, n - 1))
    old = data.draw(st.integers(1, n))
    assert merkle.verify_inclusion(leaves[index], index, n, merkle.inclusion_proof(leaves, index), mth(leaves))
    assert merkle.verify_consistency(old, n, mth(leaves[:old]), mth(leaves), merkle.consistency_proof(leaves, old))

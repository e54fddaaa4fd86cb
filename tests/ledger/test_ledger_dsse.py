"""DSSE: the PAE exactly as the DSSE protocol specifies, checked against its published test vectors."""

from __future__ import annotations

import base64

import pytest

from buttress.ledger import dsse
from buttress.ledger.signing import PublicKey, SigningKey

# Keys of the DSSE test vectors (the RFC 8032 Ed25519 test keys 1 and 2).
KEY_A = SigningKey.from_seed(bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
KEY_B = SigningKey.from_seed(bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"))
INTOTO = "application/vnd.in-toto+json"
PAYLOAD = "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEifQ=="
SIG_A = "2WAfaHm5jluo0w+0rk8uVkluELJYWjSmU9x7EUzx+AyteDGJ4/nqyJXfmAUVFIAoQafWm7AxBZNw5M9ixNHiCA=="
SIG_B = "c1+67/aT0yqEpwx8PsVY3MLHsj9D0CZ014/Fv/QlG59P+9CobUZ7xECJ/V3USG0Ob9CiE5LjReEZUzNF2l7eBw=="


def test_pae_matches_the_protocol_example() -> None:
    assert dsse.pae("http://example.com/HelloWorld", b"hello world") == \
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"


@pytest.mark.parametrize(("payload_type", "body", "expected_hex"), [
    (INTOTO, base64.b64decode(PAYLOAD),
     "445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203433207b225f74797065223a2268"
     "747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d"),
    (INTOTO, b"", "445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203020"),
    ("application/vnd.exämple+json", base64.b64decode(PAYLOAD),
     "445353457631203239206170706c69636174696f6e2f766e642e6578c3a46d706c652b6a736f6e203433207b225f74797065223a22"
     "68747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d"),
])
def test_pae_vectors_count_bytes_not_characters(payload_type: str, body: bytes, expected_hex: str) -> None:
    assert dsse.pae(payload_type, body).hex() == expected_hex


def test_ed25519_signature_of_the_vector_is_reproduced() -> None:
    envelope = dsse.sign(INTOTO, base64.b64decode(PAYLOAD), KEY_A)
    assert envelope["signatures"][0]["sig"] == SIG_A
    assert envelope["payload"] == PAYLOAD


def _env(payload: str, payload_type: str, *sigs: tuple[str, str | None]) -> dict[str, object]:
    return {"payload": payload, "payloadType": payload_type,
            "signatures": [{"sig": s, **({"keyid": k} if k else {})} for s, k in sigs]}


@pytest.mark.parametrize(("envelope", "supported", "threshold", "ok"), [
    (_env(PAYLOAD, INTOTO, (SIG_A, "A")), [INTOTO], 1, True),
    (_env("-_-_Pj8=", INTOTO, ("P-_KHICeR7tI6S_YyejJTRtrXhcQyQ2LYPaL8h90KjC9qN8HU_svOQ6TuDOT1HIrsGW886DbWNWcCmX5twLrAw==",
                               "A")), [INTOTO], 1, True),
    (_env(PAYLOAD, "application/vnd.example.other+json", (SIG_A, "A")),
     [INTOTO, "application/vnd.example.other+json"], 1, False),
    (_env("", INTOTO, ("gSggCAaTLTYyRH6FIDBem6meyIynsYy8RTHVzwx9tnTb7Bg/1jMWnuVgI/gffqmbsC2VX5/jHfkkDqsj7CDbDg==", "A")),
     [INTOTO], 1, True),
    (_env(PAYLOAD, "", ("iC3q/+3Rm0+lpAJRueDmDh15PnwCfxKmS0NAfKsbv+zgulXQC/WM9trc+j1XEqlwDIg/vf/uNfebeD6sxInrDg==", "A")),
     [INTOTO], 1, False),
    (_env(PAYLOAD, INTOTO, (SIG_A, "A"), (SIG_B, "B")), [INTOTO], 2, True),
    (_env(PAYLOAD, INTOTO, (SIG_A, "A"), (SIG_A, "A")), [INTOTO], 2, False),
    (_env(PAYLOAD, INTOTO, (SIG_A, None), (SIG_B, None)), [INTOTO], 2, True),
], ids=["single", "url-safe", "type-swapped", "empty-payload", "empty-type", "two-keys", "one-key-twice", "no-keyids"])
def test_verification_vectors(envelope: dict[str, object], supported: list[str], threshold: int, ok: bool) -> None:
    result = dsse.verify(envelope, [KEY_A.public, KEY_B.public], supported, threshold)
    assert result.ok is ok, result.reason


def test_untrusted_key_and_tampered_payload_are_rejected() -> None:
    envelope = dsse.sign(INTOTO, b'{"a":1}', KEY_A)
    assert dsse.verify(envelope, [KEY_A.public], [INTOTO]).ok
    assert not dsse.verify(envelope, [KEY_B.public], [INTOTO]).ok
    tampered = {**envelope, "payload": base64.b64encode(b'{"a":2}').decode()}
    assert not dsse.verify(tampered, [KEY_A.public], [INTOTO]).ok
    assert "cannot be decoded" in dsse.verify({"payload": "%%"}, [KEY_A.public], [INTOTO]).reason
    assert not PublicKey(KEY_A.public.raw).verify(b"\0" * 64, b"x")

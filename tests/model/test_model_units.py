"""Value types: each parses what users write and refuses the rest with a clear message."""

from __future__ import annotations

from decimal import Decimal

import pytest

from buttress.model.units import (
    Cron,
    DnsLabel,
    Duration,
    Endpoint,
    ImageRef,
    Percent,
    Quantity,
    Rate,
    SecretRef,
    SemVer,
    SemverRange,
)


@pytest.mark.parametrize(("text", "amount"), [
    ("250m", Decimal("0.25")), ("1", Decimal(1)), ("1.5", Decimal("1.5")), ("512Mi", Decimal(512 * 2**20)),
    ("2Gi", Decimal(2 * 2**30)), ("1k", Decimal(1000)), ("100M", Decimal(10**8)), (".5", Decimal("0.5")),
])
def test_quantities(text: str, amount: Decimal) -> None:
    assert Quantity.validate(text).amount == amount
    assert str(Quantity.validate(text)) == text


def test_quantity_numbers_and_errors() -> None:
    assert Quantity.validate(4).amount == 4
    for bad in ("2GB", "-1", "m", "1.2.3", ""):
        with pytest.raises(ValueError, match="Kubernetes quantity"):
            Quantity.validate(bad)


@pytest.mark.parametrize(("text", "seconds", "prom"), [
    ("150ms", 0.15, "150ms"), ("30s", 30, "30s"), ("10m", 600, "10m"), ("24h", 86400, "1d"), ("28d", 28 * 86400, "4w"),
    ("1h30m", 5400, "90m"), ("3d", 3 * 86400, "3d"),
])
def test_durations(text: str, seconds: float, prom: str) -> None:
    d = Duration.validate(text)
    assert d.seconds == pytest.approx(seconds)
    assert d.prometheus == prom


@pytest.mark.parametrize("bad", ["10", "10 m", "m10", "1y", "", 10])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        Duration.validate(bad)


def test_percent() -> None:
    assert Percent.validate("99.95%").ratio == pytest.approx(0.9995)
    assert Percent.validate(70).value == 70
    for bad in ("0%", "101%", "abc%"):
        with pytest.raises(ValueError):
            Percent.validate(bad)


def test_rates() -> None:
    assert Rate.validate("2500rps").per_second == 2500
    assert Rate.validate("90000rpm").per_second == 1500
    with pytest.raises(ValueError, match="rate"):
        Rate.validate("2500/s")


def test_semver_parse_and_precedence() -> None:
    assert SemVer.validate("1.6.0").key() > SemVer.validate("1.6.0-rc.1").key()
    assert SemVer.validate("1.6.0-rc.2").key() > SemVer.validate("1.6.0-rc.1").key()
    assert SemVer.validate("1.10.0").key() > SemVer.validate("1.9.9").key()
    for bad in ("1.6", "01.2.3", "1.2.3.4"):
        with pytest.raises(ValueError, match="semantic version"):
            SemVer.validate(bad)
    with pytest.raises(ValueError, match="quote"):
        SemVer.validate(1.6)


# npm's documented range semantics (node-semver README).
@pytest.mark.parametrize(("rng", "version", "ok"), [
    ("^1.4", "1.6.0", True), ("^1.4", "1.3.9", False), ("^1.4", "2.0.0", False),
    ("^2", "2.3.1", True), ("^2.0", "1.6.0", False), ("^0.2.3", "0.2.9", True), ("^0.2.3", "0.3.0", False),
    ("^0.0.3", "0.0.4", False), ("~2.3.0", "2.3.9", True), ("~2.3.0", "2.4.0", False), ("~1", "1.9.0", True),
    (">=1.2 <2", "1.9.9", True), (">=1.2 <2", "2.0.0", False), (">=1.2 <2", "1.1.0", False),
    ("1.x", "1.5.0", True), ("1.x", "2.0.0", False), ("*", "9.9.9", True), ("1.2.3", "1.2.3", True),
    ("1.2.3", "1.2.4", False), ("1.2 - 1.4", "1.4.9", True), ("1.2 - 1.4", "1.5.0", False),
    ("^1 || ^3", "3.1.0", True), ("^1 || ^3", "2.1.0", False), (">1.2", "1.2.5", False), (">1.2", "1.3.0", True),
    ("<=1.2", "1.2.9", True), ("<=1.2", "1.3.0", False), ("^1.2.3", "1.3.0-beta", False),
    ("^1.2.3-beta.1", "1.2.3-beta.2", True), (">= 1.2", "1.2.0", True),
])
def test_semver_ranges_follow_npm(rng: str, version: str, ok: bool) -> None:
    assert SemverRange.validate(rng).satisfied_by(SemVer.validate(version)) is ok


def test_bad_range() -> None:
    with pytest.raises(ValueError, match="semver range"):
        SemverRange.validate("^banana")


@pytest.mark.parametrize("good", ["0 3 * * *", "*/15 * * * *", "0 9-17 * * mon-fri", "0 0 1,15 * *", "@daily",
                                  "30 4 * JAN,JUL SUN"])
def test_cron_good(good: str) -> None:
    assert str(Cron.validate(good)) == good


@pytest.mark.parametrize(("bad", "why"), [("0 3 * *", "5 fields"), ("60 * * * *", "minute"), ("0 24 * * *", "hour"),
                                          ("0 0 0 * *", "day of month"), ("*/0 * * * *", "step"),
                                          ("0 0 * foo *", "month")])
def test_cron_bad(bad: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        Cron.validate(bad)


def test_dns_labels() -> None:
    assert str(DnsLabel.validate("fraud-prod")) == "fraud-prod"
    for bad in ("Fraud", "-a", "a-", "a_b", "a" * 64):
        with pytest.raises(ValueError, match="DNS-1123"):
            DnsLabel.validate(bad)


def test_secret_refs_never_echo_the_value() -> None:
    ref = SecretRef.validate("vault://secret/risk/txdb#password")
    assert (ref.scheme, ref.path, ref.key) == ("vault", "secret/risk/txdb", "password")
    for scheme in ("aws-sm://a#b", "gcp-sm://a/b#c", "k8s://s#k"):
        SecretRef.validate(scheme)
    secret = "ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG"
    with pytest.raises(ValueError) as info:
        SecretRef.validate(secret)
    assert secret not in str(info.value)


def test_images() -> None:
    pinned = ImageRef.validate("registry.example.com/risk/scorer@sha256:" + "a" * 64)
    assert pinned.pinned and pinned.repository == "registry.example.com/risk/scorer"
    tagged = ImageRef.validate("registry.example.com:5000/risk/scorer:2.3.1")
    assert not tagged.pinned and tagged.tag == "2.3.1"
    with pytest.raises(ValueError, match="OCI image"):
        ImageRef.validate("Registry/UPPER:tag")


def test_endpoints() -> None:
    e = Endpoint.validate("postgres://txdb.internal.example.com:5432")
    assert (e.scheme, e.host, e.port) == ("postgres", "txdb.internal.example.com", 5432)
    for bad in ("txdb:5432", "postgres://txdb", "https://h:70000"):
        with pytest.raises(ValueError, match="endpoint"):
            Endpoint.validate(bad)

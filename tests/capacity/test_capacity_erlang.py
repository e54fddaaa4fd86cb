"""Erlang B/C and M/M/c latency against published values and closed forms."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from buttress.capacity.erlang import erlang_b, erlang_c, mean_wait, response_exceeds, response_quantile


def _erlang_c_by_definition(c: int, a: Fraction) -> Fraction:
    """The textbook formula with factorials, in exact arithmetic."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize(("servers", "erlangs", "blocking"), [
    (10, 4.46, 0.01),   # Erlang B table: 10 trunks carry 4.46 E at 1% blocking
    (10, 5.08, 0.02),   # ... and 5.08 E at 2%
    (5, 2.0, 0.0367),   # 5 trunks, 2 E: 3.67%
])
def test_erlang_b_matches_the_traffic_tables(servers: int, erlangs: float, blocking: float) -> None:
    assert erlang_b(servers, erlangs) == pytest.approx(blocking, rel=0.01)


@pytest.mark.parametrize(("servers", "erlangs", "waiting"), [
    (14, 10.0, 0.1741),  # the common call-centre example: 10 E offered to 14 agents -> 17.4% wait
    (11, 10.0, 0.6821),  # ... and to 11 agents -> 68.2%
    (10, 6.0, 0.10),     # 120 customers/h, 3 min each, 10 assistants: "about 0.10" from the Erlang C curve
    (2, 1.5, 0.6429),    # two 1 Mbps lines, 150 packets/s of 10 kb (Wolfram ErlangC application)
])
def test_erlang_c_matches_published_examples(servers: int, erlangs: float, waiting: float) -> None:
    assert erlang_c(servers, erlangs) == pytest.approx(waiting, abs=0.002 if waiting != 0.10 else 0.005)


def test_support_centre_needs_six_people_for_ninety_percent_undelayed() -> None:
    # Wolfram ErlangC application: 30 calls/h, 5 min each; P(not delayed) >= 90% needs 6 employees
    offered = 30 / 12
    assert erlang_c(5, offered) > 0.1 >= erlang_c(6, offered)


@pytest.mark.parametrize(("c", "a"), [(1, Fraction(1, 2)), (3, Fraction(5, 2)), (8, Fraction(7)), (40, Fraction(31))])
def test_erlang_c_equals_the_factorial_formula(c: int, a: Fraction) -> None:
    assert erlang_c(c, float(a)) == pytest.approx(float(_erlang_c_by_definition(c, a)), rel=1e-12)


def test_closed_forms_for_one_and_two_servers() -> None:
    lam, mu = 8.0, 10.0
    assert erlang_c(1, lam / mu) == pytest.approx(0.8)
    assert mean_wait(1, lam, 1 / mu) == pytest.approx(0.8 / (mu - lam))  # M/M/1: Wq = rho / (mu - lambda)
    rho = 0.6
    assert erlang_c(2, 2 * rho) == pytest.approx(2 * rho**2 / (1 + rho))  # M/M/2


def test_thousands_of_servers_stay_finite() -> None:
    value = erlang_c(5000, 4900.0)
    assert 0 < value < 1
    assert erlang_b(20000, 19000.0) > 0


def test_overload_waits_forever() -> None:
    assert erlang_c(4, 4.0) == 1.0
    assert mean_wait(4, 400.0, 0.01) == math.inf
    assert response_quantile(0.95, 4, 400.0, 0.01) == math.inf


def test_response_quantile_inverts_the_tail() -> None:
    servers, lam, service = 8, 600.0, 0.01
    c = erlang_c(servers, lam * service)
    p95 = response_quantile(0.95, servers, lam, service)
    assert response_exceeds(p95, servers, lam, service, c) == pytest.approx(0.05, rel=1e-6)


def test_without_queueing_the_quantile_is_the_exponential_service_quantile() -> None:
    assert response_quantile(0.95, 100, 1e-9, 0.01) == pytest.approx(-math.log(0.05) * 0.01, rel=1e-6)


def test_theta_equal_mu_uses_the_gamma_tail() -> None:
    # c*mu - lambda == mu: the sum of two exponentials of the same rate
    servers, service = 2, 0.01
    lam = (servers - 1) / service
    c = erlang_c(servers, lam * service)
    t = 0.03
    assert response_exceeds(t, servers, lam, service, c) == pytest.approx(
        (1 - c) * math.exp(-t / service) + c * (1 + t / service) * math.exp(-t / service))

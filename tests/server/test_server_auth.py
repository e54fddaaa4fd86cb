"""Browser authentication and the web pages' rules: argon2id password hashes with buttress's parameters,
login with a double-submit CSRF cookie and throttling (per identity and client address, atomic under
parallel guesses, a ceiling per identity that slows and never locks out), cookie flags, CSRF on every
form, sessions that end, buttons only for those allowed, security headers on pages, and nothing echoed
from a link onto a page."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from buttress.app import accounts
from buttress.ledger import accounts as ledger_accounts

World = Any  # the ``world`` fixture of conftest.py
Login = Any


def _login_form(client: Any) -> str:
    return str(client.get("/login").text.split('name="csrf" value="')[1].split('"')[0])


def _post_login(client: Any, who: str, password: str) -> Any:
    return client.post("/login", data={"identity": who, "password": password, "csrf": _login_form(client)},
                       follow_redirects=False)


def test_server_passwords_are_argon2id_hashes(real_argon2: None, world: World) -> None:
    from argon2 import Type, extract_parameters

    with world.ctx().ledger().read() as session:
        row = ledger_accounts.account(session, "bob")
        assert row is not None and world.password not in row.password_hash
        stored = extract_parameters(row.password_hash)
    # what buttress itself hashes with (RFC 9106's low-memory profile), not argon2-cffi's current defaults
    assert stored.type is Type.ID
    assert (stored.memory_cost, stored.time_cost, stored.parallelism) == (64 * 1024, 3, 4)
    assert (stored.hash_len, stored.salt_len) == (32, 16)
    assert (accounts.ARGON2_MEMORY_KIB, accounts.ARGON2_TIME_COST, accounts.ARGON2_PARALLELISM) == (64 * 1024, 3, 4)
    assert extract_parameters(accounts._DUMMY_HASH) == stored, "an unknown name costs the same work"


def test_server_login_sets_a_strict_secure_session_cookie(world: World) -> None:
    client = world.client()
    answer = _post_login(client, "bob", world.password)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("buttress_session="))
    assert all(flag in cookie.lower() for flag in ("httponly", "secure", "samesite=strict", "path=/"))
    home = client.get("/")
    assert home.status_code == 200 and '<span class="ident" id="identity">bob</span>' in home.text


def test_server_login_refuses_without_its_csrf_cookie_and_wrong_passwords(world: World) -> None:
    client = world.client()
    forged = client.post("/login", data={"identity": "bob", "password": world.password, "csrf": "forged"},
                         follow_redirects=False)
    assert forged.status_code == 403 and "the login form expired" in forged.text
    wrong = _post_login(client, "bob", "not the password")
    assert wrong.status_code == 401 and "unknown identity or wrong password" in wrong.text
    unknown = _post_login(client, "nobody", "not the password")
    assert unknown.status_code == 401 and "unknown identity or wrong password" in unknown.text
    assert "not the password" not in wrong.text


def test_server_login_is_throttled_per_identity_and_address(world: World) -> None:
    client = world.client(address="198.51.100.7")
    for _ in range(accounts.THROTTLE_FAILURES):
        assert _post_login(client, "bob", "guess guess guess").status_code == 401
    throttled = _post_login(client, "bob", world.password)  # even the right password, while throttled
    assert throttled.status_code == 429 and "too many failed logins for bob from 198.51.100.7" in throttled.text
    assert int(throttled.headers["retry-after"]) == accounts.THROTTLE_MINUTES * 60
    assert _post_login(world.client(address="198.51.100.7"), "sec", world.password).status_code == 303, \
        "other identities from that address are not affected"
    assert _post_login(world.client(address="203.0.113.20"), "bob", world.password).status_code == 303, \
        "the guesser does not lock bob out: bob logs in from his own address"
    world.clock.advance(minutes=accounts.THROTTLE_MINUTES, seconds=1)
    assert _post_login(world.client(address="198.51.100.7"), "bob", world.password).status_code == 303


def test_server_parallel_wrong_guesses_never_exceed_the_limit(any_world: World,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = accounts._hasher

    class SlowHasher:
        """The test's hasher, slowed down so that the guesses overlap while the password is checked."""

        def verify(self, stored: str, password: str) -> bool:
            checked.append(password)
            time.sleep(0.05)
            return bool(real.verify(stored, password))

    monkeypatch.setattr(accounts, "_hasher", SlowHasher())
    guesses = 3 * accounts.THROTTLE_FAILURES
    start = threading.Barrier(guesses)

    def guess(i: int) -> str:
        ctx = any_world.ctx()
        ctx.ledger()
        start.wait()
        try:
            accounts.login(ctx, "bob", f"wrong guess {i}", "192.0.2.1")
        except accounts.Throttled:
            return "throttled"
        except PermissionError:
            return "checked"
        return "logged in"

    with ThreadPoolExecutor(guesses) as pool:
        results = list(pool.map(guess, range(guesses)))
    assert results.count("checked") == accounts.THROTTLE_FAILURES == len(checked), results
    assert results.count("throttled") == guesses - accounts.THROTTLE_FAILURES
    with pytest.raises(accounts.Throttled):
        accounts.login(any_world.ctx(), "bob", any_world.password, "192.0.2.1")
    secret, _ = accounts.login(any_world.ctx(), "bob", any_world.password, "192.0.2.2")
    assert secret and len(checked) == accounts.THROTTLE_FAILURES + 1


def test_server_login_ceiling_across_addresses_slows_but_never_locks_out(world: World) -> None:
    ctx = world.ctx
    for i in range(accounts.IDENTITY_CEILING):
        address = f"198.51.100.{i // accounts.THROTTLE_FAILURES}"
        with pytest.raises(PermissionError):
            accounts.login(ctx(), "bob", "guess guess guess", address)
    with pytest.raises(accounts.Throttled) as slowed:
        accounts.login(ctx(), "bob", world.password, "203.0.113.20")  # a fresh address: slowed, not free
    assert f"one attempt every {accounts.SLOW_SECONDS} s" in str(slowed.value)
    assert slowed.value.retry_after == accounts.SLOW_SECONDS
    world.clock.advance(seconds=accounts.SLOW_SECONDS)
    assert accounts.login(ctx(), "bob", world.password, "203.0.113.20")[0], "bob gets in once he waits"
    world.clock.advance(seconds=accounts.SLOW_SECONDS)
    with pytest.raises(PermissionError):
        accounts.login(ctx(), "bob", "guess guess guess", "198.51.100.99")  # one more guess, then slowed again
    with pytest.raises(accounts.Throttled):
        accounts.login(ctx(), "bob", "guess guess guess", "198.51.100.98")
    world.clock.advance(minutes=accounts.THROTTLE_MINUTES, seconds=1)
    assert accounts.login(ctx(), "bob", world.password, "203.0.113.21")[0], "the ceiling ends with its window"


def test_server_serve_help_states_the_throttling_policy(cli: Any) -> None:
    text = " ".join(cli("serve", "--help").stdout.split())
    assert (f"{accounts.THROTTLE_FAILURES} failed logins of one identity from one client address within "
            f"{accounts.THROTTLE_MINUTES} minutes") in text
    assert f"{accounts.IDENTITY_CEILING} failures" in text and f"one attempt every {accounts.SLOW_SECONDS} s" in text


def test_server_forms_need_the_session_csrf_token(world: World, login: Login) -> None:
    bob = login("bob")
    page = f"/releases/{world.release}/decisions"
    for token in ("", "wrong"):
        refused = bob.post(page, data={"environment": "prod", "kind": "approve", "csrf": token})
        assert refused.status_code == 403 and "CSRF token is missing or stale" in refused.text
    assert bob.post("/logout", data={"csrf": "wrong"}).status_code == 403
    api = bob.post(f"/api/releases/{world.release}/approvals", json={"environment": "prod"})
    assert api.status_code == 403 and "CSRF" in api.json()["detail"]
    assert bob.get(f"/api/releases/{world.release}").json()["environmentDetails"]["prod"]["decisions"] == []
    ok = bob.post(f"/api/releases/{world.release}/approvals", json={"environment": "prod"},
                  headers={"X-CSRF-Token": bob.csrf})
    assert ok.status_code == 201 and ok.json()["identity"] == "bob"


def test_server_approve_button_only_for_approvers_and_decisions_attributed(world: World, login: Login) -> None:
    page = f"/releases/{world.release}"
    eve = login("eve")
    assert 'id="approve-prod"' not in eve.get(page).text and 'id="promote-dev"' in eve.get(page).text
    refused = eve.post(f"{page}/decisions", data={"environment": "prod", "kind": "approve", "csrf": eve.csrf})
    assert refused.status_code == 403 and "eve may not approve promotions to prod" in refused.text
    assert 'id="approve-prod"' not in login("carol").get(page).text  # the creator: separation of duties
    bob = login("bob")
    assert 'id="approve-prod"' in bob.get(page).text
    done = bob.post(f"{page}/decisions", data={"environment": "prod", "kind": "approve", "csrf": bob.csrf,
                                               "identity": "alice"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?notice=approve-prod")
    after = bob.get(done.headers["location"]).text
    assert 'id="approve-prod"' not in after and "Done: approve prod." in after
    [entry] = [e for e in world.client("alice").get("/api/audit/entries").json()["entries"] if e["kind"] == "approve"]
    assert entry["actor"] == "bob"


def test_server_logout_and_expiry_end_the_session(world: World, login: Login) -> None:
    bob = login("bob")
    cookie = bob.cookies.get("buttress_session")
    assert bob.post("/logout", data={"csrf": bob.csrf}, follow_redirects=False).headers["location"] == "/login"
    replay = world.client()
    replay.cookies.set("buttress_session", cookie)
    assert replay.get("/", follow_redirects=False).headers["location"] == "/login"
    assert replay.get("/api/me").status_code == 401
    sec = login("sec")
    world.clock.advance(hours=accounts.SESSION_HOURS, seconds=1)
    assert sec.get("/", follow_redirects=False).headers["location"] == "/login"


def test_server_pages_carry_strict_headers_and_no_inline_code(world: World, login: Login) -> None:
    bob = login("bob")
    for page in ("/", f"/releases/{world.release}", "/modules", "/audit", "/login"):
        answer = bob.get(page)
        assert answer.status_code == 200, page
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["strict-transport-security"].startswith("max-age=")
        html = answer.text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), page  # no inline script
        assert not re.search(r"\s(on[a-z]+|style)=", html), page  # no inline handlers or styles
        assert "http://" not in html and "https://" not in html, page  # no asset from the network
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, flags=re.S):
            assert 'name="csrf"' in form, (page, form)


def test_server_links_cannot_put_words_on_pages(world: World, login: Login) -> None:
    client = world.client()
    page = client.get("/login", params={"error": "call 555-0100 to reset", "status": "500"})
    assert page.status_code == 200 and "555-0100" not in page.text
    bob = login("bob")
    assert bob.get(f"/releases/{world.release}", params={"notice": "approve-prod"}).status_code == 200
    assert bob.get(f"/releases/{world.release}", params={"notice": "your account is locked"}).status_code == 422


def test_server_web_reject_withdraw_promote_and_rollback(world: World, login: Login) -> None:
    page = f"/releases/{world.release}"
    sec = login("sec")
    rejected = sec.post(f"{page}/decisions", data={"environment": "prod", "kind": "reject", "csrf": sec.csrf,
                                                   "reason": "CVE-2026-1"}, follow_redirects=False)
    assert rejected.status_code == 303
    shown = sec.get(page).text
    assert "rejected by sec" in shown and "Withdraw my rejection" in shown and "CVE-2026-1" in shown
    assert sec.post(f"{page}/decisions", data={"environment": "prod", "kind": "veto", "csrf": sec.csrf}).status_code == 422
    assert sec.post(f"{page}/decisions", data={"environment": "prod", "kind": "withdraw", "csrf": sec.csrf},
                    follow_redirects=False).status_code == 303
    assert "Withdraw my rejection" not in sec.get(page).text
    eve = login("eve")
    first = eve.post(f"{page}/promotions", data={"environment": "dev", "replacing": "none", "csrf": eve.csrf},
                     follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].endswith("notice=promoted-dev")
    stale = eve.post(f"{page}/promotions", data={"environment": "dev", "replacing": "none", "csrf": eve.csrf})
    assert stale.status_code == 409 and "refused" in stale.text  # the page was drawn before the other promotion
    refused = eve.post(f"{page}/promotions", data={"environment": "prod", "replacing": "none", "csrf": eve.csrf})
    assert refused.status_code == 412 and "0 of 2 approval(s)" in refused.text  # a gate, not a race
    second = world.new_release("carol", "v2")
    assert eve.post(f"/releases/{second}/promotions", data={"environment": "dev", "replacing": world.release,
                                                             "csrf": eve.csrf}, follow_redirects=False).status_code == 303
    assert 'action="/environments/dev/rollback"' in eve.get("/").text
    rolled = eve.post("/environments/dev/rollback", data={"csrf": eve.csrf})
    assert rolled.status_code == 200 and "rollback of" in rolled.text and "deployed" in rolled.text
    assert world.client("eve").get("/api/environments/dev").json()["current"]["release"] == world.release
    actors = {e["actor"] for e in world.client("alice").get("/api/audit/entries", params={"limit": 500}).json()["entries"]
              if e["kind"] in ("promote", "rollback", "reject", "withdraw")}
    assert actors == {"sec", "eve"}

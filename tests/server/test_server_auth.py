"""Browser authentication and the web pages' rules: argon2id password hashes, login with a double-submit
CSRF cookie and throttling, cookie flags, CSRF on every form, sessions that end, buttons only for those
allowed, security headers on pages, and nothing echoed from a link onto a page."""

from __future__ import annotations

import re
from typing import Any

from buttress.app import accounts
from buttress.ledger import accounts as ledger_accounts

World = Any  # the ``world`` fixture of conftest.py
Login = Any


def _login_form(client: Any) -> str:
    return str(client.get("/login").text.split('name="csrf" value="')[1].split('"')[0])


def _post_login(client: Any, who: str, password: str) -> Any:
    return client.post("/login", data={"identity": who, "password": password, "csrf": _login_form(client)},
                       follow_redirects=False)


def test_server_passwords_are_argon2id_hashes(world: World) -> None:
    from argon2 import PasswordHasher

    assert PasswordHasher().type.name == "ID" and PasswordHasher().memory_cost >= 64 * 1024  # the production hasher
    assert accounts._DUMMY_HASH.startswith("$argon2id$") and "m=65536" in accounts._DUMMY_HASH
    with world.ctx().ledger().read() as session:
        row = ledger_accounts.account(session, "bob")
        assert row is not None and row.password_hash.startswith("$argon2id$")
        assert world.password not in row.password_hash


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


def test_server_login_is_throttled_per_identity(world: World) -> None:
    client = world.client()
    for _ in range(accounts.THROTTLE_FAILURES):
        assert _post_login(client, "bob", "guess guess guess").status_code == 401
    throttled = _post_login(client, "bob", world.password)  # even the right password, while throttled
    assert throttled.status_code == 429 and "too many failed logins for bob" in throttled.text
    assert _post_login(world.client(), "sec", world.password).status_code == 303  # others are not affected
    world.clock.advance(minutes=accounts.THROTTLE_MINUTES, seconds=1)
    assert _post_login(world.client(), "bob", world.password).status_code == 303


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

"""API tests: every endpoint, with its refusals (401, 403 with the reason, 404, 409, 412, 422)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from tests.ledger.test_ledger_trust import _forged_proof

from buttress.app import accounts, ledger_report

World = Any  # the ``world`` fixture of conftest.py (test modules cannot import it)

REFS = {"ref": "1", "env": "prod", "seq": "0", "token_id": "0123456789ab", "identity": "eve", "name": "fraud-detection",
        "path": "service.yaml"}


def _concrete(path: str) -> str:
    for key, value in REFS.items():
        path = path.replace("{" + key + "}", value)
    return path


def test_server_health_is_the_only_open_endpoint(world: World) -> None:
    anonymous = world.client()
    assert anonymous.get("/health").json() == {"status": "ok"}
    schema = world.client("alice").get("/openapi.json").json()
    assert len(schema["paths"]) >= 25
    for path, item in schema["paths"].items():
        for method in item:
            if path == "/health":
                continue
            answer = anonymous.request(method.upper(), _concrete(path), json={})
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert "authentication required" in answer.json()["detail"]
    assert anonymous.get("/openapi.json").status_code == 401
    for page in ("/", "/modules", "/audit", f"/releases/{world.release}"):
        assert anonymous.get(page, follow_redirects=False).headers["location"] == "/login"


def test_server_bad_expired_and_revoked_tokens_are_refused(world: World) -> None:
    bad = world.client()
    for header in ("Bearer nope", "Bearer btk_0123456789ab_wrong", "Basic abc", f"Bearer {world.tokens['bob']}x"):
        assert bad.get("/api/me", headers={"Authorization": header}).status_code == 401
    text, _info = accounts.create_token(world.ctx("bob"), None, "short", None, False, 1)
    me = world.client().get("/api/me", headers={"Authorization": f"Bearer {text}"})
    assert me.json()["identity"] == "bob" and me.json()["roles"] == ["release-manager"]
    world.clock.advance(days=1, seconds=1)
    assert world.client().get("/api/me", headers={"Authorization": f"Bearer {text}"}).status_code == 401
    bob = world.client("bob")
    assert bob.delete(f"/api/tokens/{world.tokens['bob'].split('_')[1]}").json()["revokedAt"]
    assert bob.get("/api/me").status_code == 401


def test_server_security_headers(world: World) -> None:
    answer = world.client("alice").get("/api/releases")
    csp = answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"


def test_server_release_views(world: World) -> None:
    eve = world.client("eve")
    [listed] = eve.get("/api/releases").json()
    assert listed["id"] == world.release and listed["creator"] == "carol" and listed["runningIn"] == []
    detail = eve.get(f"/api/releases/{world.release}").json()
    prod = detail["environmentDetails"]["prod"]
    assert {g["gate"]: g["passed"] for g in prod["gates"]}["approvals"] is False
    assert "0 of 2 approval(s)" in {g["gate"]: g["reason"] for g in prod["gates"]}["approvals"]
    added = {a["file"] for a in prod["changes"]["added"]}
    assert prod["changes"]["against"] is None and {"scorer/deployment-scorer.yaml", "scorer/service-scorer.yaml"} <= added
    assert detail["attestation"]["ok"] is True
    assert eve.get(f"/api/releases/{world.release[:8]}").json()["id"] == world.release
    assert eve.get(f"/api/releases/{world.release}/attestation").json()["ok"] is True
    assert eve.get(f"/api/releases/{world.release}/findings/prod").json() == []
    service = eve.get(f"/api/releases/{world.release}/files/prod/scorer/service-scorer.yaml").text
    assert "kind: Service\n" in service and "namespace: fraud-prod" in service
    assert eve.get(f"/api/releases/{world.release}/files/prod/nope.yaml").status_code == 404
    assert eve.get("/api/releases/rel-000000000000").status_code == 404
    assert eve.get("/api/releases/%20bad%20/findings/prod").status_code == 422
    assert eve.get(f"/api/releases/{world.release}/findings/nowhere").status_code == 404
    assert eve.get("/api/blueprints").json()[0]["name"] == "fraud-detection"


def test_server_diff_between_releases_and_environments(world: World) -> None:
    second = world.new_release("carol", "v2")
    eve = world.client("eve")
    diff = eve.get(f"/api/releases/{second}/diff", params={"environment": "prod", "against": world.release}).json()
    [deployment] = [c for c in diff["changed"] if c["kind"] == "Deployment"]
    image = {c["path"]: c for c in deployment["changes"]}["spec.template.spec.containers[scorer].image"]
    assert image["to"].endswith(hashlib.sha256(b"v2").hexdigest())
    assert not diff["added"] and not diff["removed"]
    envs = eve.get(f"/api/releases/{second}/diff", params={"environment": "prod", "againstEnvironment": "dev"}).json()
    assert [a["file"] for a in envs["added"]] == ["namespace-fraud-prod.yaml"]
    assert [r["file"] for r in envs["removed"]] == ["namespace-fraud-dev.yaml"]
    assert eve.get(f"/api/releases/{second}/diff", params={"environment": "qa"}).status_code == 404
    assert eve.get(f"/api/releases/{second}/diff").status_code == 422


def test_server_release_creation_from_ci(world: World, blueprint_source: Any) -> None:
    rid = world.new_release("carol", "ci")
    assert world.client("eve").get(f"/api/releases/{rid}").json()["creator"] == "carol"
    carol = world.client("carol")
    good = blueprint_source()
    for bad in ({"source": {"blueprint.yaml": "!!"}},  # not base64
                {"source": {}},  # nothing
                {"blueprintFile": "main.yaml", "source": good["source"]},  # no such file
                {"blueprintFile": "../blueprint.yaml", "source": good["source"]},
                {"source": {**good["source"], "../escape.yaml": "YQ=="}},
                {"source": {**good["source"], "/etc/passwd": "YQ=="}},
                {"source": {**good["source"], ".buttress/keys/ledger.key": "YQ=="}},
                {"source": {**good["source"], "policies/x.rego": base64.b64encode(b"\xff\xfe").decode()}},
                {"source": {**good["source"], "patterns": "YQ==", "patterns/x.yaml": "YQ=="}},  # file and folder
                good | {"policy": {}}, good | {"findings": {}}, good | {"sourceDigest": "00" * 32}):
        answer = carol.post("/api/releases", json=bad)
        assert answer.status_code == 422, (bad.keys(), answer.text)
    too_big = {"source": {f"f{i}.yaml": "YQ==" for i in range(300)} | good["source"]}
    assert carol.post("/api/releases", json=too_big).status_code == 422
    huge = carol.post("/api/releases", content=b"{}", headers={"Content-Type": "application/json",
                                                               "Content-Length": str(64 * 1024 * 1024)})
    assert huge.status_code == 413


def test_server_approvals_enforce_roles_and_separation_of_duties(world: World) -> None:
    rid = world.release
    refused = world.client("eve").post(f"/api/releases/{rid}/approvals", json={"environment": "prod"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == ("eve may not approve promotions to prod: it needs the role release-manager or "
                                        "security (holds engineer)")
    creator = world.client("carol").post(f"/api/releases/{rid}/approvals", json={"environment": "prod"})
    assert creator.status_code == 403
    assert creator.json()["detail"] == f"carol created {rid} and may not approve it (separation of duties)"
    ok = world.client("bob").post(f"/api/releases/{rid}/approvals", json={"environment": "prod", "reason": "lgtm"})
    assert ok.status_code == 201 and ok.json()["identity"] == "bob" and ok.json()["roles"] == ["release-manager"]
    assert world.client("bob").post(f"/api/releases/{rid}/approvals", json={"environment": "qa"}).status_code == 422
    assert world.client("bob").post(f"/api/releases/{rid}/approvals", json={"environment": "Bad Env"}).status_code == 422
    assert world.client("bob").post(f"/api/releases/{rid}/approvals", json={}).status_code == 422
    assert world.client("bob").post("/api/releases/rel-000000000000/approvals",
                                    json={"environment": "prod"}).status_code == 404


def test_server_token_scope_and_read_only(world: World) -> None:
    narrow, _ = accounts.create_token(world.ctx("bob"), None, "read", [], True, 5)
    headers = {"Authorization": f"Bearer {narrow}"}
    client = world.client()
    assert client.get("/api/releases", headers=headers).status_code == 200
    refused = client.post(f"/api/releases/{world.release}/approvals", json={"environment": "prod"}, headers=headers)
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    scoped, _ = accounts.create_token(world.ctx("bob"), None, "no roles", [], False, 5)
    refused = client.post(f"/api/releases/{world.release}/approvals", json={"environment": "prod"},
                          headers={"Authorization": f"Bearer {scoped}"})
    assert refused.status_code == 403 and "(this token" in refused.json()["detail"]
    with pytest.raises(accounts.Forbidden, match="does not hold security"):
        accounts.create_token(world.ctx("bob"), None, "wider", ["security"], False, 5)


def test_server_rejection_blocks_until_withdrawn(world: World) -> None:
    rid = world.release
    sec = world.client("sec")
    assert sec.post(f"/api/releases/{rid}/rejections", json={"environment": "prod"}).status_code == 422
    assert sec.post(f"/api/releases/{rid}/rejections", json={"environment": "prod", "reason": "CVE"}).status_code == 201
    gates = {g["gate"]: g for g in sec.get(f"/api/releases/{rid}").json()["environmentDetails"]["prod"]["gates"]}
    assert "rejected by sec" in gates["approvals"]["reason"]
    assert world.client("bob").post(f"/api/releases/{rid}/withdrawals", json={"environment": "prod"}).status_code == 422
    assert sec.post(f"/api/releases/{rid}/withdrawals", json={"environment": "prod"}).status_code == 201


def _promote(world: World, who: str, rid: str, env: str, **extra: Any) -> Any:
    return world.client(who).post("/api/promotions", json={"release": rid, "environment": env, **extra})


def test_server_promotion_flow_gates_refusals_and_rollback(world: World) -> None:
    rid = world.release
    assert _promote(world, "eve", rid, "dev").status_code == 201
    assert _promote(world, "eve", rid, "staging").status_code == 201
    refused = _promote(world, "eve", rid, "prod")
    assert refused.status_code == 412
    body = refused.json()
    assert body["outcome"] == "refused" and "soak: soaked 0s in staging, 24h required" in body["detail"]
    assert "approvals: 0 of 2 approval(s)" in body["detail"]
    for who in ("bob", "sec"):
        assert world.client(who).post(f"/api/releases/{rid}/approvals", json={"environment": "prod"}).status_code == 201
    world.clock.advance(days=1)
    env = world.client("eve").get("/api/environments/prod").json()
    assert env["soak"]["remainingSeconds"] == 0 and env["window"]["open"] is True
    done = _promote(world, "eve", rid, "prod")
    assert done.status_code == 201 and done.json()["outcome"] == "deployed"
    assert done.json()["actor"] == "eve"
    again = _promote(world, "eve", rid, "prod")
    assert again.status_code == 409 and f"prod already runs {rid}" in again.json()["detail"]
    assert _promote(world, "eve", "rel-000000000000", "prod").status_code == 404
    glass = _promote(world, "eve", rid, "prod", breakGlassReason="fire")  # refused, and on record
    assert glass.status_code in (409, 412) and "eve may not break glass" in glass.json()["detail"]
    envs = {e["environment"]: e for e in world.client("eve").get("/api/environments").json()}
    assert envs["prod"]["current"]["release"] == rid and envs["prod"]["current"]["actor"] == "eve"
    assert world.client("eve").get("/api/environments/qa").status_code == 404
    promotions = world.client("eve").get("/api/promotions", params={"environment": "prod"}).json()
    assert [p["outcome"] for p in promotions] == ["refused", "refused", "deployed", "refused"]  # newest first
    second = world.new_release("carol", "v2")
    for env in ("dev", "staging"):
        assert _promote(world, "eve", second, env).status_code == 201
    rolled = world.client("eve").post("/api/rollbacks", json={"environment": "staging"})
    assert rolled.status_code == 201 and rolled.json()["release"] == rid and rolled.json()["kind"] == "rollback"
    assert world.client("eve").post("/api/rollbacks", json={"environment": "prod"}).status_code == 422
    entries = world.client("eve").get("/api/audit/entries", params={"limit": 500}).json()["entries"]
    promotions_by = {e["actor"] for e in entries if e["kind"] in ("promote", "rollback")}
    assert promotions_by == {"eve"}
    assert ledger_report.verify_log(world.ctx()).ok


def test_server_break_glass_needs_the_role_and_is_flagged(world: World) -> None:
    rid = world.release
    for env in ("dev", "staging"):
        assert _promote(world, "ic", rid, env).status_code == 201
    world.clock.advance(days=1)
    done = _promote(world, "ic", rid, "prod", breakGlassReason="outage INC-7")
    assert done.status_code == 201 and done.json()["breakGlass"] == {"reason": "outage INC-7"}
    bypassed = [g["gate"] for g in done.json()["gates"] if g["bypassed"]]
    assert bypassed == ["approvals"]


def test_server_audit_endpoints(world: World) -> None:
    eve = world.client("eve")
    page = eve.get("/api/audit/entries", params={"limit": 5}).json()
    assert page["size"] > 5 and len(page["entries"]) == 5 and page["entries"][0]["seq"] == page["size"] - 1
    assert page["entries"][0]["kind"] == "release.created" and page["entries"][0]["actor"] == "carol"
    assert eve.get("/api/audit/entries/0").json()["kind"] == "ledger.initialised"
    assert eve.get(f"/api/audit/entries/{page['size']}").status_code == 404
    assert eve.get("/api/audit/entries", params={"limit": 0}).status_code == 422
    [cp] = eve.get("/api/audit/checkpoints", params={"limit": 1}).json()
    assert cp["size"] == page["size"]
    proof = eve.get("/api/audit/proofs/3").json()
    assert eve.post("/api/audit/proofs/verification", json=proof).json()["ok"] is True
    proof["entry"]["actor"] = "mallory"
    assert eve.post("/api/audit/proofs/verification", json=proof).json()["ok"] is False
    assert eve.post("/api/audit/proofs/verification", json={"nonsense": 1}).json()["ok"] is False
    forged = _forged_proof(proof["checkpoint"]["origin"])  # self-consistent, signed by a key this ledger never trusted
    assert eve.post("/api/audit/proofs/verification", json=forged).json()["ok"] is False
    assert eve.get("/api/audit/proofs/999999").status_code == 404
    assert eve.get("/api/audit/verification").json()["ok"] is True


def test_server_tokens_and_passwords(world: World) -> None:
    bob = world.client("bob")
    made = bob.post("/api/tokens", json={"name": "laptop", "readOnly": True, "days": 7})
    assert made.status_code == 201 and made.json()["token"].startswith("btk_") and made.json()["readOnly"] is True
    listed = bob.get("/api/tokens").json()
    assert {t["name"] for t in listed} == {"tests", "laptop"} and all("token" not in t for t in listed)
    assert bob.post("/api/tokens", json={"name": "x", "identity": "eve"}).status_code == 403
    assert bob.post("/api/tokens", json={"name": "x", "roles": ["security"]}).status_code == 403
    assert bob.post("/api/tokens", json={"name": "x", "days": 9999}).status_code == 422
    assert bob.delete(f"/api/tokens/{world.tokens['eve'].split('_')[1]}").status_code == 403
    assert bob.delete("/api/tokens/0123456789ab").status_code == 404
    assert len(world.client("alice").get("/api/tokens").json()) >= 7
    assert bob.put("/api/accounts/eve/password", json={"password": "x" * 20}).status_code == 403
    alice = world.client("alice")
    assert alice.put("/api/accounts/eve/password", json={"password": "short"}).status_code == 422
    assert alice.put("/api/accounts/eve/password", json={"password": "another long password"}).status_code == 204
    kinds = [e["kind"] for e in alice.get("/api/audit/entries", params={"limit": 3}).json()["entries"]]
    assert kinds[0] == "account.password-set"
    assert alice.get("/api/identities").json()["eve"] == ["engineer"]
    assert "password" not in json.dumps(alice.get("/api/audit/entries", params={"limit": 500}).json()).replace(
        "password-set", "")
    assert world.password not in json.dumps(alice.get("/api/audit/entries", params={"limit": 500}).json())


def test_server_module_catalog(world: World, tmp_path: Any) -> None:
    eve = world.client("eve")
    empty = eve.get("/api/modules").json()
    assert empty["modules"] == [] and "no blueprint.yaml" in empty["problem"]
    assert eve.get("/api/blueprints/fraud-detection/modules").status_code == 404

"""Promotion end to end through the CLI: gates refuse and pass with their reasons, approvals with separation
of duties, rejections, break-glass, rollback, GitOps commits, status and history."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from tests.ledger.conftest import new_release

Seeded = tuple[Callable[..., Any], str]
STAGED = "2026-12-01T09:10:00+00:00"
PROD_OK = "2026-12-03T10:00:00+01:00"  # Thursday 10:00 in Berlin, two days after staging


class Ledger:
    """Runs ledger commands against one seeded ledger."""

    def __init__(self, seeded: Seeded, cli: Callable[..., Any]) -> None:
        ctx, self.rid = seeded
        probe = ctx()
        self.url, self.key, self.project = probe.url, str(probe.key_file), probe.project
        self.cli = cli

        self.now = "2026-12-01T09:00:00+00:00"
        """The time of the latest action: an action given no ``at`` happens then (the log moves forward)."""

    def __call__(self, *args: str, who: str = "frank", at: str | None = None) -> Any:
        if at is not None and dt.datetime.fromisoformat(at) > dt.datetime.fromisoformat(self.now):
            self.now = at
        return self.cli(*args, "--ledger", self.url, "--key", self.key, "--as", who, "--at", at or self.now)

    def json(self, *args: str, **kw: str) -> tuple[int, Any]:
        run = self(*args, "--format", "json", **kw)
        return run.exit, json.loads(run.stdout) if run.stdout.strip() else None


@pytest.fixture
def ledger(seeded: Seeded, cli: Callable[..., Any]) -> Ledger:
    return Ledger(seeded, cli)


@pytest.fixture
def sqlite_ledger(seeded_sqlite: Seeded, cli: Callable[..., Any]) -> Ledger:
    return Ledger(seeded_sqlite, cli)


def failed(outcome: dict[str, Any]) -> dict[str, str]:
    return {g["gate"]: g["reason"] for g in outcome["gates"] if not g["passed"]}


def to_staging(lg: Ledger) -> None:
    assert lg("promote", lg.rid, "--to", "dev", at="2026-12-01T09:05:00+00:00").exit == 0
    assert lg("promote", lg.rid, "--to", "staging", at=STAGED).exit == 0


def test_the_whole_story_on_both_databases(ledger: Ledger, tmp_path: Path) -> None:
    lg = ledger
    deploy = tmp_path / "deploy"
    subprocess.run(["git", "init", "-q", str(deploy)], check=True)
    assert lg("promote", lg.rid, "--to", "dev", "--gitops", str(deploy), at="2026-12-01T09:05:00+00:00").exit == 0
    assert lg("promote", lg.rid, "--to", "staging", "--gitops", str(deploy), at=STAGED).exit == 0
    code, early = lg.json("promote", lg.rid, "--to", "prod", at="2026-12-01T09:30:00+00:00")
    assert code == 1 and set(failed(early)) == {"soak", "approvals"}
    assert "24h required" in failed(early)["soak"] and "0 of 2" in failed(early)["approvals"]
    assert lg("approve", lg.rid, "--env", "prod", who="bob").exit == 0
    assert lg("approve", lg.rid, "--env", "prod", who="sec").exit == 0
    code, done = lg.json("promote", lg.rid, "--to", "prod", "--gitops", str(deploy), at=PROD_OK)
    assert code == 0 and done["outcome"] == "deployed" and not failed(done)
    assert [g["gate"] for g in done["gates"]] == ["attestation", "soak", "checks", "approvals", "window"]
    assert (deploy / "prod" / "deployment.yaml").read_text().startswith("kind: Deployment")
    log = subprocess.run(["git", "-C", str(deploy), "log", "--format=%B%x00"], capture_output=True, text=True,
                         check=True).stdout.split("\0")
    assert len([m for m in log if m.strip()]) == 3
    assert f"promote {lg.rid} to prod" in log[0] and "Approved-by: bob, sec" in log[0]
    code, status = lg.json("status")
    assert {e["environment"]: e["release"] for e in status["environments"]} == {
        "dev": lg.rid, "staging": lg.rid, "prod": lg.rid}
    code, history = lg.json("history", "--env", "prod")
    assert [(e["event"], e["outcome"]) for e in history["events"]] == [("promote", "refused"), ("promote", "deployed")]
    assert lg("audit", "verify").exit == 0


def test_window_and_rejection_refuse_and_say_why(sqlite_ledger: Ledger) -> None:
    lg = sqlite_ledger
    to_staging(lg)
    lg("approve", lg.rid, "--env", "prod", who="bob")
    lg("approve", lg.rid, "--env", "prod", who="sec")
    run = lg("promote", lg.rid, "--to", "prod", at="2026-12-04T10:00:00+01:00")  # a Friday
    assert run.exit == 1 and "✗ window: Fri 10:00 Europe/Berlin is outside" in run.stdout
    assert lg("reject", lg.rid, "--env", "prod", who="erin").exit == 2, "a rejection needs a reason"
    assert lg("reject", lg.rid, "--env", "prod", "--reason", "model drift", who="erin").exit == 0
    thursday = "2026-12-10T10:00:00+01:00"  # the next Thursday: the log moves forward
    code, out = lg.json("promote", lg.rid, "--to", "prod", at=thursday)
    assert code == 1 and failed(out) == {"approvals": "rejected by erin"}
    assert lg("reject", lg.rid, "--env", "prod", "--withdraw", who="bob").exit == 2
    assert lg("reject", lg.rid, "--env", "prod", "--withdraw", who="erin").exit == 0
    assert lg("promote", lg.rid, "--to", "prod", at=thursday).exit == 0


def test_an_action_dated_before_the_latest_entry_is_refused(sqlite_ledger: Ledger) -> None:
    lg = sqlite_ledger
    to_staging(lg)
    back = lg("promote", lg.rid, "--to", "dev", at="2026-11-30T09:00:00+00:00")
    assert back.exit == 2 and "before the ledger's latest entry" in back.stderr
    skewed = lg("approve", lg.rid, "--env", "prod", who="bob", at="2026-12-01T09:08:00+00:00")
    assert skewed.exit == 0, "a clock a few minutes behind is no back-dating"
    _, history = lg.json("history", "--env", "dev")
    assert [e["at"] for e in history["events"]] == ["2026-12-01T09:05:00+00:00"]


def test_separation_of_duties_and_roles(sqlite_ledger: Ledger) -> None:
    lg = sqlite_ledger
    to_staging(lg)
    creator = lg("approve", lg.rid, "--env", "prod", who="carol")
    assert creator.exit == 1 and "separation of duties" in creator.stderr
    norole = lg("approve", lg.rid, "--env", "prod", who="dave")
    assert norole.exit == 1 and "needs the role release-manager or security" in norole.stderr
    assert lg("roles", "grant", "dave", "security", who="bob").exit == 1, "only an admin grants"
    assert lg("roles", "grant", "dave", "security", who="alice").exit == 0
    lg("approve", lg.rid, "--env", "prod", who="dave")
    lg("approve", lg.rid, "--env", "prod", who="bob")
    code, out = lg.json("promote", lg.rid, "--to", "prod", who="dave", at=PROD_OK)
    assert code == 1 and "dave is promoting it" in failed(out)["approvals"]
    assert lg("promote", lg.rid, "--to", "prod", who="frank", at=PROD_OK).exit == 0


def test_a_role_no_environment_asks_for_is_granted_with_a_warning(sqlite_ledger: Ledger, fraud: Path) -> None:
    lg = sqlite_ledger
    typo = lg("roles", "grant", "dave", "release-manger", "-C", str(fraud), who="alice")
    assert typo.exit == 0 and "dave now holds the role release-manger" in typo.stdout
    assert "no environment of fraud-detection asks for the role 'release-manger'" in typo.stderr
    assert "did you mean 'release-manager'?" in typo.stderr
    for role in ("security", "incident-commander"):  # asked for by prod, and by break-glass
        known = lg("roles", "grant", "dave", role, "-C", str(fraud), who="alice")
        assert known.exit == 0 and known.stderr == ""
    elsewhere = lg("roles", "grant", "erin", "auditor", who="alice")  # no blueprint in the project: no opinion
    assert elsewhere.exit == 0 and elsewhere.stderr == ""


def test_break_glass_needs_a_role_and_a_reason_and_is_flagged(sqlite_ledger: Ledger) -> None:
    lg = sqlite_ledger
    to_staging(lg)
    sunday = "2026-12-06T03:00:00+01:00"
    denied = lg("promote", lg.rid, "--to", "prod", "--break-glass", "--reason", "outage", who="frank",
                at="2026-12-06T01:00:00+00:00")
    assert denied.exit == 1 and "✗ break-glass: frank may not break glass: it needs the role admin or " \
        "incident-commander" in denied.stdout
    _, attempts = lg.json("history", "--env", "prod")  # the refused attempt is on record
    assert [(e["outcome"], e["breakGlass"]) for e in attempts["events"]] == [("refused", {"reason": "outage"})]
    assert lg("promote", lg.rid, "--to", "prod", "--break-glass", who="ic", at=sunday).exit == 2
    code, out = lg.json("promote", lg.rid, "--to", "prod", "--break-glass", "--reason", "fraud spike", who="ic",
                        at=sunday)
    assert code == 0 and out["breakGlass"] == {"reason": "fraud spike"}
    assert {g["gate"] for g in out["gates"] if g["bypassed"]} == {"approvals", "window"}
    status = lg("status")
    assert "BREAK-GLASS" in status.stdout and "fraud spike" in status.stdout
    _, history = lg.json("history")
    assert history["events"][-1]["breakGlass"] == {"reason": "fraud spike"}
    export = lg.cli("audit", "export", "--ledger", lg.url).stdout.splitlines()
    entries = [json.loads(line) for line in export if '"entry"' in line]
    assert entries[-1]["kind"] == "promote" and entries[-1]["data"]["breakGlass"] == {"reason": "fraud spike"}
    assert entries[-2]["kind"] == "break-glass" and entries[-2]["actor"] == "ic"
    assert entries[-2]["data"] | {"promotion": 0} == {
        "promotion": 0, "release": lg.rid, "environment": "prod", "reason": "fraud spike",
        "roles": ["incident-commander"], "outcome": "deployed", "bypassed": ["approvals", "window"]}
    later = lg("promote", lg.rid, "--to", "prod", "--break-glass", "--reason", "again", who="ic", at=sunday)
    assert later.exit == 1, "already running there: refused, and the attempt is still audited"
    last = [json.loads(line) for line in lg.cli("audit", "export", "--ledger", lg.url).stdout.splitlines()
            if '"entry"' in line]
    assert [e["kind"] for e in last[-2:]] == ["break-glass", "promote"] and last[-2]["data"]["outcome"] == "refused"


def test_break_glass_does_not_bypass_soak(sqlite_ledger: Ledger) -> None:
    lg = sqlite_ledger
    to_staging(lg)
    code, out = lg.json("promote", lg.rid, "--to", "prod", "--break-glass", "--reason", "x", who="ic",
                        at="2026-12-01T10:00:00+00:00")
    assert code == 1 and set(failed(out)) == {"soak"}


def test_blocking_findings_refuse_and_waivers_expire(seeded_sqlite: Seeded, cli: Callable[..., Any],
                                                     make_release: Callable[..., str]) -> None:
    ctx, _ = seeded_sqlite
    finding = {"control": "image-digest", "severity": "error", "environment": "dev", "module": "scorer",
               "message": "image is not pinned", "waived": True, "waiver": {"expires": "2026-12-01"}}
    rid = make_release(ctx("carol"), "v2", findings={"dev": [finding], "staging": [{**finding, "environment": "staging"}],
                                                    "prod": []})
    lg = Ledger((ctx, rid), cli)
    assert lg("promote", rid, "--to", "dev", at="2026-12-01T09:05:00+00:00").exit == 0, "advisory does not block"
    assert lg("promote", rid, "--to", "staging", at="2026-12-01T09:10:00+00:00").exit == 0, "waived on the day"
    assert lg("promote", "--replacing", "none", rid, "--to", "staging", at="2026-12-02T09:10:00+00:00").exit == 1
    _, out = lg.json("promote", rid, "--to", "staging", "--replacing", "none", at="2026-12-02T09:10:00+00:00")
    assert "image-digest@scorer" in failed(out)["checks"]


def test_tampered_release_file_fails_verification_and_the_attestation_gate(sqlite_ledger: Ledger) -> None:
    lg = sqlite_ledger
    assert lg("release", "verify", lg.rid).exit == 0
    engine = create_engine(lg.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE blobs SET content = :c WHERE digest IN (SELECT digest FROM release_files "
                          "WHERE environment = 'dev' AND path = 'service.yaml')"), {"c": b"kind: Secret\n"})
    engine.dispose()
    run = lg("release", "verify", lg.rid)
    assert run.exit == 1 and "service.yaml: content does not match its attested sha256" in run.stdout
    code, out = lg.json("promote", lg.rid, "--to", "dev")
    assert code == 1 and "does not match" in failed(out)["attestation"]


@pytest.mark.parametrize(("column", "value", "problem"), [
    ("creator", "'frank'", "creator"),
    ("created_at", "'2026-11-01T00:00:00+00:00'", "creation time"),
    ("policy", "replace(policy, '\"count\": 2', '\"count\": 0')", "promotion policy"),
    ("findings", "'{\"dev\": [], \"prod\": []}'", "check findings"),
])
def test_an_edited_release_record_fails_verification(sqlite_ledger: Ledger, column: str, value: str,
                                                     problem: str) -> None:
    lg = sqlite_ledger
    engine = create_engine(lg.url)
    with engine.begin() as conn:
        changed = conn.execute(text(f"UPDATE releases SET {column} = {value} WHERE id = :r"), {"r": lg.rid})
        assert changed.rowcount == 1
        if column == "policy":
            assert '"count": 0' in conn.execute(text("SELECT policy FROM releases")).scalar_one()
    engine.dispose()
    run = lg("release", "verify", lg.rid)
    assert run.exit == 1 and f"the release's {problem} differs from the attested one" in run.stdout
    code, out = lg.json("promote", lg.rid, "--to", "dev")
    assert code == 1 and problem in failed(out)["attestation"]


def test_rollback_returns_to_the_previous_release(sqlite_ledger: Ledger, make_release: Callable[..., str],
                                                  seeded_sqlite: Seeded) -> None:
    lg = sqlite_ledger
    assert lg("rollback", "--env", "dev").exit == 2, "nothing deployed yet"
    assert lg("promote", lg.rid, "--to", "dev").exit == 0
    assert lg("rollback", "--env", "dev").exit == 2, "no previous release"
    second = make_release(seeded_sqlite[0]("carol"), "v2")
    assert lg("promote", second, "--to", "dev", at="2026-12-01T10:00:00+00:00").exit == 0
    code, out = lg.json("rollback", "--env", "dev", at="2026-12-01T11:00:00+00:00")
    assert code == 0 and out["kind"] == "rollback" and out["release"] == lg.rid and out["replaced"] == second
    assert [g["gate"] for g in out["gates"]] == ["attestation", "checks", "approvals"]
    _, status = lg.json("status")
    assert status["environments"][0] | {"since": None} == {
        "environment": "dev", "release": lg.rid, "since": None, "by": "frank", "kind": "rollback",
        "breakGlass": False, "reason": None}
    assert lg("rollback", "--env", "dev", "--to", second, at="2026-12-01T12:00:00+00:00").exit == 0
    assert lg("rollback", "--env", "staging").exit == 2


def test_keys_and_identities(tmp_path: Path, cli: Callable[..., Any]) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    key = tmp_path / "k" / "ledger.key"
    first = cli("keys", "init", "--ledger", url, "--key", str(key), "--as", "alice", "--format", "json")
    assert first.exit == 0 and json.loads(first.stdout)["admin"] == "alice"
    assert key.stat().st_mode & 0o777 == 0o600
    again = cli("keys", "init", "--ledger", url, "--key", str(key), "--as", "alice", "--format", "json")
    assert json.loads(again.stdout)["registered"] is False
    other = tmp_path / "k2.key"
    assert cli("keys", "init", "--ledger", url, "--key", str(other), "--as", "bob").exit == 1, "admin only"
    key.chmod(0o644)
    loose = cli("roles", "list", "--ledger", url, "--key", str(key))
    assert loose.exit == 0
    refused = cli("roles", "grant", "bob", "security", "--ledger", url, "--key", str(key), "--as", "alice")
    assert refused.exit == 2 and "chmod 600" in refused.stderr
    assert cli("roles", "grant", "bob", "x y", "--ledger", url, "--key", str(other), "--as", "alice").exit == 2
    assert cli("status", "--ledger", "mysql://x/y").exit == 2
    assert cli("promote", "nope", "--to", "dev", "--ledger", url, "--key", str(other), "--as", "a").exit == 2


def test_identity_ledger_and_key_come_from_the_environment(seeded_sqlite: Seeded, cli: Callable[..., Any],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, rid = seeded_sqlite
    probe = ctx()
    monkeypatch.setenv("BUTTRESS_LEDGER", probe.url)
    monkeypatch.setenv("BUTTRESS_KEY", str(probe.key_file))
    monkeypatch.setenv("BUTTRESS_USER", "bob")
    run = cli("approve", rid, "--env", "prod", "--at", "2026-12-01T11:00:00+00:00", "--format", "json")
    assert run.exit == 0 and json.loads(run.stdout)["identity"] == "bob"
    assert json.loads(cli("approve", rid, "--env", "prod", "--as", "sec", "--format", "json").stdout)["identity"] \
        == "sec", "--as wins over BUTTRESS_USER"
    monkeypatch.setenv("BUTTRESS_USER", "carol")
    refused = cli("approve", rid, "--env", "prod")
    assert refused.exit == 1 and "carol created" in refused.stderr


def test_keys_rotate_is_endorsed_by_the_previous_key(tmp_path: Path, cli: Callable[..., Any]) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    key = tmp_path / "k" / "ledger.key"
    first = json.loads(cli("keys", "init", "--ledger", url, "--key", str(key), "--as", "alice", "--format", "json").stdout)
    old_public = (tmp_path / "k" / "ledger.key.pub").read_text()
    assert cli("keys", "rotate", "--ledger", url, "--key", str(key), "--as", "bob").exit == 1, "admin only"
    assert (tmp_path / "k" / "ledger.key.pub").read_text() == old_public, "a refused rotation changes nothing"
    rotated = cli("keys", "rotate", "--ledger", url, "--key", str(key), "--as", "alice", "--format", "json")
    assert rotated.exit == 0, rotated.stderr
    new_id = json.loads(rotated.stdout)["keyId"]
    assert new_id != first["keyId"] and key.stat().st_mode & 0o777 == 0o600
    retired = tmp_path / "k" / f"ledger.key.retired-{first['keyId'][:16]}"
    assert retired.is_file() and (retired.parent / (retired.name + ".pub")).read_text() == old_public
    assert cli("roles", "grant", "bob", "security", "--ledger", url, "--key", str(key), "--as", "alice").exit == 0
    trust = tmp_path / "root.pub"
    trust.write_text(old_public)
    verified = cli("audit", "verify", "--ledger", url, "--trust", str(trust), "--format", "json")
    assert verified.exit == 0, verified.stdout
    assert json.loads(verified.stdout)["keys"] == [first["keyId"], new_id]


def test_an_environment_no_release_has_is_a_usage_error_with_a_hint(sqlite_ledger: Ledger) -> None:
    lg = sqlite_ledger
    to_staging(lg)
    for run in (lg("history", "--env", "stagin"), lg("rollback", "--env", "stagin")):
        assert run.exit == 2 and "no release of this ledger has an environment 'stagin'; did you mean 'staging'?" \
            in run.stderr
    assert lg("history", "--env", "staging").exit == 0


def test_a_prefix_of_several_releases_is_ambiguous(seeded_sqlite: Seeded, cli: Callable[..., Any]) -> None:
    ctx, first = seeded_sqlite
    second = new_release(ctx("carol", "2026-12-02T09:00:00+00:00"), "v2")
    lg = Ledger(seeded_sqlite, cli)
    run = lg("release", "verify", "rel-")
    assert run.exit == 2 and "'rel-' is the start of several releases" in run.stderr
    assert first in run.stderr and second in run.stderr
    assert lg("release", "verify", first[:12]).exit == 0


def test_a_future_dated_entry_locks_out_no_one_acting_at_the_clock_time(sqlite_ledger: Ledger) -> None:
    lg = sqlite_ledger
    assert lg("roles", "grant", "dave", "security", who="alice", at="2036-01-01T00:00:00+00:00").exit == 0
    now = lg.cli("roles", "grant", "erin", "security", "--ledger", lg.url, "--key", lg.key, "--as", "alice")
    assert now.exit == 0, now.stderr


def test_an_empty_release_and_a_reason_without_break_glass_are_usage_errors(sqlite_ledger: Ledger) -> None:
    lg = sqlite_ledger
    empty = lg("approve", "", "--env", "prod", who="bob")
    assert empty.exit == 2 and "no release given" in empty.stderr
    stray = lg("promote", lg.rid, "--to", "dev", "--reason", "outage")
    assert stray.exit == 2 and "add --break-glass" in stray.stderr
    _, history = lg.json("history")
    assert [e["event"] for e in history["events"]] == ["release"], "nothing was recorded"

"""Fixtures for the server tests: a seeded ledger (alice admin, bob release-manager, sec security, ic
incident-commander, eve engineer, carol who creates releases), an app on a settable clock, API tokens and
passwords for every identity, and clients acting as each.

The PostgreSQL fixture is the ledger tests' own (``tests/ledger/conftest.py``), loaded from its file.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import importlib.util
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from buttress.app import accounts, ledger_admin
from buttress.app.ledger_session import LedgerContext, parse_at
from buttress.server.app import create_app
from buttress.server.context import ServerConfig

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette nudges towards httpx2; httpx works
    from fastapi.testclient import TestClient

_spec = importlib.util.spec_from_file_location("buttress_tests_ledger_conftest",
                                               Path(__file__).parents[1] / "ledger" / "conftest.py")
assert _spec and _spec.loader
ledger_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ledger_fixtures)
postgres = ledger_fixtures.postgres
POLICY: dict[str, Any] = ledger_fixtures.POLICY
new_pg_database = ledger_fixtures.new_pg_database

BLUEPRINT = """\
blueprint: v1
name: fraud-detection
description: Scores card transactions.
owner: risk-ml
oncall: risk-ml-primary
compliance:
  frameworks: [soc2]
  regions: [eu-west-1, eu-central-1]
  registries: [registry.example.com/risk]
modules:
  scorer:
    kind: service
    description: Scores a transaction.
    image: registry.example.com/risk/scorer@sha256:@DIGEST@
    provides:
      score-api: {protocol: http, port: 8080, version: 2.3.1}
    resources: {cpu: 250m, memory: 512Mi}
    data: {classification: internal}
    scaling:
      replicas: {min: 2, max: 4}
      targets: {cpu: 70%}
    slo:
      availability: 99.9%
environments:
  dev:
    namespace: fraud-dev
    region: eu-west-1
    enforcement: advisory
  staging:
    namespace: fraud-staging
    region: eu-west-1
    enforcement: mandatory
    promotion:
      from: dev
  prod:
    namespace: fraud-prod
    region: eu-central-1
    enforcement: mandatory
    promotion:
      from: staging
      approvals: {count: 2, roles: [release-manager, security]}
      soak: 24h
      window: {days: [mon, tue, wed, thu], hours: "08:00-16:00", timezone: Europe/Berlin}
policies:
  profile: baseline
"""
"""A small clean blueprint whose promotion policy is ``POLICY``; its image digest is set per release tag."""

T0 = "2026-12-01T09:00:00+00:00"  # a Tuesday, 10:00 in Berlin: inside prod's window
PASSWORD = "correct horse battery staple"
ROLES = {"bob": "release-manager", "sec": "security", "ic": "incident-commander", "eve": "engineer"}


@dataclass
class Clock:
    """The server's clock, moved by tests."""

    now: dt.datetime = field(default_factory=lambda: parse_at(T0))

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class World:
    """A seeded ledger with a server app over it."""

    project: Path
    url: str
    clock: Clock
    tokens: dict[str, str]
    release: str
    apps: list[FastAPI] = field(default_factory=list)
    _default: FastAPI | None = None
    password: str = PASSWORD

    contexts: list[LedgerContext] = field(default_factory=list)

    def ctx(self, who: str = "alice") -> LedgerContext:
        """A ledger context acting as ``who`` now (closed with the world)."""
        self.contexts.append(LedgerContext(project=self.project, url=self.url, identity=who, at=self.clock()))
        return self.contexts[-1]

    def close(self) -> None:
        """Close every ledger connection the world opened."""
        for ctx in self.contexts:
            ctx.close()
        for app in self.apps:
            app.state.server.ledger.close()

    def app(self) -> FastAPI:
        """A (new) server instance over this ledger."""
        app = create_app(ServerConfig(project=self.project, ledger_url=self.url, clock=self.clock))
        self.apps.append(app)
        return app

    def client(self, who: str | None = None, app: FastAPI | None = None, address: str = "testclient") -> TestClient:
        """A client with ``who``'s token (none: anonymous), connecting from ``address``."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        if app is None:
            self._default = app = self._default or self.app()
        return TestClient(app, base_url="https://testserver", headers=headers, client=(address, 50000))

    def new_release(self, who: str = "carol", tag: str = "v2") -> str:
        """Have the server build another release from ``BLUEPRINT`` (at ``tag``) as ``who``; its ID."""
        answer = self.client(who).post("/api/releases", json=source_body(blueprint_for(tag)))
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])


def blueprint_for(tag: str) -> str:
    """``BLUEPRINT`` with an image digest distinct per ``tag``."""
    return BLUEPRINT.replace("@DIGEST@", hashlib.sha256(tag.encode()).hexdigest())


def source_body(blueprint: str, **others: str) -> dict[str, Any]:
    """A ``POST /api/releases`` body: ``blueprint.yaml`` and ``others`` (path -> text), base64-encoded."""
    files = {"blueprint.yaml": blueprint, **others}
    return {"blueprintFile": "blueprint.yaml",
            "source": {path: base64.b64encode(text.encode()).decode() for path, text in files.items()}}


@pytest.fixture
def real_argon2() -> None:
    """Ask for it to hash with buttress's own argon2id parameters (``fast_argon2`` then leaves them alone)."""


@pytest.fixture(autouse=True)
def fast_argon2(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash test passwords with cheap argon2id parameters, unless the test asks for ``real_argon2``
    (``test_server_passwords_are_argon2id_hashes`` checks the real ones)."""
    from argon2 import PasswordHasher

    if "real_argon2" not in request.fixturenames:
        monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def build_world(tmp_path: Path, url: str) -> World:
    """Seed a ledger at ``url`` and give every identity a password and a token."""
    clock = Clock()
    project = tmp_path
    world = World(project, url, clock, {}, "")
    ledger_admin.init_key(world.ctx("alice"))
    for who, role in ROLES.items():
        ledger_admin.grant_role(world.ctx("alice"), who, role)
    for who in ("alice", "carol", *ROLES):
        accounts.set_password(world.ctx("alice"), who, PASSWORD)
        world.tokens[who], _ = accounts.create_token(world.ctx("alice"), who, "tests", None, False, 30)
    world.release = world.new_release("carol", "v1")
    return world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A seeded SQLite ledger and its server."""
    w = build_world(tmp_path, f"sqlite:///{tmp_path / '.buttress' / 'ledger.db'}")
    yield w
    w.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """``world`` on SQLite and on PostgreSQL."""
    url = (f"sqlite:///{tmp_path / '.buttress' / 'ledger.db'}" if request.param == "sqlite"
           else new_pg_database(request.getfixturevalue("postgres")))
    w = build_world(tmp_path, url)
    yield w
    w.close()


Login = Callable[[str], TestClient]


@pytest.fixture
def login(world: World) -> Login:
    """A browser-like client logged in as ``who`` (session cookie, CSRF token in ``client.csrf``)."""
    def log_in(who: str) -> TestClient:
        client = world.client()
        page = client.get("/login")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        answer = client.post("/login", data={"identity": who, "password": PASSWORD, "csrf": csrf},
                             follow_redirects=False)
        assert answer.status_code == 303, answer.text
        home = client.get("/")
        client.csrf = home.text.split('name="csrf" value="')[1].split('"')[0]  # type: ignore[attr-defined]
        return client

    return log_in


def free_port() -> int:
    """A free TCP port on loopback."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on loopback in a thread (sharing the test's clock); its base URL."""
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none",
                                          lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://localhost:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def serve() -> Callable[[FastAPI], contextlib.AbstractContextManager[str]]:
    """``serving`` for test modules (which cannot import this file)."""
    return serving


@pytest.fixture(name="blueprint_source")
def blueprint_source_fixture() -> Callable[..., dict[str, Any]]:
    """``source_body(blueprint_for(tag), **others)`` for test modules; ``tag`` defaults to ``v1``."""
    return lambda tag="v1", blueprint=None, **others: source_body(blueprint or blueprint_for(tag), **others)


@pytest.fixture(name="build")
def build_fixture() -> Callable[[Path, str], World]:
    """``build_world(tmp_path, postgres_base)`` on a fresh PostgreSQL database, for test modules."""
    return lambda folder, base: build_world(folder, new_pg_database(base))


@pytest.fixture(name="free_port")
def free_port_fixture() -> Callable[[], int]:
    """``free_port`` for test modules."""
    return free_port

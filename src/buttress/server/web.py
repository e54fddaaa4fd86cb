"""The web pages: login, an overview of environments × releases, a release page with approve, reject and
promote forms, the module catalog, and the audit page.

Server-rendered with Jinja2 (``templates/``), styled by ``static/style.css``; every form carries the
session's CSRF token; buttons appear only for those the ledger's rules allow, and the server enforces the
rules again on submit through the same use cases as the API.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from buttress.app import accounts, ledger_report, server_views
from buttress.app.accounts import Principal, Throttled
from buttress.app.release_decisions import decide
from buttress.app.release_promote import promote, rollback
from buttress.app.server_catalog import catalog
from buttress.errors import UsageError
from buttress.ledger.roles import Forbidden
from buttress.server.api_environments import status_of
from buttress.server.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, authenticate, csrf_ok, require_approver
from buttress.server.context import server_of
from buttress.server.params import EnvName, ReleaseRef
from buttress.server.web_format import install_filters

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
install_filters(templates.env)
Field = Annotated[str, Form()]
"""A form field; ``csrf`` fields default to empty so that a missing token is refused with 403, not 422."""
NOTICE_PATTERN = r"^(approve|reject|withdraw|promoted)-[a-z0-9-]{1,63}$"
"""The notices the forms redirect with; nothing else is echoed onto a page."""


class LoginRequired(Exception):
    """A page was asked for without a session: redirect to the login page."""


def _viewer(request: Request) -> Principal:
    who = authenticate(request)
    if who is None:
        raise LoginRequired()
    return who


def _page(request: Request, name: str, who: Principal | None, status: int = 200, **data: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"who": who, "now": server_of(request).config.clock(), **data},
                                      status_code=status)


def _check_form(who: Principal, csrf: str) -> None:
    if who.via != "session" or not csrf_ok(who, csrf):
        raise Forbidden("the form's CSRF token is missing or stale: reload the page and try again")


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    """The login form."""
    return login_page(request)


def login_page(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
    """The login form (with a fresh double-submit CSRF cookie), with an error of the last attempt if any.

    Not a route itself, so a link cannot put words of its own on the page."""
    token = secrets.token_urlsafe(24)
    response = _page(request, "login.html", None, status, csrf=token, error=error)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=server_of(request).config.secure_cookies, path="/login")
    return response


@router.post("/login")
def login(request: Request, identity: Field, password: Field, csrf: Field = "") -> Response:
    """Check the password; start a session; go to the overview."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf):
        return login_page(request, "the login form expired: please try again", 403)
    server = server_of(request)
    try:  # throttled per identity and client address (the TCP peer: proxy headers are not trusted)
        secret, _csrf = accounts.login(server.context(), identity, password,
                                       request.client.host if request.client else "unknown")
    except Throttled as exc:
        refused = login_page(request, str(exc), 429)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    except PermissionError as exc:
        return login_page(request, str(exc), 401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, secret, max_age=accounts.SESSION_HOURS * 3600, httponly=True,
                        samesite="strict", secure=server.config.secure_cookies, path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, csrf: Field = "") -> Response:
    """End the session."""
    who = _viewer(request)
    _check_form(who, csrf)
    accounts.logout(server_of(request).context(), request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def overview(request: Request) -> HTMLResponse:
    """Environments (what runs, soak, window) and releases × environments."""
    who = _viewer(request)
    ctx = server_of(request).context(who.identity)
    envs = server_views.environments(ctx)
    releases = server_views.releases(ctx)[:25]
    attempts: dict[tuple[str, str], str] = {}
    for p in reversed(server_views.promotions(ctx)):
        attempts[(p["release"], p["environment"])] = p["outcome"]
    return _page(request, "overview.html", who, environments=envs, releases=releases, attempts=attempts)


@router.get("/releases/{ref}")
def release_page(request: Request, ref: ReleaseRef,
                 notice: Annotated[str | None, Query(pattern=NOTICE_PATTERN)] = None) -> HTMLResponse:
    """A release: per environment its gates, changes, findings, decisions, and the actions you may take."""
    who = _viewer(request)
    return _release(request, who, ref, notice=notice)


def _release(request: Request, who: Principal, ref: str, status: int = 200, **extra: Any) -> HTMLResponse:
    ctx = server_of(request).context(who.identity)
    rid = server_views.lookup(ctx, ref)
    if rid is None:
        return _page(request, "missing.html", who, 404, what=f"release {ref}")
    detail = server_views.release_detail(ctx, rid)
    return _page(request, "release.html", who, status, release=detail, can=_abilities(who, detail), **extra)


def _abilities(who: Principal, detail: dict[str, Any]) -> dict[str, dict[str, bool]]:
    """Which buttons each environment shows to this viewer (the server checks again on submit)."""
    out = {}
    for env, info in detail["environmentDetails"].items():
        wanted = set(info["approvalRoles"])
        approver = (info["promotion"] or {}).get("approvals") is not None and detail["creator"] != who.identity \
            and (not wanted or bool(wanted & who.roles)) and not who.read_only
        mine = any(d["identity"] == who.identity and d["kind"] == "approve" for d in info["decisions"])
        out[env] = {"approve": approver and not mine, "reject": approver,
                    "withdraw": who.identity in info["openRejections"],
                    "promote": not who.read_only and not info["isRunning"]}
    return out


@router.post("/releases/{ref}/decisions")
def decide_form(request: Request, ref: ReleaseRef, environment: Field, kind: Field, csrf: Field = "",
                reason: Field = "") -> Response:
    """Approve, reject or withdraw from the release page."""
    who = _viewer(request)
    try:
        _check_form(who, csrf)
        if kind not in ("approve", "reject", "withdraw"):
            raise UsageError(f"unknown decision {kind!r}")
        ctx = server_of(request).context(who.identity)
        rid = server_views.lookup(ctx, ref) or ref
        if kind == "approve":
            require_approver(who, server_views.policy(ctx, rid), environment)
        result = decide(ctx, rid, environment, kind, reason)
    except (Forbidden, UsageError) as exc:
        return _release(request, who, ref, 403 if isinstance(exc, Forbidden) else 422, error=str(exc))
    return RedirectResponse(f"/releases/{result.release}?notice={kind}-{environment}", status_code=303)


@router.post("/releases/{ref}/promotions")
def promote_form(request: Request, ref: ReleaseRef, environment: Field, replacing: Field = "none",
                 csrf: Field = "") -> Response:
    """Promote from the release page (refused if another promotion won since the page was drawn)."""
    who = _viewer(request)
    server = server_of(request)
    try:
        _check_form(who, csrf)
        ctx = server.context(who.identity)
        outcome = promote(ctx, server_views.lookup(ctx, ref) or ref, environment, replacing=replacing or "none",
                          gitops_dir=server.config.gitops)
    except (Forbidden, UsageError) as exc:
        return _release(request, who, ref, 403 if isinstance(exc, Forbidden) else 422, error=str(exc))
    if not outcome.deployed:
        return _release(request, who, ref, status_of(outcome), outcome=outcome.to_json())
    return RedirectResponse(f"/releases/{outcome.release}?notice=promoted-{environment}", status_code=303)


@router.post("/environments/{env}/rollback")
def rollback_form(request: Request, env: EnvName, csrf: Field = "") -> Response:
    """Roll an environment back to its previous release."""
    who = _viewer(request)
    server = server_of(request)
    try:
        _check_form(who, csrf)
        outcome = rollback(server.context(who.identity), env, gitops_dir=server.config.gitops)
    except (Forbidden, UsageError) as exc:
        return _page(request, "missing.html", who, 403 if isinstance(exc, Forbidden) else 422, what=None,
                     error=str(exc))
    return _release(request, who, outcome.release, 200 if outcome.deployed else status_of(outcome),
                    outcome=outcome.to_json())


@router.get("/modules")
def modules_page(request: Request) -> HTMLResponse:
    """The module catalog."""
    who = _viewer(request)
    server = server_of(request)
    ctx = server.context(who.identity)
    latest = server_views.releases(ctx)[:1]
    return _page(request, "modules.html", who, catalog=catalog(server.config.project),
                 latest=latest[0] if latest else None)


@router.get("/audit")
def audit_page(request: Request, page: int = 0) -> HTMLResponse:
    """Verification status, the latest checkpoint, and the newest entries."""
    who = _viewer(request)
    ctx = server_of(request).context(who.identity)
    page = max(0, min(page, 10**6))
    report = ledger_report.verify_log(ctx)
    return _page(request, "audit.html", who, report=report.to_json(), checkpoints=server_views.checkpoints(ctx, 5),
                 entries=server_views.audit_entries(ctx, page * 50, 50), page=page)

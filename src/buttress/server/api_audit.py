"""``/api/audit``: the audit log's entries, checkpoints, inclusion proofs and verification.

Verification and proofs run ``app.ledger_report`` — the code behind ``buttress audit verify`` and
``audit proof``/``verify-proof``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam

from buttress.app import ledger_report, server_views
from buttress.app.accounts import Principal
from buttress.server.auth import principal
from buttress.server.context import server_of

router = APIRouter(prefix="/api/audit", tags=["audit"])
Reader = Annotated[Principal, Depends(principal)]
Seq = Annotated[int, PathParam(ge=0, le=2**31 - 1, description="An entry's sequence number.")]


@router.get("/entries")
def entries(request: Request, _who: Reader, offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
            limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """A page of entries, newest first."""
    return server_views.audit_entries(server_of(request).context(), offset, limit)


@router.get("/entries/{seq}")
def entry(request: Request, seq: Seq, _who: Reader) -> dict[str, Any]:
    """One entry."""
    found = server_views.audit_entry(server_of(request).context(), seq)
    if found is None:
        raise HTTPException(404, f"there is no audit entry {seq}")
    return found


@router.get("/checkpoints")
def checkpoints(request: Request, _who: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 20) -> list[dict[str, Any]]:
    """The newest signed checkpoints."""
    return server_views.checkpoints(server_of(request).context(), limit)


@router.get("/proofs/{seq}")
def proof(request: Request, seq: Seq, _who: Reader) -> dict[str, Any]:
    """An inclusion proof of an entry against the newest checkpoint (check it offline with ``audit verify-proof``)."""
    if server_views.audit_entry(server_of(request).context(), seq) is None:
        raise HTTPException(404, f"there is no audit entry {seq}")
    return ledger_report.proof(server_of(request).context(), seq)


@router.post("/proofs/verification")
def verify_proof(request: Request, doc: dict[str, Any], _who: Reader) -> dict[str, Any]:
    """Check an inclusion proof document (as ``GET /api/audit/proofs/{seq}`` returns it)."""
    ok, message = ledger_report.verify_proof(doc, ctx=server_of(request).context())  # anchored in this ledger's keys
    return {"ok": ok, "message": message}


@router.get("/verification")
def verification(request: Request, _who: Reader) -> dict[str, Any]:
    """Recompute the whole log and check every checkpoint (``buttress audit verify``)."""
    return ledger_report.verify_log(server_of(request).context()).to_json()

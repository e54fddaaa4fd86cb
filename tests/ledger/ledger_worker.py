"""A separate process that promotes one release through the app layer (what ``buttress promote`` runs,
without loading every CLI command), for the concurrency and crash tests.

Usage: python ledger_worker.py URL KEY RELEASE ENV AT [REPLACING] [--gitops=DIR]; prints the outcome as
JSON; exit 0 if deployed, 1 if refused. With ``BUTTRESS_TEST_GO=FILE`` it waits for FILE to exist first, so
that several workers start their promotions at the same moment.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from buttress.app.ledger_session import LedgerContext, parse_at
from buttress.app.release_promote import promote


def main(argv: list[str]) -> int:
    folders = [Path(a.split("=", 1)[1]) for a in argv if a.startswith("--gitops=")]
    url, key, rid, env, at, *rest = [a for a in argv if not a.startswith("--gitops=")]
    go = os.environ.get("BUTTRESS_TEST_GO")
    while go and not Path(go).exists():
        time.sleep(0.005)
    ctx = LedgerContext(project=Path.cwd(), url=url, key_path=Path(key), identity="frank", at=parse_at(at))
    try:
        outcome = promote(ctx, rid, env, replacing=rest[0] if rest else None, gitops_dir=folders[0] if folders else None)
    finally:
        ctx.close()
    sys.stdout.write(json.dumps(outcome.to_json()) + "\n")
    return 0 if outcome.deployed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

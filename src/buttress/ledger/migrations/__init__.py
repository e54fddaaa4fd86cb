"""Alembic migrations of the ledger schema; ``ledger.store`` runs them programmatically on open.

``HEAD`` names the newest revision so that opening an up-to-date ledger skips loading Alembic's scripts;
a test keeps it equal to the script directory's head.
"""

HEAD = "0003"

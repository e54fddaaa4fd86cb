"""The release ledger: storage (SQLAlchemy, Alembic), signing (Ed25519, DSSE, in-toto/SLSA), the Merkle
audit log, promotion gates, roles and the GitOps writer.

``buttress.app.release`` and its siblings join these modules into use cases; nothing here reads a
blueprint, renders or runs checks. Only this package imports SQLAlchemy.
"""

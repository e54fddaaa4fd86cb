"""The initial ledger schema.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table."""
    op.create_table("meta", sa.Column("key", sa.String(64), primary_key=True), sa.Column("value", sa.Text(), nullable=False))
    op.create_table("head", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("size", sa.Integer(), nullable=False),
                    sa.Column("frontier", sa.Text(), nullable=False))
    op.create_table("audit_entries", sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
                    sa.Column("at", sa.String(40), nullable=False), sa.Column("actor", sa.String(200), nullable=False),
                    sa.Column("kind", sa.String(40), nullable=False), sa.Column("subject", sa.String(200), nullable=False),
                    sa.Column("body", sa.Text(), nullable=False), sa.Column("leaf_hash", sa.String(64), nullable=False))
    op.create_table("checkpoints", sa.Column("size", sa.Integer(), primary_key=True, autoincrement=False),
                    sa.Column("root", sa.String(64), nullable=False), sa.Column("at", sa.String(40), nullable=False),
                    sa.Column("key_id", sa.String(64), nullable=False),
                    sa.Column("signature", sa.String(100), nullable=False))
    op.create_table("keys", sa.Column("id", sa.String(64), primary_key=True),
                    sa.Column("public_key", sa.String(64), nullable=False),
                    sa.Column("owner", sa.String(200), nullable=False), sa.Column("created_at", sa.String(40), nullable=False))
    op.create_table("identities", sa.Column("name", sa.String(200), primary_key=True),
                    sa.Column("created_at", sa.String(40), nullable=False))
    op.create_table("role_grants",
                    sa.Column("identity", sa.String(200), sa.ForeignKey("identities.name"), primary_key=True),
                    sa.Column("role", sa.String(100), primary_key=True),
                    sa.Column("granted_by", sa.String(200), nullable=False), sa.Column("at", sa.String(40), nullable=False))
    op.create_table("blobs", sa.Column("digest", sa.String(64), primary_key=True),
                    sa.Column("content", sa.LargeBinary(), nullable=False))
    op.create_table("releases", sa.Column("id", sa.String(40), primary_key=True),
                    sa.Column("number", sa.Integer(), nullable=False, unique=True),
                    sa.Column("created_at", sa.String(40), nullable=False),
                    sa.Column("creator", sa.String(200), nullable=False),
                    sa.Column("blueprint", sa.String(200), nullable=False),
                    sa.Column("source_digest", sa.String(64), nullable=False),
                    sa.Column("bundle_digest", sa.String(64), nullable=False),
                    sa.Column("envelope", sa.Text(), nullable=False), sa.Column("policy", sa.Text(), nullable=False),
                    sa.Column("findings", sa.Text(), nullable=False))
    op.create_table("release_files",
                    sa.Column("release_id", sa.String(40), sa.ForeignKey("releases.id"), primary_key=True),
                    sa.Column("environment", sa.String(100), primary_key=True),
                    sa.Column("path", sa.String(500), primary_key=True),
                    sa.Column("digest", sa.String(64), sa.ForeignKey("blobs.digest"), nullable=False))
    op.create_table("decisions", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("release_id", sa.String(40), sa.ForeignKey("releases.id"), nullable=False),
                    sa.Column("environment", sa.String(100), nullable=False),
                    sa.Column("identity", sa.String(200), sa.ForeignKey("identities.name"), nullable=False),
                    sa.Column("kind", sa.String(20), nullable=False), sa.Column("roles", sa.Text(), nullable=False),
                    sa.Column("reason", sa.Text(), nullable=False), sa.Column("at", sa.String(40), nullable=False))
    op.create_table("promotions", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("release_id", sa.String(40), sa.ForeignKey("releases.id"), nullable=False),
                    sa.Column("environment", sa.String(100), nullable=False),
                    sa.Column("kind", sa.String(20), nullable=False), sa.Column("break_glass", sa.Boolean(), nullable=False),
                    sa.Column("reason", sa.Text(), nullable=False), sa.Column("actor", sa.String(200), nullable=False),
                    sa.Column("at", sa.String(40), nullable=False), sa.Column("outcome", sa.String(20), nullable=False),
                    sa.Column("gates", sa.Text(), nullable=False), sa.Column("replaced", sa.String(40), nullable=True))


def downgrade() -> None:
    """Drop every table."""
    for table in ("promotions", "decisions", "release_files", "releases", "blobs", "role_grants", "identities", "keys",
                  "checkpoints", "audit_entries", "head", "meta"):
        op.drop_table(table)

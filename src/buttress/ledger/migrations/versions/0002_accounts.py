"""Accounts for the team server: passwords, API tokens, browser sessions, login attempts.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the server's account tables (``ledger.accounts``)."""
    op.create_table("accounts",
                    sa.Column("identity", sa.String(200), sa.ForeignKey("identities.name"), primary_key=True),
                    sa.Column("password_hash", sa.Text(), nullable=False),
                    sa.Column("set_by", sa.String(200), nullable=False),
                    sa.Column("updated_at", sa.String(40), nullable=False))
    op.create_table("api_tokens", sa.Column("id", sa.String(32), primary_key=True),
                    sa.Column("identity", sa.String(200), sa.ForeignKey("identities.name"), nullable=False),
                    sa.Column("secret_hash", sa.String(64), nullable=False),
                    sa.Column("name", sa.String(200), nullable=False), sa.Column("roles", sa.Text(), nullable=False),
                    sa.Column("read_only", sa.Boolean(), nullable=False),
                    sa.Column("created_by", sa.String(200), nullable=False),
                    sa.Column("created_at", sa.String(40), nullable=False),
                    sa.Column("expires_at", sa.String(40), nullable=False),
                    sa.Column("revoked_at", sa.String(40), nullable=True))
    op.create_table("web_sessions", sa.Column("secret_hash", sa.String(64), primary_key=True),
                    sa.Column("identity", sa.String(200), sa.ForeignKey("identities.name"), nullable=False),
                    sa.Column("csrf", sa.String(64), nullable=False),
                    sa.Column("created_at", sa.String(40), nullable=False),
                    sa.Column("expires_at", sa.String(40), nullable=False))
    op.create_table("login_attempts", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("identity", sa.String(200), nullable=False),
                    sa.Column("at", sa.String(40), nullable=False), sa.Column("ok", sa.Boolean(), nullable=False))
    op.create_index("ix_login_attempts_identity", "login_attempts", ["identity"])


def downgrade() -> None:
    """Drop the account tables."""
    op.drop_index("ix_login_attempts_identity", "login_attempts")
    for table in ("login_attempts", "web_sessions", "api_tokens", "accounts"):
        op.drop_table(table)

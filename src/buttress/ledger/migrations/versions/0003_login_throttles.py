"""Login throttling per identity and client address: counters updated under a row lock, and the client
address of each recorded login attempt.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``login_throttles``; add ``login_attempts.address`` (empty for attempts made before)."""
    op.create_table("login_throttles", sa.Column("identity", sa.String(200), primary_key=True),
                    sa.Column("address", sa.String(100), primary_key=True),
                    sa.Column("window_start", sa.String(40), nullable=False),
                    sa.Column("failures", sa.Integer(), nullable=False),
                    sa.Column("last_attempt", sa.String(40), nullable=False))
    with op.batch_alter_table("login_attempts") as batch:
        batch.add_column(sa.Column("address", sa.String(100), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("login_attempts") as batch:
        batch.drop_column("address")
    op.drop_table("login_throttles")

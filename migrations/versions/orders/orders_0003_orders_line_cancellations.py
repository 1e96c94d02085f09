"""orders: line cancellations after booking

Revision ID: orders_0003
Revises: orders_0002
Create Date: 2026-12-05 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "orders_0003"
down_revision: str | None = "orders_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lines_cancel_pending", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("orders_order_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "orders_line_cancellation",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_pk"],
            ["orders_order.id"],
            name=op.f("fk_orders_line_cancellation_order_pk_orders_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders_line_cancellation")),
    )
    with op.batch_alter_table("orders_line_cancellation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_line_cancellation_order_pk"), ["order_pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("orders_line_cancellation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_line_cancellation_order_pk"))
    op.drop_table("orders_line_cancellation")
    with op.batch_alter_table("orders_order_line", schema=None) as batch_op:
        batch_op.drop_column("cancelled")
    with op.batch_alter_table("orders_order", schema=None) as batch_op:
        batch_op.drop_column("lines_cancel_pending")

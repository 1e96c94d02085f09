"""erp: units cut from sales order lines after booking

Revision ID: erp_0003
Revises: erp_0002
Create Date: 2026-12-05 18:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "erp_0003"
down_revision: str | None = "erp_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("erp_sales_order_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_quantity", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("erp_sales_order_line", schema=None) as batch_op:
        batch_op.drop_column("cancelled_quantity")

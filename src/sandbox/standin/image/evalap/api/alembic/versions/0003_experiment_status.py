"""experiment status

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("experiments", sa.Column("experiment_status", sa.String, nullable=False, server_default="pending"))
    op.create_index("ix_experiments_status", "experiments", ["experiment_status"])


def downgrade():
    op.drop_index("ix_experiments_status", table_name="experiments")
    op.drop_column("experiments", "experiment_status")

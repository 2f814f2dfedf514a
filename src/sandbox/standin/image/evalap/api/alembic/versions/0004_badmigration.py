"""answers (fails halfway: shipped only by -badmigration images)

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # First a table, then a statement PostgreSQL refuses: the transaction takes the table back.
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("experiment_id", sa.Integer, sa.ForeignKey("experiments.id"), nullable=False),
    )
    op.execute("ALTER TABLE answers ADD COLUMN judge_id integer REFERENCES judges(id)")


def downgrade():
    op.drop_table("answers")

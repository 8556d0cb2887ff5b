"""Index activities by tie and date: the scorecard's last-activity lookups and dormancy.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_activities_tie_date", "activities", ["tie_id", "activity_date"])


def downgrade() -> None:
    op.drop_index("ix_activities_tie_date", table_name="activities")

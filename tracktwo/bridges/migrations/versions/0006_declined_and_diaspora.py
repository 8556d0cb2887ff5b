"""A tie's status can carry its reason (a declined proposal says why it was declined), and
diaspora figures: how many people of one country live in a place of another, with the
registry places each figure applies to.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


_STATUSES = "'proposed', 'active', 'dormant', 'ended'"


def upgrade() -> None:
    with op.batch_alter_table("ties") as batch:
        batch.add_column(sa.Column("status_reason", sa.Text(), nullable=True))
        # a declined proposal is a tie row with status "declined" (bridges/_status.py)
        batch.drop_constraint("ck_status", type_="check")
        batch.create_check_constraint("ck_status", f"status IN ({_STATUSES}, 'declined')")
    op.create_table(
        "diaspora_figures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("origin_country", sa.String(3), nullable=False, index=True),
        sa.Column("country", sa.String(3), nullable=False, index=True),
        sa.Column("geography", sa.String(300), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("figure", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(300), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("year_basis", sa.String(300), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        # a figure's identity; a figure without a year (NULL) is kept unique by the loader
        sa.UniqueConstraint(
            "origin_country", "country", "geography", "level", "measure", "year", "source",
            name="uq_diaspora_figures_identity",
        ),
        sa.CheckConstraint(
            "level IN ('country', 'state', 'metro', 'city')", name="ck_diaspora_level"
        ),
        sa.CheckConstraint("figure >= 0", name="ck_diaspora_figure"),
        sa.CheckConstraint("origin_country <> country", name="ck_diaspora_abroad"),
    )  # fmt: skip
    op.create_table(
        "diaspora_places",
        sa.Column(
            "figure_id", sa.Integer(),
            sa.ForeignKey("diaspora_figures.id", ondelete="CASCADE"), primary_key=True,
        ),
        sa.Column(
            "actor_id", sa.Integer(),
            sa.ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True, index=True,
        ),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("diaspora_places")
    op.drop_table("diaspora_figures")
    # the schema before knew no declined proposal: it keeps them as ended ties
    op.execute("UPDATE ties SET status = 'ended' WHERE status = 'declined'")
    with op.batch_alter_table("ties") as batch:
        batch.drop_constraint("ck_status", type_="check")
        batch.create_check_constraint("ck_status", f"status IN ({_STATUSES})")
        batch.drop_column("status_reason")

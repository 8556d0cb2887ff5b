"""The bridges registry: actors, ties, activities.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "actors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("local_name", sa.String(300)),
        sa.Column("country", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("place", sa.String(300)),
        sa.Column("latitude", sa.Float()),
        sa.Column("longitude", sa.Float()),
        sa.Column("population", sa.Integer()),
        sa.Column("students", sa.Integer()),
        sa.Column("members", sa.Integer()),
        sa.Column("areas_offered", sa.JSON(), nullable=False),
        sa.Column("areas_needed", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("funded_by", sa.String(3)),
        sa.Column("stance", sa.String(20)),
        sa.Column("geonames_id", sa.Integer()),
        sa.Column("wikidata_id", sa.String(20)),
        sa.Column("web_domain", sa.String(200)),
        sa.Column("alt_names", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        *_stamps(),
        sa.CheckConstraint("stance IS NULL OR stance IN ('hostile', 'aligned')", name="ck_stance"),
    )
    for column in ("country", "kind", "geonames_id", "wikidata_id", "web_domain"):
        op.create_index(f"ix_actors_{column}", "actors", [column])
    op.create_index("ix_actors_identity", "actors", ["name", "country", "kind"])
    op.create_table(
        "ties",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("actor_a_id", sa.Integer(), sa.ForeignKey("actors.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("actor_b_id", sa.Integer(), sa.ForeignKey("actors.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_date", sa.Date()),
        sa.Column("end_date", sa.Date()),
        sa.Column("evidence", sa.Text()),
        sa.Column("anonymised", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        *_stamps(),
        sa.CheckConstraint("actor_a_id <> actor_b_id", name="ck_two_actors"),
        sa.CheckConstraint(
            "status IN ('proposed', 'active', 'dormant', 'ended')", name="ck_status"
        ),
    )  # fmt: skip
    op.create_index("ix_ties_actor_a_id", "ties", ["actor_a_id"])
    op.create_index("ix_ties_actor_b_id", "ties", ["actor_b_id"])
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tie_id", sa.Integer(), sa.ForeignKey("ties.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("activity_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("participants", sa.Integer()),
        sa.Column("note", sa.Text()),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
    )  # fmt: skip
    op.create_index("ix_activities_tie_id", "activities", ["tie_id"])


def downgrade() -> None:
    op.drop_table("activities")
    op.drop_table("ties")
    op.drop_table("actors")

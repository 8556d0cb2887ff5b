"""Open doors: self-registered users, actor profiles and their managers, partnership
requests, flags and the moderation log, the in-app inbox, e-mail tokens and digests.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _user(name: str = "user_id", *, required: bool = True) -> sa.Column:
    # a person's rows go with their account; records others rely on keep a NULL instead
    return sa.Column(
        name, sa.Integer(),
        sa.ForeignKey("users.id", ondelete="CASCADE" if required else "SET NULL"),
        nullable=not required,
    )  # fmt: skip


def _profile(name: str = "profile_id") -> sa.Column:
    return sa.Column(
        name, sa.Integer(), sa.ForeignKey("profiles.id", ondelete="CASCADE"), nullable=False
    )


def _users() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_confirmed_at", sa.DateTime()))
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="en"))
    # accounts made by an administrator before this revision count as confirmed
    op.execute("UPDATE users SET email_confirmed_at = created_at")
    op.create_index("ix_users_email", "users", ["email"], unique=True)


def _profiles() -> None:
    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("actors.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("local_name", sa.String(300)),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("country", sa.String(3), nullable=False),
        sa.Column("place", sa.String(300)),
        sa.Column("areas_offered", sa.JSON(), nullable=False),
        sa.Column("areas_needed", sa.JSON(), nullable=False),
        sa.Column("description_en", sa.Text()),
        sa.Column("description_km", sa.Text()),
        sa.Column("website", sa.String(300)),
        sa.Column("contact_email", sa.String(320)),
        sa.Column("contact_phone", sa.String(40)),
        _user("created_by", required=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("approved_at", sa.DateTime()),
    )
    for column in ("status", "country", "actor_id"):
        op.create_index(f"ix_profiles_{column}", "profiles", [column])
    op.create_table(
        "profile_managers",
        sa.Column("id", sa.Integer(), primary_key=True),
        _profile(),
        _user(),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("profile_id", "user_id", name="uq_profile_managers"),
    )
    op.create_index("ix_profile_managers_user_id", "profile_managers", ["user_id"])


def _requests() -> None:
    op.create_table(
        "partnership_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        _profile("from_profile_id"),
        _profile("to_profile_id"),
        _user("sender_id", required=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime()),
        _user("answered_by", required=False),
        sa.Column("tie_id", sa.Integer(), sa.ForeignKey("ties.id", ondelete="SET NULL")),
    )
    for column in ("from_profile_id", "to_profile_id", "sender_id", "created_at"):
        op.create_index(f"ix_partnership_requests_{column}", "partnership_requests", [column])


def _moderation() -> None:
    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), primary_key=True),
        _profile(),
        _user("flagged_by", required=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime()),
    )
    op.create_index("ix_flags_profile_id", "flags", ["profile_id"])
    op.create_index("ix_flags_flagged_by", "flags", ["flagged_by"])
    op.create_table(
        "moderation_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user("moderator_id", required=False),
        sa.Column("moderator", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("profile_id", sa.Integer(), sa.ForeignKey("profiles.id", ondelete="SET NULL")),
        sa.Column("flag_id", sa.Integer(), sa.ForeignKey("flags.id", ondelete="SET NULL")),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
    )


def _messages() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user(),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(300)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime()),
        sa.Column("mail", sa.String(20), nullable=False),
    )
    op.create_index("ix_notifications_user_id", "notifications", ["user_id"])
    op.create_table(
        "email_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        _user(),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_email_tokens_user_id", "email_tokens", ["user_id"])
    # sign-ups per client address, for the daily limit; rows older than a day are swept
    op.create_table(
        "signups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_signups_address", "signups", ["address"])
    op.create_index("ix_signups_created_at", "signups", ["created_at"])
    op.create_table(
        "digests_sent",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user(),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "month", name="uq_digests_sent"),
    )


def upgrade() -> None:
    _users()
    _profiles()
    _requests()
    _moderation()
    _messages()


def downgrade() -> None:
    for table in ("digests_sent", "signups", "email_tokens", "notifications", "moderation_log",
                  "flags", "partnership_requests", "profile_managers", "profiles"):  # fmt: skip
        op.drop_table(table)
    op.drop_index("ix_users_email", "users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
        batch.drop_column("email_confirmed_at")

"""The registry's tables as SQLAlchemy 2 models: actors, ties between actors of two countries,
and activities on ties. The schema itself is created by the Alembic migrations in
``tracktwo/bridges/migrations``; these classes map it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Activity", "Actor", "Base", "DiasporaFigure", "DiasporaPlace", "Tie"]


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}  # noqa: RUF012


class Actor(Base):
    """Anyone who can hold a tie: a city, a university, a business, a diaspora expert ..."""

    __tablename__ = "actors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    local_name: Mapped[str | None] = mapped_column(String(300))  # e.g. the Khmer name
    country: Mapped[str] = mapped_column(String(3), index=True)  # ISO 3166 alpha-3
    kind: Mapped[str] = mapped_column(String(40), index=True)
    place: Mapped[str | None] = mapped_column(String(300))
    # a place's first-level region: GeoNames admin1 code ("CA", "DC", "22") and its name
    # ("California", "Phnom Penh"); what tells two places of one name apart (migration 0007)
    admin1: Mapped[str | None] = mapped_column(String(20))
    admin1_name: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    students: Mapped[int | None] = mapped_column(Integer)
    members: Mapped[int | None] = mapped_column(Integer)
    areas_offered: Mapped[list[str]] = mapped_column(JSON, default=list)
    areas_needed: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    # politicisation: which government funds it; openly hostile to / aligned with the
    # counterpart's government. Either makes the actor "politicised" in the scorecard.
    funded_by: Mapped[str | None] = mapped_column(String(3))
    stance: Mapped[str | None] = mapped_column(String(20))  # hostile | aligned | None
    geonames_id: Mapped[int | None] = mapped_column(Integer, index=True)
    wikidata_id: Mapped[str | None] = mapped_column(String(20), index=True)
    web_domain: Mapped[str | None] = mapped_column(String(200), index=True)
    alt_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )

    # optimistic locking: an UPDATE of a row someone else changed meanwhile fails
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def politicised(self) -> bool:
        return bool(self.funded_by) or self.stance in ("hostile", "aligned")


class Tie(Base):
    """A relationship between two actors of different countries."""

    __tablename__ = "ties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_a_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    actor_b_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(40))
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="active")
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[str | None] = mapped_column(Text)
    # why the tie has its status: e.g. why a proposal was declined (migration 0006)
    status_reason: Mapped[str | None] = mapped_column(Text)
    anonymised: Mapped[bool] = mapped_column(Boolean, default=False)
    # for a tie the matchmaker proposed: {"score", "components", "model", "proposed_at"}
    proposal: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )

    actor_a: Mapped[Actor] = relationship(foreign_keys=[actor_a_id])
    actor_b: Mapped[Actor] = relationship(foreign_keys=[actor_b_id])
    activities: Mapped[list[Activity]] = relationship(
        back_populates="tie", cascade="all, delete-orphan", order_by="Activity.activity_date"
    )

    # optimistic locking: an UPDATE of a row someone else changed meanwhile fails
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Activity(Base):
    """Something that happened on a tie: a visit, an exchange, a joint project ..."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tie_id: Mapped[int] = mapped_column(ForeignKey("ties.id", ondelete="CASCADE"), index=True)
    activity_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(
        String(40)
    )  # visit, exchange, joint_project, agreement, event
    participants: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    tie: Mapped[Tie] = relationship(back_populates="activities")


class DiasporaFigure(Base):
    """How many people of ``origin_country`` live in one geography of ``country``, as one
    source counts them: the measure and year always travel with the figure, because figures
    of different measures (alone, in combination, ancestry, born abroad) never add up."""

    __tablename__ = "diaspora_figures"
    # the identity a load upserts on; the migration also checks level, figure >= 0 and
    # origin_country <> country
    __table_args__ = (
        UniqueConstraint(
            "origin_country",
            "country",
            "geography",
            "level",
            "measure",
            "year",
            "source",
            name="uq_diaspora_figures_identity",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin_country: Mapped[str] = mapped_column(String(3), index=True)
    country: Mapped[str] = mapped_column(String(3), index=True)
    geography: Mapped[str] = mapped_column(String(300))  # as the source names it
    level: Mapped[str] = mapped_column(String(10))  # country | state | metro | city
    figure: Mapped[int] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(String(300))
    year: Mapped[int | None] = mapped_column(Integer)
    year_basis: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    places: Mapped[list[DiasporaPlace]] = relationship(
        back_populates="figure", cascade="all, delete-orphan"
    )


class DiasporaPlace(Base):
    """A registry place (city or province actor) that a diaspora figure applies to: a city's
    figure to the city, a metro's to its principal cities, a state's to its places."""

    __tablename__ = "diaspora_places"

    figure_id: Mapped[int] = mapped_column(
        ForeignKey("diaspora_figures.id", ondelete="CASCADE"), primary_key=True
    )
    actor_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    figure: Mapped[DiasporaFigure] = relationship(back_populates="places")
    actor: Mapped[Actor] = relationship()

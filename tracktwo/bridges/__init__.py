"""Bridges: the registry of actors and ties between two countries, and its scorecard."""

from tracktwo.bridges._backup import backup, restore
from tracktwo.bridges._breakdown import track_of_kinds
from tracktwo.bridges._diaspora import (
    DIASPORA_FILE,
    DiasporaReport,
    diaspora_by_actor,
    diaspora_figures_for,
    load_diaspora,
)
from tracktwo.bridges._diaspora_places import state_code
from tracktwo.bridges._edit import (
    ACTIVITY_KINDS,
    STANCES,
    add_actor,
    add_tie,
    clean_actor_fields,
    get_actor,
    get_tie,
    list_activities,
    list_actors,
    list_ties,
    log_activity,
    remove_actor,
    remove_tie,
    update_actor,
    update_tie,
)
from tracktwo.bridges._export import export_registry
from tracktwo.bridges._facets import actor_facets, actor_filters, actor_tie_counts
from tracktwo.bridges._io import ImportReport, import_file, import_records
from tracktwo.bridges._khm_usa import load_khm_usa_ties
from tracktwo.bridges._kinds import DECLINED, DOORS_TRACKS, STATUSES, Vocabulary, load_vocabulary
from tracktwo.bridges._loaders import (
    MatchReport,
    load_open_data,
    load_places,
    load_provinces,
    load_sister_cities,
    load_universities,
)
from tracktwo.bridges._matching import NameIndex
from tracktwo.bridges._models import Activity, Actor, Base, DiasporaFigure, DiasporaPlace, Tie
from tracktwo.bridges._pair_ties import ActorArrays, PairTies, TieArrays, load_pair_ties
from tracktwo.bridges._places import capital_geonames_ids, load_states, place_label
from tracktwo.bridges._registry import REGISTRY_FILE, Registry
from tracktwo.bridges._scorecard import Scorecard, scorecard, scorecard_by_year, scorecard_figures
from tracktwo.bridges._status import (
    DEFAULT_DORMANT_MONTHS,
    country_pair,
    dormant_ties,
    effective_statuses,
)

__all__ = [
    "ACTIVITY_KINDS",
    "DECLINED",
    "DEFAULT_DORMANT_MONTHS",
    "DIASPORA_FILE",
    "DOORS_TRACKS",
    "REGISTRY_FILE",
    "STANCES",
    "STATUSES",
    "Activity",
    "Actor",
    "ActorArrays",
    "Base",
    "DiasporaFigure",
    "DiasporaPlace",
    "DiasporaReport",
    "ImportReport",
    "MatchReport",
    "NameIndex",
    "PairTies",
    "Registry",
    "Scorecard",
    "Tie",
    "TieArrays",
    "Vocabulary",
    "actor_facets",
    "actor_filters",
    "actor_tie_counts",
    "add_actor",
    "add_tie",
    "backup",
    "capital_geonames_ids",
    "clean_actor_fields",
    "country_pair",
    "diaspora_by_actor",
    "diaspora_figures_for",
    "dormant_ties",
    "effective_statuses",
    "export_registry",
    "get_actor",
    "get_tie",
    "import_file",
    "import_records",
    "list_activities",
    "list_actors",
    "list_ties",
    "load_diaspora",
    "load_khm_usa_ties",
    "load_open_data",
    "load_pair_ties",
    "load_places",
    "load_provinces",
    "load_sister_cities",
    "load_states",
    "load_universities",
    "load_vocabulary",
    "log_activity",
    "place_label",
    "remove_actor",
    "remove_tie",
    "restore",
    "scorecard",
    "scorecard_by_year",
    "scorecard_figures",
    "state_code",
    "track_of_kinds",
    "update_actor",
    "update_tie",
]

"""Bridges: the registry of actors and ties between two countries, and its scorecard."""

from tracktwo.bridges._diaspora import (
    DiasporaReport,
    diaspora_by_actor,
    diaspora_figures_for,
    load_diaspora,
)
from tracktwo.bridges._khm_usa import load_khm_usa_ties
from tracktwo.bridges._kinds import STATUSES, Vocabulary, load_vocabulary
from tracktwo.bridges._models import Activity, Actor, Base, DiasporaFigure, DiasporaPlace, Tie
from tracktwo.bridges._pair_ties import ActorArrays, PairTies, TieArrays, load_pair_ties
from tracktwo.bridges._places import load_states, place_label
from tracktwo.bridges._registry import REGISTRY_FILE, Registry
from tracktwo.bridges._scorecard import Scorecard, scorecard_figures
from tracktwo.bridges._status import DEFAULT_DORMANT_MONTHS

__all__ = [
    "DEFAULT_DORMANT_MONTHS",
    "REGISTRY_FILE",
    "STATUSES",
    "Activity",
    "Actor",
    "ActorArrays",
    "Base",
    "DiasporaFigure",
    "DiasporaPlace",
    "DiasporaReport",
    "PairTies",
    "Registry",
    "Scorecard",
    "Tie",
    "TieArrays",
    "Vocabulary",
    "diaspora_by_actor",
    "diaspora_figures_for",
    "load_diaspora",
    "load_khm_usa_ties",
    "load_pair_ties",
    "load_states",
    "load_vocabulary",
    "place_label",
    "scorecard_figures",
]

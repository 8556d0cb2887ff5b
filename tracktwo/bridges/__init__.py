"""Bridges: the registry of actors and ties between two countries, and its scorecard."""

from tracktwo.bridges._kinds import STATUSES, Vocabulary, load_vocabulary
from tracktwo.bridges._models import Activity, Actor, Base, Tie
from tracktwo.bridges._registry import REGISTRY_FILE, Registry

__all__ = [
    "REGISTRY_FILE",
    "STATUSES",
    "Activity",
    "Actor",
    "Base",
    "Registry",
    "Tie",
    "Vocabulary",
    "load_vocabulary",
]

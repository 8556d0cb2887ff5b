"""The shared taxonomy: CAMEO event codes, tracks, areas of cooperation and their sensitivity."""

from tracktwo.taxonomy._loader import (
    TRACK_LABELS,
    TRACKS,
    Area,
    CameoCode,
    Countries,
    Taxonomy,
    builtin_data_dir,
    load_taxonomy,
)

__all__ = [
    "TRACKS",
    "TRACK_LABELS",
    "Area",
    "CameoCode",
    "Countries",
    "Taxonomy",
    "builtin_data_dir",
    "load_taxonomy",
]

"""The shared taxonomy: CAMEO event codes, tracks, areas of cooperation and their sensitivity."""

from tracktwo.taxonomy._loader import (
    TRACKS,
    Area,
    CameoCode,
    Countries,
    Taxonomy,
    load_taxonomy,
)

__all__ = ["TRACKS", "Area", "CameoCode", "Countries", "Taxonomy", "load_taxonomy"]

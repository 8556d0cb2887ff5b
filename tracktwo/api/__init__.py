"""The notebook API: ``tracktwo.open(home)`` and its tables (docs/python.md).

A shell like ``cli`` and ``web``: each method calls one library function and returns its
table as pandas (the default), polars (``t.pl``) or Arrow (``t.arrow``)."""

from tracktwo.api._open import Frames, TrackTwo, open

__all__ = ["Frames", "TrackTwo", "open"]

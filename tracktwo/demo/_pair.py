"""The demo's country pair, shared by the store build, the registry build and the briefing."""

from __future__ import annotations

__all__ = ["NAMES", "PAIR"]

PAIR = ("KHM", "USA")
# how the demo's steps name each country of the pair
NAMES = {"KHM": "Cambodia", "USA": "the United States"}

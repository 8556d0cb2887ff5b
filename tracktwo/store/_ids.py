"""The largest whole number a table holds: ids and counts are 32-bit in both databases."""

from __future__ import annotations

__all__ = ["MAX_ID"]

# a larger id asked for is a bad request, not a lookup; a larger count is refused at import
MAX_ID = 2**31 - 1

"""Rows that could not be read go to the ``quarantine`` table with file, line and reason."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["QuarantinedRow"]


@dataclass(frozen=True)
class QuarantinedRow:
    """One bad input row: its 1-based line number in the file, why, and the raw text."""

    line: int
    reason: str
    raw: str

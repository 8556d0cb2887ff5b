"""The briefing on a country pair: one self-contained HTML document, or the same laid out as a
PDF (``tracktwo report``)."""

from tracktwo.report._briefing import (
    Briefing,
    build_briefing,
    check_output,
    render_briefing,
    save_briefing,
    write_briefing,
)

__all__ = [
    "Briefing",
    "build_briefing",
    "check_output",
    "render_briefing",
    "save_briefing",
    "write_briefing",
]

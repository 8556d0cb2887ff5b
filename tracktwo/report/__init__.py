"""The briefing: one self-contained HTML document on a country pair (``tracktwo report``)."""

from tracktwo.report._briefing import Briefing, build_briefing, render_briefing, write_briefing

__all__ = ["Briefing", "build_briefing", "render_briefing", "write_briefing"]

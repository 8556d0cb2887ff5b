"""The demo: the Cambodia–United States event store, bridges registry and briefing, built from
the data shipped in ``tracktwo/datasets`` (``tracktwo demo``).

It sits above every library package it drives (events, pulse, bridges, report) and below the
shells: the CLI's ``demo`` command calls ``run_demo`` and prints what it returns.
"""

from tracktwo.demo._pair import NAMES, PAIR
from tracktwo.demo._registry import SISTER_CITY_COUNTRIES, DemoRegistry, Load, build_demo_registry
from tracktwo.demo._run import DemoResult, DemoStore, build_demo_store, run_demo

__all__ = [
    "NAMES",
    "PAIR",
    "SISTER_CITY_COUNTRIES",
    "DemoRegistry",
    "DemoResult",
    "DemoStore",
    "Load",
    "build_demo_registry",
    "build_demo_store",
    "run_demo",
]

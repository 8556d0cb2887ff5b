"""Every route of the app, assembled in one place.

The dashboard's pages (``_pages``) and changes (``_forms``), the API reference (``_reference``)
and open doors' pages and changes (``_doors_pages`` and ``_doors_actions``, on the one doors
router of ``_doors_kit``). A new module of routes is included here, and nowhere else.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from tracktwo.web import _doors_actions, _doors_pages, _forms, _pages, _reference
from tracktwo.web._doors_kit import router as doors_router

__all__ = ["ROUTERS", "include_routes"]

# importing _doors_pages and _doors_actions adds their routes to the doors router
assert _doors_pages.__name__ and _doors_actions.__name__
ROUTERS: tuple[APIRouter, ...] = (_pages.router, _forms.router, _reference.router, doors_router)


def include_routes(app: FastAPI) -> None:
    """Add every router's routes to ``app``."""
    for router in ROUTERS:
        app.include_router(router)

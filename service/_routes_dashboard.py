"""The web dashboard: static files under ``/dashboard/``, and ``/`` sending browsers there.

The dashboard (``service/dashboard/``: HTML, CSS, ES modules and the vendored uPlot
charting library, no build step) is a client of the public API like any other: it
holds no server-side state and reads nothing the API does not answer. Its files are
public; every API call it makes carries the user's key (``Authorization: Bearer``)
once one is asked for, after a 401.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

__all__ = ["DASHBOARD_DIR", "router"]

DASHBOARD_DIR = Path(__file__).resolve().parent / "dashboard"
"""The dashboard's files, shipped as package data (``pyproject.toml``)."""

router = APIRouter(include_in_schema=False)


@router.get("/", include_in_schema=False)
async def root() -> RedirectResponse:
    """``/`` is the dashboard's home (a temporary redirect, so it may move later)."""
    return RedirectResponse("/dashboard/", status_code=307)


router.routes.append(
    Mount("/dashboard", app=StaticFiles(directory=DASHBOARD_DIR, html=True), name="dashboard")
)

"""The dashboard page for BI analysts: one HTML page and its static files, no build step.

The page reads the results API in the browser (`/campaigns`, and per campaign `/funnel`,
`/uplift`, `/daily`); its charts are drawn by Chart.js, bundled under `static/vendor/` because
the machines it runs on are offline.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from reach_runtime.auth import public
from reach_runtime.errors import NotFound

STATIC = Path(__file__).resolve().parent.parent / "static"
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}

# The page and its files hold no data: the data comes from the results API, with the
# caller's credentials (behind the brokerage's sign-in proxy when AUTH_MODE=on).
router = APIRouter(tags=["dashboard"], dependencies=[public("static page and scripts, no data")])


def _static_files() -> dict[str, Path]:
    """Every file under static/, by its path relative to it: the only paths ever served."""
    return {p.relative_to(STATIC).as_posix(): p for p in STATIC.rglob("*") if p.is_file()}


@router.get("/dashboard", response_class=FileResponse, summary="The dashboard page")
async def dashboard() -> FileResponse:
    return FileResponse(STATIC / "dashboard.html", media_type=MEDIA_TYPES[".html"])


@router.get(
    "/dashboard/static/{path:path}",
    response_class=FileResponse,
    summary="The dashboard's scripts, styles and bundled chart library",
)
async def static_file(path: str) -> FileResponse:
    found = _static_files().get(path)
    if found is None:
        raise NotFound(f"no dashboard file {path!r}", field="path")
    return FileResponse(found, media_type=MEDIA_TYPES.get(found.suffix))

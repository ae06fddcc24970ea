"""The API docs page: Swagger UI from an installed package, so it works offline.

FastAPI's own ``/docs`` loads Swagger UI from a CDN (a blank page without the internet) and
starts it with an inline script, which this app's Content-Security-Policy refuses. Here the
script and stylesheet come from the ``fastapi-offline`` package's copy, served by the app,
and a small file in ``web/static`` starts it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

ASSETS_URL = "/static/swagger"
MISSING = (
    "the API docs page needs the fastapi-offline package "
    "(pip install 'fastapi-offline>=1.7,<2'); the API description itself is at /openapi.json"
)


def swagger_assets() -> Path | None:
    """The folder holding ``swagger-ui-bundle.js`` and ``swagger-ui.css``, or None if absent."""
    try:
        folder = Path(str(resources.files("fastapi_offline") / "static"))
    except ModuleNotFoundError:
        return None
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def add_docs(app: FastAPI, templates: Jinja2Templates) -> None:
    """Serve ``/docs`` and its assets; mount before any broader ``/static`` mount."""
    assets = swagger_assets()
    if assets is not None:
        app.mount(ASSETS_URL, StaticFiles(directory=assets), name="swagger-assets")

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs(request: Request) -> HTMLResponse:
        if assets is None:
            raise HTTPException(503, MISSING)
        return templates.TemplateResponse(
            request, "docs.html", {"openapi_url": app.openapi_url, "assets": ASSETS_URL}
        )

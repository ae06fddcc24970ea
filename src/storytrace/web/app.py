"""FastAPI app over a read-only store: HTML pages and the same data as JSON under /api/.

Presentation only: every number comes from the store or from ``storytrace.compare``.
Everything shown is escaped (Jinja2 autoescape); no request parameter reaches a file path;
errors render as a plain 404/422 page or JSON, never a stack trace.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as FastAPIPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from storytrace.errors import StorytraceError
from storytrace.store.db import Store
from storytrace.web.graph import Flow, Graph, reuse_graph, story_flows

PAGE_SIZE = 20
Page = Annotated[int, Query(ge=1, le=100_000)]
Sort = Annotated[str, Query(pattern="^(size|recent)$")]
Text = Annotated[str, Query(max_length=200)]
PathText = Annotated[str, FastAPIPath(max_length=200)]
_TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class _Stores:
    """One read-only connection per thread (sqlite3 connections are not shared)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.local = threading.local()
        Store.open_read_only(path).close()  # fail at start-up, not on the first request

    def get(self) -> Store:
        store = getattr(self.local, "store", None)
        if store is None:
            store = self.local.store = Store.open_read_only(self.path)
        return store


def _story_page(
    store: Store, q: str, outlet: str, since: str, until: str, sort: str, page: int
) -> dict[str, Any]:
    total, ids = store.search_stories(
        q, outlet, since, until, sort, PAGE_SIZE, (page - 1) * PAGE_SIZE
    )
    return {
        "total": total,
        "page": page,
        "page_size": PAGE_SIZE,
        "pages": max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        "stories": [s.to_dict() for s in store.stories_by_id(ids)],
    }


def _article(store: Store, article_id: str) -> dict[str, Any]:
    try:
        article = store.article(article_id)
    except StorytraceError as exc:
        raise HTTPException(404, str(exc)) from exc
    data = article.to_dict()
    data["story"] = store.article_story(article.id)
    return data


def _compare(store: Store, a: str, b: str) -> Any:
    from storytrace.compare import compare

    try:
        return compare(store.article(a), store.article(b))
    except StorytraceError as exc:
        raise HTTPException(404, str(exc)) from exc


def _outlet_graph(
    name: str, takes: list[dict[str, Any]], gives: list[dict[str, Any]], most: int = 15
) -> Graph:
    """The outlet and its biggest sources and takers (``most`` of each, so it stays legible)."""
    top = sorted(takes, key=lambda f: -f["passages"])[:most]
    top += sorted(gives, key=lambda f: -f["passages"])[:most]
    flows = [Flow(f["from"], f["to"], f["passages"], f["articles"]) for f in top]
    others = [f.source if f.taker == name else f.taker for f in flows]
    return reuse_graph([name, *others], flows, name)


def app_from_env() -> FastAPI:
    """Factory for multi-process serving: the database path comes from STORYTRACE_DB."""
    import os

    return create_app(os.environ["STORYTRACE_DB"])


def create_app(db: str | Path) -> FastAPI:
    """The app serving the store at ``db`` (opened read-only)."""
    stores = _Stores(Path(db))
    outlet_list = stores.get().outlets()  # read-only store: fixed for the life of the app
    app = FastAPI(
        title="storytrace", description="Stories, reuse, quotes and comparisons of news articles."
    )

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if wants_json(request):
            return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)
        return _TEMPLATES.TemplateResponse(
            request,
            "error.html",
            {"status": exc.status_code, "message": str(exc.detail)},
            status_code=exc.status_code,
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        message = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors())
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=422)
        return _TEMPLATES.TemplateResponse(
            request, "error.html", {"status": 422, "message": message}, status_code=422
        )

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        if wants_json(request):
            return JSONResponse({"error": "internal error"}, status_code=500)
        return _TEMPLATES.TemplateResponse(
            request, "error.html", {"status": 500, "message": "internal error"}, status_code=500
        )

    # -- JSON API ----------------------------------------------------------------------
    @app.get("/api/stories")
    def api_stories(
        q: Text = "",
        outlet: Text = "",
        since: Text = "",
        until: Text = "",
        sort: Sort = "size",
        page: Page = 1,
    ) -> dict[str, Any]:
        """Stories matching the filters, one page at a time."""
        return _story_page(stores.get(), q, outlet, since, until, sort, page)

    @app.get("/api/stories/{story_id}")
    def api_story(story_id: PathText) -> dict[str, Any]:
        """One story: timeline, outlets, reused passages, quotes by speaker."""
        from storytrace.report.story import story_view

        try:
            return story_view(stores.get(), story_id)
        except StorytraceError as exc:
            raise HTTPException(404, str(exc)) from exc

    @app.get("/api/articles/{article_id}")
    def api_article(article_id: PathText) -> dict[str, Any]:
        return _article(stores.get(), article_id)

    @app.get("/api/compare")
    def api_compare(a: Text, b: Text) -> dict[str, Any]:
        """The documented compare JSON (docs/schema.md) for two stored articles."""
        return _compare(stores.get(), a, b).to_dict()

    @app.get("/api/outlets")
    def api_outlets() -> list[dict[str, Any]]:
        """Text reuse between outlets: source, taker, article pairs, passages, words."""
        from storytrace.report.story import outlet_flows

        return outlet_flows(stores.get())

    # -- pages -------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    def index(
        request: Request,
        q: Text = "",
        outlet: Text = "",
        since: Text = "",
        until: Text = "",
        sort: Sort = "size",
        page: Page = 1,
    ):
        store = stores.get()
        data = _story_page(store, q, outlet, since, until, sort, page)
        return _TEMPLATES.TemplateResponse(
            request,
            "stories.html",
            {
                **data,
                "q": q,
                "outlet": outlet,
                "since": since,
                "until": until,
                "sort": sort,
                "outlets": store.outlets(),
            },
        )

    @app.get("/story/{story_id}", response_class=HTMLResponse)
    def story_page(request: Request, story_id: PathText):
        view = api_story(story_id)
        lanes: dict[str, list[dict[str, Any]]] = {}
        for row in view["timeline"]:
            lanes.setdefault(row["outlet"] or "unknown", []).append(row)
        first = view["first"]["outlet"] or "unknown" if view["first"] else None
        graph = reuse_graph(list(lanes), story_flows(view["passages"]), first)
        return _TEMPLATES.TemplateResponse(
            request, "story.html", {"view": view, "lanes": lanes, "graph": graph}
        )

    @app.get("/article/{article_id}", response_class=HTMLResponse)
    def article_page(request: Request, article_id: PathText):
        return _TEMPLATES.TemplateResponse(
            request, "article.html", {"a": _article(stores.get(), article_id)}
        )

    @app.get("/compare", response_class=HTMLResponse)
    def compare_page(request: Request, a: Text, b: Text):
        from storytrace.report.html import mark_text

        result = _compare(stores.get(), a, b)
        spans_a = [(*p.a, p.kind, f"p-{n}") for n, p in enumerate(result.passages)]
        spans_b = [(*p.b, p.kind, f"p-{n}") for n, p in enumerate(result.passages)]
        return _TEMPLATES.TemplateResponse(
            request,
            "compare.html",
            {
                "c": result,
                "text_a": mark_text(result.a.text, spans_a),
                "text_b": mark_text(result.b.text, spans_b),
            },
        )

    @app.get("/outlet/{name}", response_class=HTMLResponse)
    def outlet_page(request: Request, name: PathText):
        flows = api_outlets()
        takes = [f for f in flows if f["to"] == name and f["from"] != name]
        gives = [f for f in flows if f["from"] == name and f["to"] != name]
        if not any(o == name for o, _ in outlet_list):
            raise HTTPException(404, f"no outlet {name}")
        return _TEMPLATES.TemplateResponse(
            request,
            "outlet.html",
            {
                "name": name,
                "takes": takes,
                "gives": gives,
                "graph": _outlet_graph(name, takes, gives),
            },
        )

    return app

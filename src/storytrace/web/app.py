"""FastAPI app over a read-only store: HTML pages and the same data as JSON under /api/.

Presentation only: every number comes from the store or from ``storytrace.comparison``.
Everything shown is escaped (Jinja2 autoescape), a stored url becomes a link only when it is
http(s), and outlet names are percent-encoded into their links. No request parameter reaches
a file path except through Starlette's static files, which stay inside ``web/static`` and the
docs package. Errors render as a plain 404/413/422 page or JSON, never a stack trace. Every
response carries the headers of ``web.security``; HEAD is answered wherever GET is.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as FastAPIPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from storytrace.errors import StorytraceError
from storytrace.report.safe import safe_url
from storytrace.report.story import label_cell
from storytrace.report.words import UNDATED, UNKNOWN_OUTLET, UNTITLED
from storytrace.store.db import Store
from storytrace.store.rows import StorySummary
from storytrace.web import MAX_COMPARE_WORDS
from storytrace.web.docs import add_docs
from storytrace.web.graph import Flow, Graph, reuse_graph, story_flows
from storytrace.web.security import HeadAsGet, SecurityHeaders, add_security_headers

PAGE_SIZE = 20
STORY_PAGE_SIZE = 100  # articles per page of a story's article table
LANE_DOTS = 12  # dots drawn per outlet lane of a story's timeline
PASSAGES_SHOWN = 200  # rows of a story page's passage table
PASSAGE_CHARS = 280  # of each passage there (whole near-copies are articles long)
Page = Annotated[int, Query(ge=1, le=100_000)]
Sort = Annotated[str, Query(pattern="^(size|recent)$")]
Text = Annotated[str, Query(max_length=200)]
PathText = Annotated[str, FastAPIPath(max_length=200)]
_HERE = Path(__file__).parent
_TEMPLATES = Jinja2Templates(directory=str(_HERE / "templates"))


def outlet_url(name: str) -> str:
    """The outlet page's address: the whole name percent-encoded, "/" and "#" included."""
    return "/outlet/" + quote(name, safe="")


def when(value: str | None, chars: int = 16) -> str:
    """A stored date cut to ``chars`` characters (16: to the minute), or the word for none;
    a space instead of ISO's "T", which gives a narrow column a place to wrap."""
    return value[:chars].replace("T", " ") if value else UNDATED


_TEMPLATES.env.filters["outlet_url"] = outlet_url
_TEMPLATES.env.filters["http_url"] = safe_url  # None unless the url may be a link
_TEMPLATES.env.globals["label_cell"] = label_cell
_TEMPLATES.env.filters["when"] = when
# The words for missing metadata, the same on every page as in the reports and the terminal.
_TEMPLATES.env.globals.update(UNKNOWN_OUTLET=UNKNOWN_OUTLET, UNDATED=UNDATED, UNTITLED=UNTITLED)


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


class _Cache:
    """Results derived from the store, kept while the database files are unchanged.

    Serving never writes, but a corpus job in another process may; its commit changes the
    modification time of the database or its write-ahead log, and the next lookup then
    starts afresh. One ``os.stat`` pair per lookup is far cheaper than rebuilding a story
    view (tens of ms for a story of hundreds of articles). Least recently used entries go
    first beyond ``size``.
    """

    def __init__(self, path: Path, size: int = 256) -> None:
        self.files = (path, path.with_name(path.name + "-wal"))
        self.size = size
        self.lock = threading.Lock()
        self.items: OrderedDict[Hashable, Any] = OrderedDict()
        self.generation = self._generation()

    def _generation(self) -> tuple[int, ...]:
        return tuple(f.stat().st_mtime_ns if f.exists() else 0 for f in self.files)

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        generation = self._generation()
        with self.lock:
            if generation != self.generation:
                self.items.clear()
                self.generation = generation
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = compute()  # outside the lock: two threads may both compute, neither waits
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


def _story_page(
    store: Store, q: str, outlet: str, since: str, until: str, sort: str, page: int
) -> tuple[dict[str, Any], list[StorySummary]]:
    """One page of matching stories: (counts, story rows with members as stored JSON)."""
    total, ids = store.search_stories(
        q, outlet, since, until, sort, PAGE_SIZE, (page - 1) * PAGE_SIZE
    )
    counts = {
        "total": total,
        "page": page,
        "page_size": PAGE_SIZE,
        "pages": max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
    }
    return counts, store.story_rows(ids)


def _summary(row: StorySummary) -> dict[str, Any]:
    """A story as ``Story.to_dict`` has it, less the member ids."""
    return {
        "id": row.id,
        "headline": row.headline,
        "keywords": list(row.keywords),
        "first": row.first,
        "last": row.last,
        "outlets": list(row.outlets),
    }


def _stories_json(counts: dict[str, Any], rows: list[StorySummary]) -> Response:
    """The page as JSON, each story's member ids spliced in as the store keeps them.

    A page of big stories carries thousands of ids; decoding them only to encode them again
    was most of this route's time. ``article_ids`` is the last key of each story, as in
    ``Story.to_dict``, so the output is the same.
    """
    stories = ",".join(
        json.dumps(_summary(r), ensure_ascii=False)[:-1] + ',"article_ids":' + r.members_json + "}"
        for r in rows
    )
    body = json.dumps(counts)[:-1] + ',"stories":[' + stories + "]}"
    return Response(body, media_type="application/json")


def _json(data: Any) -> JSONResponse:
    """The data as JSON, straight: it is plain dicts and lists already, and FastAPI's own
    encoder walks every value again (30 ms for a page of stories with their article ids)."""
    return JSONResponse(data)


def _story_parts(view: dict[str, Any], page: int) -> dict[str, Any]:
    """What the story page draws from a story view, cut to sizes a browser reads quickly.

    A story of hundreds of articles would otherwise be a page of megabytes: lanes show their
    first dots and a count of the rest, the article table comes a page at a time, and the
    passage table stops at ``PASSAGES_SHOWN`` rows of clipped text (the comparison and the
    JSON view have everything).
    """
    lanes: dict[str, dict[str, Any]] = {}
    for row in view["timeline"]:
        lane = lanes.setdefault(row["outlet"] or UNKNOWN_OUTLET, {"rows": [], "more": 0})
        if len(lane["rows"]) < LANE_DOTS:
            lane["rows"].append(row)
        else:
            lane["more"] += 1
    first = (view["first"]["outlet"] or UNKNOWN_OUTLET) if view["first"] else None
    start = (page - 1) * STORY_PAGE_SIZE
    return {
        "lanes": lanes,
        "graph": reuse_graph(list(lanes), story_flows(view["passages"]), first),
        "rows": view["timeline"][start : start + STORY_PAGE_SIZE],
        "page": page,
        "passages": [
            {**p, "text": _clip(p["text"] or "", PASSAGE_CHARS)}
            for p in view["passages"][:PASSAGES_SHOWN]
        ],
    }


def _clip(text: str, limit: int) -> str:
    """``text`` cut at a word boundary near ``limit`` characters, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _article(store: Store, article_id: str) -> dict[str, Any]:
    try:
        article = store.article(article_id)
    except StorytraceError as exc:
        raise HTTPException(404, str(exc)) from exc
    data = article.to_dict()
    data["story"] = store.article_story(article.id)
    return data


def _compare(store: Store, a: str, b: str, max_words: int) -> Any:
    """The comparison of two stored articles, refused with 413 when either is too long.

    The stored word counts are checked before any text is loaded, so a huge article costs
    two index lookups, not a comparison.
    """
    from storytrace.comparison import compare

    try:
        words = [(article_id, store.article_words(article_id)) for article_id in (a, b)]
    except StorytraceError as exc:
        raise HTTPException(404, str(exc)) from exc
    for article_id, count in words:
        if count > max_words:
            raise HTTPException(
                413,
                f"article {article_id} has {count:,} words; this server compares articles"
                f" of up to {max_words:,} words (start it with"
                " `storytrace serve --max-compare-words N` to raise the limit)",
            )
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
    """Factory for multi-process serving: the database path comes from STORYTRACE_DB, the
    comparison budget from STORYTRACE_MAX_COMPARE_WORDS (``storytrace serve`` sets both)."""
    words = os.environ.get("STORYTRACE_MAX_COMPARE_WORDS")
    return create_app(
        os.environ["STORYTRACE_DB"], max_compare_words=int(words) if words else MAX_COMPARE_WORDS
    )


def create_app(db: str | Path, max_compare_words: int = MAX_COMPARE_WORDS) -> FastAPI:
    """The app serving the store at ``db`` (opened read-only).

    ``max_compare_words``: the longest article, in words, that ``/compare`` and
    ``/api/compare`` will compare; longer ones get 413 and a message saying how to raise it.
    """
    if max_compare_words < 1:
        raise ValueError(f"max_compare_words must be at least 1, not {max_compare_words}")
    stores = _Stores(Path(db))
    cache = _Cache(Path(db), size=128)

    def outlet_list() -> list[tuple[str, int]]:
        return cache.get("outlets", lambda: stores.get().outlets())

    app = FastAPI(
        title="storytrace",
        description="Stories, reuse, quotes and comparisons of news articles.",
        docs_url=None,  # served from a local copy by web.docs instead of a CDN
        redoc_url=None,  # ReDoc needs inline styles, which the policy refuses
        swagger_ui_oauth2_redirect_url=None,
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)  # outermost: everything inside sees a GET
    add_docs(app, _TEMPLATES)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")

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
        # Starlette sends this response outside every middleware, so it sets the headers.
        if wants_json(request):
            response = JSONResponse({"error": "internal error"}, status_code=500)
        else:
            response = _TEMPLATES.TemplateResponse(
                request, "error.html", {"status": 500, "message": "internal error"}, status_code=500
            )
        add_security_headers(response.headers)
        return response

    # -- JSON API ----------------------------------------------------------------------
    @app.get("/api/stories", response_model=dict[str, Any])
    def api_stories(
        q: Text = "",
        outlet: Text = "",
        since: Text = "",
        until: Text = "",
        sort: Sort = "size",
        page: Page = 1,
    ) -> Response:
        """Stories matching the filters, one page at a time."""
        return _stories_json(*_story_page(stores.get(), q, outlet, since, until, sort, page))

    @app.get("/api/stories/{story_id}", response_model=dict[str, Any])
    def api_story(request: Request, story_id: PathText) -> Response:
        """One story: timeline, outlets, reused passages, quotes by speaker. An id the
        store replaced answers 308 with the story that holds its earliest article."""
        view = story_of(story_id, request)
        return view if isinstance(view, Response) else _json(view)

    def story_of(story_id: str, request: Request) -> dict[str, Any] | Response:
        """The story's view, or a permanent redirect when ``story_id`` is an old one."""
        from storytrace.report.story import story_view

        try:
            return cache.get(("story", story_id), lambda: story_view(stores.get(), story_id))
        except StorytraceError as exc:
            moved = stores.get().story_alias(story_id)
            if moved is None:
                raise HTTPException(404, str(exc)) from exc
            path = request.url.path.rsplit("/", 1)[0] + "/" + quote(moved, safe="")
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(path + query, status_code=308)

    @app.get("/api/articles/{article_id}")
    def api_article(article_id: PathText) -> dict[str, Any]:
        return _article(stores.get(), article_id)

    @app.get("/api/compare")
    def api_compare(a: Text, b: Text) -> dict[str, Any]:
        """The documented compare JSON (docs/schema.md) for two stored articles."""
        return _compare(stores.get(), a, b, max_compare_words).to_dict()

    @app.get("/api/outlets", response_model=list[dict[str, Any]])
    def api_outlets() -> JSONResponse:
        """Text reuse between outlets: source, taker, article pairs, passages, words."""
        return _json(flows())

    def flows() -> list[dict[str, Any]]:
        from storytrace.report.story import outlet_flows

        return cache.get("flows", lambda: outlet_flows(stores.get()))

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
        counts, rows = _story_page(stores.get(), q, outlet, since, until, sort, page)
        return _TEMPLATES.TemplateResponse(
            request,
            "stories.html",
            {
                **counts,
                "stories": [{**_summary(r), "size": r.size} for r in rows],
                "q": q,
                "outlet": outlet,
                "since": since,
                "until": until,
                "sort": sort,
                "outlets": outlet_list(),
            },
        )

    @app.get("/story/{story_id}", response_class=HTMLResponse)
    def story_page(request: Request, story_id: PathText, page: Page = 1):
        view = story_of(story_id, request)
        if isinstance(view, Response):
            return view
        pages = max(1, -(-len(view["timeline"]) // STORY_PAGE_SIZE))
        if page > pages:
            raise HTTPException(404, f"no page {page}: this story has {pages}")
        template = _TEMPLATES.get_template("story.html")

        def render() -> str:
            from storytrace.report.story_html import speakers_html

            parts = _story_parts(view, page)
            speakers = speakers_html(view["speakers"])
            return template.render({**parts, "view": view, "pages": pages, "speakers": speakers})

        return HTMLResponse(cache.get(("story page", story_id, page), render))

    @app.get("/article/{article_id}", response_class=HTMLResponse)
    def article_page(request: Request, article_id: PathText):
        return _TEMPLATES.TemplateResponse(
            request, "article.html", {"a": _article(stores.get(), article_id)}
        )

    @app.get("/compare", response_class=HTMLResponse)
    def compare_page(request: Request, a: Text, b: Text):
        from storytrace.report.html import body

        result = _compare(stores.get(), a, b, max_compare_words)
        return _TEMPLATES.TemplateResponse(
            request, "compare.html", {"c": result, "body": body(result)}
        )

    @app.get("/outlet/{name:path}", response_class=HTMLResponse)
    def outlet_page(request: Request, name: PathText):
        every = flows()
        takes = [f for f in every if f["to"] == name and f["from"] != name]
        gives = [f for f in every if f["from"] == name and f["to"] != name]
        if not any(o == name for o, _ in outlet_list()):
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

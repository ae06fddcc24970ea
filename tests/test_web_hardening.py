"""Serving a hostile crawl: headers on every response, HEAD, outlet names in links, the
comparison budget, and the pages and API docs working under the policy in chromium."""

import html
import re
import time
from urllib.parse import urlsplit

import pytest

from conftest import served
from markup_payloads import HOSTILE_OUTLETS
from storytrace.model import Article
from storytrace.store.db import Store
from storytrace.web.security import SECURITY_HEADERS


@pytest.fixture(scope="module")
def app(hostile_db):
    from storytrace.web.app import create_app

    return create_app(hostile_db)


@pytest.fixture(scope="module")
def client(app):
    from fastapi.testclient import TestClient

    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def story(client) -> dict:
    """The story all hostile outlets share."""
    for summary in client.get("/api/stories").json()["stories"]:
        if len(summary["outlets"]) > 1:
            return client.get(f"/api/stories/{summary['id']}").json()
    raise AssertionError("the hostile records did not make one story")


@pytest.fixture(scope="module")
def server(hostile_db):
    with served(hostile_db) as url:
        yield url


def _paths(story: dict) -> list[str]:
    """One address of every kind the app serves, good and bad."""
    article = story["timeline"][0]["id"]
    other = story["timeline"][1]["id"]
    return [
        "/",
        "/?q=harbour&page=1",
        f"/story/{story['story']['id']}",
        f"/article/{article}",
        "/outlet/Tide%20Times",
        "/api/stories",
        f"/api/stories/{story['story']['id']}",
        f"/api/articles/{article}",
        "/api/outlets",
        "/docs",
        "/openapi.json",
        "/static/storytrace.css",
        "/static/compare.js",
        "/static/swagger/swagger-ui.css",
        "/story/nope",  # 404 page
        "/api/stories/nope",  # 404 JSON
        "/no/such/page",  # 404 from the router
        "/static/nope.css",  # 404 from the static files
        "/?page=0",  # 422 page
        "/api/stories?sort=sideways",  # 422 JSON
        f"/api/compare?a={article}&b=nope",  # 404 from the compare route
        f"/api/compare?a={article}&b={other}",  # 413 under a budget of 5 words (see below)
    ]


@pytest.fixture(scope="module")
def tight_client(hostile_db):
    """The app with a budget below any hostile article, so compare answers 413 at once."""
    from fastapi.testclient import TestClient

    from storytrace.web.app import create_app

    return TestClient(create_app(hostile_db, max_compare_words=5), raise_server_exceptions=False)


def test_every_response_carries_the_security_headers(tight_client, story):
    statuses = set()
    for path in _paths(story):
        response = tight_client.get(path)
        statuses.add(response.status_code)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
        assert "Traceback" not in response.text
    assert {200, 404, 413, 422} <= statuses
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    for directive in ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_a_crash_still_carries_the_headers_and_no_traceback(hostile_db):
    from fastapi.testclient import TestClient

    from storytrace.web.app import create_app

    app = create_app(hostile_db)

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    @app.get("/boom")
    def boom_page() -> None:
        raise RuntimeError("secret detail")

    client = TestClient(app, raise_server_exceptions=False)
    for path in ("/api/boom", "/boom"):
        response = client.get(path)
        assert response.status_code == 500
        assert "secret detail" not in response.text and "Traceback" not in response.text
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (path, name)


def test_head_is_answered_wherever_get_is(tight_client, story):
    for path in _paths(story):
        got = tight_client.get(path)
        head = tight_client.head(path)
        assert head.status_code == got.status_code != 405, path
        assert head.content == b"", path
        assert dict(head.headers) == dict(got.headers), path
        assert int(head.headers["content-length"]) == len(got.content), path


def test_pages_carry_no_inline_script_or_style(client, story):
    for path in ("/", f"/story/{story['story']['id']}", f"/article/{story['timeline'][0]['id']}"):
        page = client.get(path).text
        assert "style=" not in page, path
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag, (path, tag)
        assert "<style" not in page, path


def test_every_passage_colour_has_its_rule_in_the_stylesheet(client):
    from storytrace.report.html import HUES, hue_class

    css = client.get("/static/storytrace.css").text
    classes = {hue_class(n) for n in range(1000)}
    assert len(classes) == HUES
    for name in classes:
        assert re.search(rf"mark\.{name}\{{--h:\d+\}}", css), name


def _outlet_links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="(/outlet/[^"]*)"', page)]


def test_every_outlet_link_reaches_its_outlet(server, story):
    """Names with / # ? % quotes, spaces and non-ASCII, through a real server."""
    import httpx

    story_id = story["story"]["id"]
    pages = {"stories": "/", "story": f"/story/{story_id}"}
    seen: dict[str, str] = {}
    with httpx.Client(base_url=server, timeout=30) as web:
        for kind, path in pages.items():
            links = _outlet_links(web.get(path).text)
            assert links, kind
            for link in links:
                seen.setdefault(link, kind)
        graph_links = []
        for link in list(seen):
            response = web.get(link)
            assert response.status_code == 200, (seen[link], link)
            name = html.unescape(re.search(r"<h1>(.*?)</h1>", response.text, re.S).group(1))
            assert link == "/outlet/" + _quote(name), (link, name)
            graph_links += _outlet_links(response.text)  # the outlet page's graph and tables
        for link in graph_links:
            assert web.get(link).status_code == 200, link
    assert {_unquote(link[len("/outlet/") :]) for link in seen} >= set(HOSTILE_OUTLETS)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


def test_story_page_graph_and_lanes_link_each_outlet(client, story):
    page = client.get(f"/story/{story['story']['id']}").text
    svg = page[page.index('<svg id="reuse-graph"') : page.index("</svg>")]
    lanes = page[page.index("<h2>Timeline") : page.index('<svg id="reuse-graph"')]
    outlets = {r["outlet"] for r in story["timeline"]}
    assert {_unquote(link[len("/outlet/") :]) for link in _outlet_links(svg)} == outlets
    assert {_unquote(link[len("/outlet/") :]) for link in _outlet_links(lanes)} == outlets


def test_article_page_links_only_http_urls(client, story):
    from storytrace.report.safe import safe_url

    for row in story["timeline"]:
        data = client.get(f"/api/articles/{row['id']}").json()
        page = client.get(f"/article/{row['id']}").text
        tag = re.search(r'<(a|span) id="source"[^>]*>', page)
        assert tag, row["id"]
        if safe_url(data["url"]):
            assert tag.group(1) == "a", data["url"]
            href = html.unescape(re.search(r'href="([^"]*)"', tag.group(0)).group(1))
            assert urlsplit(href).scheme in ("http", "https")
        else:
            assert tag.group(1) == "span" and "href" not in tag.group(0), data["url"]


# -- the comparison budget -------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_db(tmp_path_factory):
    """A store holding one article of about 12 MB and one of ordinary length."""
    db = tmp_path_factory.mktemp("big") / "big.db"
    huge = " ".join(f"word{n % 5000}" for n in range(1_500_000))
    small = "The harbour wall fell on Friday. Nobody was hurt, the harbour master said."
    with Store.open(db) as store, store.transaction():
        store.add_article(Article(text=huge, title="huge", outlet="Big"))
        store.add_article(Article(text=small, title="small", outlet="Small"))
    return db, Article(text=huge).id, Article(text=small).id


def test_a_huge_article_is_refused_at_once(big_db):
    from fastapi.testclient import TestClient

    from storytrace.web.app import MAX_COMPARE_WORDS, create_app

    db, huge, small = big_db
    client = TestClient(create_app(db), raise_server_exceptions=False)
    for path in (f"/api/compare?a={small}&b={huge}", f"/compare?a={huge[:10]}&b={small}"):
        start = time.monotonic()
        response = client.get(path)
        assert time.monotonic() - start < 2, path
        assert response.status_code == 413, path
        message = response.json()["error"] if path.startswith("/api/") else response.text
        assert f"{MAX_COMPARE_WORDS:,}" in message and "1,500,000" in message
        assert "--max-compare-words" in message


def test_the_budget_is_settable_from_the_command_line(big_db):
    import httpx

    db, _, small = big_db
    with served(db, "--max-compare-words", "7") as url:
        response = httpx.get(f"{url}/api/compare", params={"a": small, "b": small}, timeout=30)
    assert response.status_code == 413
    assert "up to 7 words" in response.json()["error"]


def test_a_budget_below_one_word_is_refused(cli, big_db):
    result = cli("serve", "--db", big_db[0], "--max-compare-words", "0", timeout=60)
    assert result.code != 0 and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "greater than or equal to 1" in result.err


# -- in chromium -----------------------------------------------------------------------------
def _watch(page) -> list[str]:
    """Collects policy violations, dialogs and page errors of ``page``."""
    trouble: list[str] = []
    page.on("dialog", lambda d: (trouble.append(f"dialog {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: trouble.append(f"page error {e}"))
    page.on(
        "console",
        lambda m: (
            trouble.append(f"console {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => console.error('Content Security Policy violation: ' + e.violatedDirective))"
    )
    return trouble


@pytest.mark.browser
def test_docs_render_with_only_this_server_reachable(browser, server):
    page = browser.new_page()
    outside: list[str] = []

    def only_local(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    trouble = _watch(page)
    page.goto(server + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    operations = page.locator(".opblock-summary-path").all_inner_texts()
    assert {"/api/stories", "/api/compare", "/api/outlets"} <= {o.strip() for o in operations}
    page.locator(".opblock-summary").first.click()  # an operation opens: the UI is live
    page.wait_for_selector(".opblock-body", timeout=10_000)
    assert outside == [] and trouble == []
    page.close()


@pytest.mark.browser
@pytest.mark.slow
def test_pages_work_under_the_policy(browser, server, story):
    page = browser.new_page()
    trouble = _watch(page)
    page.goto(server + "/")
    assert page.locator("#stories tr").count() >= 2
    nav = page.locator("nav").evaluate("n => getComputedStyle(n).backgroundColor")
    assert nav == "rgb(29, 29, 31)"  # the stylesheet loaded
    page.goto(server + f"/story/{story['story']['id']}")
    assert page.locator(".lane").count() == len({r["outlet"] for r in story["timeline"]})
    assert page.locator("#reuse-graph .node").count() >= 2
    for title in {r["title"] for r in story["timeline"]}:
        assert title in page.locator("main").inner_text()  # shown as text, not markup
    # the first comparison loads the language models: on a busy 2-core machine over a minute
    with page.expect_navigation(timeout=240_000):
        page.click("#compare-button", no_wait_after=True)
    page.wait_for_selector("mark[data-p]", timeout=60_000)
    first = page.locator("#col-a mark[data-p]").first
    colour = first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent") or "paraphrase" in (
        first.get_attribute("class") or ""
    )
    key = first.get_attribute("data-p")
    first.click()  # compare.js, served as a file, links the two columns
    counterpart = page.locator(f'#col-b mark[data-p="{key}"]').first
    assert "lit" in (counterpart.get_attribute("class") or "")
    assert trouble == []
    page.close()

"""The web UI and API: HTTP-level checks, then a real browser (Debian's chromium)."""

import pytest

from conftest import SAMPLE, analyse_store, served
from storytrace import corpus
from storytrace.store.db import Store

XSS_TITLE = "<script>alert(1)</script> Pier collapses"


@pytest.fixture(scope="module")
def web_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web")
    evil = folder / "evil.jsonl"
    evil.write_text(
        '{"title": "' + XSS_TITLE.replace('"', '\\"') + '", "url": "https://evil.example/pier",'
        ' "published": "2026-04-20T09:00:00", "text": "The old pier at Kessmouth collapsed into'
        ' the sea on Friday night. Nobody was on it, the harbour master said."}\n'
    )
    db = folder / "web.db"
    with Store.open(db) as s:
        files, _ = corpus.expand_paths([str(SAMPLE / "corpus"), str(evil)])
        corpus.ingest(s, files)
        analyse_store(s, ("dedup", "reuse", "stories", "quotes"))
    return db


@pytest.fixture(scope="module")
def client(web_db):
    from fastapi.testclient import TestClient

    from storytrace.web.app import create_app

    return TestClient(create_app(web_db))


def test_api_stories_paginates_and_filters(client):
    data = client.get("/api/stories").json()
    assert data["total"] >= 7 and data["stories"]
    flood = client.get("/api/stories", params={"q": "Valdora"}).json()
    assert 1 <= flood["total"] < data["total"]
    outlet = client.get("/api/stories", params={"outlet": "Pulse 24"}).json()
    assert outlet["total"] >= 1
    late = client.get("/api/stories", params={"since": "2026-04-01"}).json()
    assert late["total"] == 1  # only the injected pier story
    assert client.get("/api/stories", params={"page": 0}).status_code == 422


def test_api_stories_match_the_stored_stories(client, web_db):
    data = client.get("/api/stories", params={"page": 1}).json()
    with Store.open_read_only(web_db) as store:
        everything = {s.id: s.to_dict() for s in store.stories()}
    assert data["stories"] == [everything[s["id"]] for s in data["stories"]]
    assert set(data) == {"total", "page", "page_size", "pages", "stories"}
    assert data["total"] == len(everything)


def test_api_story_and_errors(client):
    sid = client.get("/api/stories").json()["stories"][0]["id"]
    view = client.get(f"/api/stories/{sid}").json()
    assert view["timeline"] and view["first"]["id"] == view["timeline"][0]["id"]
    missing = client.get("/api/stories/nope")
    assert missing.status_code == 404 and "Traceback" not in missing.text
    page = client.get("/story/nope")
    assert page.status_code == 404 and "no story" in page.text and "Traceback" not in page.text


def test_untrusted_title_is_escaped(client):
    html = client.get("/", params={"q": "pier"}).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_database_is_read_only_for_serving(web_db):
    import sqlite3

    store = Store.open_read_only(web_db)
    with pytest.raises(sqlite3.OperationalError):
        store.conn.execute("DELETE FROM articles")
    store.close()


@pytest.fixture(scope="module")
def server(web_db):
    with served(web_db) as url:
        yield url


@pytest.fixture(scope="module")
def page(browser, server):
    tab = browser.new_page(viewport={"width": 1400, "height": 900})
    yield tab
    tab.close()


@pytest.mark.browser
@pytest.mark.slow
def test_browser_search_story_compare_and_click(page, server):
    page.goto(server + "/")
    assert page.locator("#stories tr").count() > 5
    page.fill("input[name=q]", "Kessmouth")
    page.click("button[type=submit]")
    assert "Kessmouth" in page.locator("#stories").inner_text()
    # the injected title is shown as text, and no script ran
    page.goto(server + "/?q=pier")
    assert "<script>alert(1)</script>" in page.locator("#stories").inner_text()
    page.goto(server + "/")
    page.locator("#stories a").first.click()
    page.wait_for_selector("#headline")
    assert page.locator(".lane").count() >= 2
    # the first comparison loads the language models: on a busy 2-core machine over a minute
    with page.expect_navigation(timeout=240_000):
        page.click("#compare-button", no_wait_after=True)
    page.wait_for_selector("mark[data-p]", timeout=60_000)
    first = page.locator("#col-a mark[data-p]").first
    key = first.get_attribute("data-p")
    first.click()
    counterpart = page.locator(f'#col-b mark[data-p="{key}"]').first
    assert "lit" in (counterpart.get_attribute("class") or "")


def _body_only_word(store: Store) -> tuple[str, str]:
    """A word some article has in its text but no title, headline or keywords: (word, story)."""
    import re

    shown = " ".join(m.title for m in store.meta_of(store.article_ids()).values())
    shown += " ".join(s.headline + " " + " ".join(s.keywords) for s in store.stories())
    shown = shown.lower()
    for batch in store.iter_articles():
        for article in batch:
            story = store.article_story(article.id)
            for word in re.findall(r"[a-z]{7,}", article.text.lower()):
                if word[:5] not in shown and story:
                    return word, story
    raise AssertionError("no body-only word in the sample corpus")


def test_search_finds_a_word_only_in_an_article_body(client, web_db):
    with Store.open_read_only(web_db) as store:
        word, story = _body_only_word(store)
    found = client.get("/api/stories", params={"q": word}).json()
    assert story in [s["id"] for s in found["stories"]], word
    prefix = client.get("/api/stories", params={"q": word[:5].upper()}).json()
    assert story in [s["id"] for s in prefix["stories"]]
    assert client.get("/api/stories", params={"q": word + " zzqxw"}).json()["total"] == 0


@pytest.mark.parametrize(
    "q", ['"', "a AND", "*", "<script>", "NEAR(", 'x" OR "y', "title:pier", "-", "'", "^^"]
)
def test_odd_search_input_is_not_an_error(client, q):
    page = client.get("/", params={"q": q})
    assert page.status_code == 200 and "Traceback" not in page.text
    api = client.get("/api/stories", params={"q": q})
    assert api.status_code == 200 and api.json()["total"] >= 0


def test_punctuation_only_search_means_no_text_filter(client):
    everything = client.get("/api/stories").json()["total"]
    assert client.get("/api/stories", params={"q": '" * -'}).json()["total"] == everything


def _schema_4_copy(src, dst) -> None:
    """A store as storytrace wrote it before search and serving indexes, holding src's data."""
    import sqlite3

    from storytrace.store.db import _statements
    from storytrace.store.schema import MIGRATIONS

    conn = sqlite3.connect(dst)
    for script in MIGRATIONS[:4]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version=4")
    conn.execute("ATTACH DATABASE ? AS src", (str(src),))
    conn.execute("INSERT INTO articles SELECT * FROM src.articles")
    conn.execute(
        "INSERT INTO stories SELECT id, headline, keywords, first, last, size FROM src.stories"
    )
    conn.execute(
        "INSERT INTO story_articles SELECT story_id, article_id, score FROM src.story_articles"
    )
    conn.commit()
    conn.close()


def test_an_older_store_is_upgraded_and_backfilled(web_db, tmp_path):
    old = tmp_path / "old.db"
    _schema_4_copy(web_db, old)
    with Store.open(old) as store, Store.open_read_only(web_db) as fresh:
        word, story = _body_only_word(store)
        assert story in store.search_stories(word, limit=100)[1]
        assert store.search_stories("Kessmouth")[0] >= 1
        ids = fresh.search_stories(limit=100)[1]
        joined = {s.id: s for s in fresh.stories()}  # members and outlets from the join
        assert store.stories_by_id(ids) == fresh.stories_by_id(ids) == [joined[i] for i in ids]
        stale = store.conn.execute("SELECT count(*) FROM stories WHERE members IS NULL")
        assert stale.fetchone()[0] == 0


def _biggest_story_with_reuse(client) -> dict:
    for story in client.get("/api/stories").json()["stories"]:
        view = client.get(f"/api/stories/{story['id']}").json()
        if any(p["from_outlet"] != p["to_outlet"] for p in view["passages"]):
            return view
    raise AssertionError("no story with reuse between outlets in the sample corpus")


def test_story_page_draws_the_reuse_graph(client):
    import re

    view = _biggest_story_with_reuse(client)
    html = client.get(f"/story/{view['story']['id']}").text
    svg = html[html.index('<svg id="reuse-graph"') : html.index("</svg>")]
    outlets = {r["outlet"] or "unknown" for r in view["timeline"]}
    assert svg.count('<g class="node') == len(outlets) >= 2
    links = {(p["from_outlet"], p["to_outlet"]) for p in view["passages"]}
    links = {(a, b) for a, b in links if a != b}
    assert svg.count('<path class="edge"') == len(links) >= 1
    first = view["first"]["outlet"]
    assert re.search(r'<g class="node first">.*?<text[^>]*>' + re.escape(first), svg, re.S)
    assert '<table id="passages">' in html  # the table stays, for screen readers


def test_graph_labels_are_escaped():
    from storytrace.web.app import _TEMPLATES
    from storytrace.web.graph import Flow, reuse_graph

    evil = "<script>alert(1)</script>"
    graph = reuse_graph([evil, "B & C"], [Flow(evil, "B & C", 3, 1)], evil)
    svg = _TEMPLATES.get_template("_graph.html").render(graph=graph)
    assert evil not in svg and "&lt;script&gt;" in svg and "B &amp; C" in svg
    assert svg.count('class="edge"') == 1


def test_outlet_page_draws_its_neighbours(client):
    flows = client.get("/api/outlets").json()
    name = next(f["to"] for f in flows if f["from"] != f["to"])
    html = client.get(f"/outlet/{name}").text
    neighbours = {f["from"] for f in flows if f["to"] == name} | {
        f["to"] for f in flows if f["from"] == name
    }
    neighbours.discard(name)
    assert html.count('<g class="node') == 1 + min(len(neighbours), 30)
    assert client.get("/outlet/nobody-here").status_code == 404


def test_story_passages_are_found_however_many_articles(web_db):
    with Store.open_read_only(web_db) as store:
        every = store.passages()
        assert every
        pair = [every[0].a_id, every[0].b_id]
        padding = [f"{n:016x}" for n in range(900)]  # no such articles
        found = store.passages([pair[0], *padding, pair[1]])  # far apart in one long list
        assert any(p.a_id == pair[0] and p.b_id == pair[1] for p in found)

"""Stored urls become links only when they are http(s); the static reports run nothing else."""

import base64
import hashlib
import html
import re
from urllib.parse import urlsplit

import pytest

from markup_payloads import HOSTILE_TITLES, HOSTILE_URLS, SAFE_URLS
from storytrace.report.safe import inline_policy, safe_url, url_html

REFUSED = [
    None,
    "",
    "   ",
    *HOSTILE_URLS,
    "javascript://example.com/%0Aalert(1)",
    "JAVASCRIPT:alert(1)",
    "\tjavascript:alert(1)",
    "\x00javascript:alert(1)",
    "ja\x00vascript:alert(1)",
    "java\tscript:alert(1)",
    "java\rscript:alert(1)",
    "\u200bjavascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,x",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://files.example/x",
    "blob:https://a.example/uuid",
    "about:blank",
    "mailto:desk@a.example",
    "//a.example/protocol-relative",
    "/relative/path",
    "relative.html",
    "#fragment",
    "https:a.example",  # no "//": a relative path to some browsers
    "https:/a.example",
    "https://",
    "https:///path-without-host",
    "https://:443/",
    "http://[::1",  # unclosed IPv6 bracket: not parseable
    "https://a.example/\x7f",
    "https://a.example/\x85",  # a C1 control
    "https://a\u202eelpmaxe.com/",  # right-to-left override
    "https://a.example/\u2028next-line",
    "https://exa mple.com/",
]
ALLOWED = [
    ("https://a.example/news?id=1&x=2#top", "https://a.example/news?id=1&x=2#top"),
    ("http://a.example", "http://a.example"),
    ("HTTPS://A.Example/Path", "https://A.Example/Path"),
    ("HtTp://a.example/", "http://a.example/"),
    ("  https://a.example/  ", "https://a.example/"),
    ("https://a.example/a path with spaces", "https://a.example/a path with spaces"),
    ("https://a.example/\"onmouseover='x'", "https://a.example/\"onmouseover='x'"),
    ("https://user:pass@a.example:8443/x", "https://user:pass@a.example:8443/x"),
    ("http://[::1]:8000/", "http://[::1]:8000/"),
    ("https://xn--rsted-uua.example/", "https://xn--rsted-uua.example/"),
    ("https://ørsted.example/å", "https://ørsted.example/å"),
    *((u, u.replace("HTTP://", "http://")) for u in SAFE_URLS),
]


@pytest.mark.parametrize("url", REFUSED)
def test_refused_urls(url):
    assert safe_url(url) is None
    shown = url_html(url)
    assert "<a" not in shown and "href" not in shown
    if url:
        assert html.escape(url) in shown  # still shown, as text


@pytest.mark.parametrize(("url", "link"), ALLOWED)
def test_allowed_urls(url, link):
    assert safe_url(url) == link
    assert urlsplit(link).scheme in ("http", "https")
    shown = url_html(url)
    href = re.fullmatch(r'<a href="([^"]*)" rel="noopener noreferrer nofollow">(.*)</a>', shown)
    assert href, shown
    assert html.unescape(href.group(1)) == link and html.unescape(href.group(2)) == url


def test_inline_policy_allows_exactly_the_given_blocks():
    script, style = "console.log(1)", "body{margin:0}"
    policy = inline_policy([script], [style])
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy and "default-src 'none'" in policy
    assert "script-src 'none'" in inline_policy(styles=[style])
    other = inline_policy(["console.log(2)"], [style])
    assert other != policy


def _articles():
    from storytrace.model import Article

    text = (
        "The harbour wall at Kessmouth fell into the sea on Friday night, the harbour master"
        " said. </script><img src=x onerror=alert(1)> Three boats sank in the outer basin."
    )
    a = Article(text=text, title=HOSTILE_TITLES[0], url=HOSTILE_URLS[0], outlet="Pulse/24 #1")
    b = Article(
        text=text.replace("Friday", "Friday evening"),
        title=HOSTILE_TITLES[1],
        url=SAFE_URLS[0],
        outlet="<script>alert('outlet')</script> Daily",
    )
    return a, b


@pytest.fixture(scope="module")
def reports(tmp_path_factory, hostile_db):
    """A compare report and a story report written from hostile records."""
    from storytrace.comparison import CompareOptions, compare
    from storytrace.report import html as compare_html
    from storytrace.report.story import story_view
    from storytrace.report.story_html import write_story
    from storytrace.store.db import Store

    folder = tmp_path_factory.mktemp("reports")
    compare_path = compare_html.write(
        compare(*_articles(), CompareOptions(entities=False)), folder / "compare.html"
    )
    with Store.open_read_only(hostile_db) as store:
        story = max(store.stories(), key=lambda s: len(s.article_ids))
        view = story_view(store, story.id)
    return {"compare": compare_path, "story": write_story(view, folder / "story.html")}, view


def test_reports_link_only_http_urls_and_escape_the_rest(reports):
    paths, view = reports
    for kind, path in paths.items():
        page = path.read_text(encoding="utf-8")
        hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page)]
        assert hrefs, kind
        # a link within the page ("#quotes") must name one of its own sections
        inside = [h for h in hrefs if h.startswith("#")]
        assert all(f'id="{h[1:]}"' in page or f"id='{h[1:]}'" in page for h in inside), inside
        outside = [h for h in hrefs if not h.startswith("#")]
        assert all(urlsplit(h).scheme in ("http", "https") for h in outside), hrefs
        assert "<img" not in page and "<svg" not in page  # the payloads stay text
        assert page.count("<script") == 1  # its own script, nothing injected
        assert "style=" not in page
    story_page = paths["story"].read_text(encoding="utf-8")
    urls = [r["url"] for r in view["timeline"]]
    links = re.findall(r'<a href="(?!#)', story_page)
    assert sum(safe_url(u) is not None for u in urls) == len(links) >= 1
    for url in urls:
        assert html.escape(url) in story_page  # every url shown, linked or not


# -- in chromium -----------------------------------------------------------------------------
_STUB = "<!doctype html><title>outside</title><p>somewhere else</p>"


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["compare", "story"])
def test_clicking_every_link_of_a_report_runs_nothing(browser, reports, kind):
    paths, view = reports
    report = paths[kind].as_uri()
    page = browser.new_page()
    dialogs: list[str] = []
    visited: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("framenavigated", lambda f: visited.append(f.url))
    page.on("request", lambda r: visited.append(r.url) if r.is_navigation_request() else None)
    # nothing leaves the machine: an http(s) link lands on a stub page instead
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file:")
            else route.fulfill(status=200, content_type="text/html", body=_STUB)
        ),
    )
    page.goto(report)
    text = page.locator("body").inner_text()
    for title in (
        HOSTILE_TITLES[:2] if kind == "compare" else {r["title"] for r in view["timeline"]}
    ):
        assert title in text  # shown as written, not run
    away = 'a:not([href^="#"])'  # links within the page are checked by the test above
    links = page.locator(away).count()
    assert links >= 1
    protocols = page.eval_on_selector_all(away, "links => links.map(a => a.protocol)")
    assert set(protocols) <= {"http:", "https:"}, protocols
    for n in range(links):
        page.goto(report)
        page.locator(away).nth(n).click(timeout=5_000)
        page.wait_for_load_state()
        page.wait_for_timeout(200)
    page.goto(report)
    for mark in page.locator("mark[data-p]").all()[:20]:
        mark.click()  # the page's own script still runs under its policy
    assert dialogs == []
    schemes = {urlsplit(u).scheme for u in visited}
    assert schemes <= {"http", "https", "file", "about"}, visited
    assert {"http", "https"} & schemes  # the safe links were followed
    page.close()

"""Every page in chromium at a laptop's width and a narrow window's: nothing wider than the
window, every key section shown, the comparison's legend in the first screen and its
sections one click away, long outlet names clear of their date chips, the speaker filter.

``STORYTRACE_SCREENSHOTS=1`` also writes each page as it looks to ``docs/screenshots/``
(``<page>-<width>.png``); without it nothing is written, so a test run never changes the
committed pictures.
"""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest

from conftest import ROOT, served
from test_pages import LONG_OUTLET, bare_and_wire, build_pages_db

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (1280, 800)
HEIGHT = 900
SHOTS = ROOT / "docs" / "screenshots"
# page -> the sections a reader must find on it
KEY_SECTIONS = {
    "stories": ["form.search", "#count", "#stories"],
    "story": [
        "#headline",
        "#timeline",
        "#reuse-graph",
        "#articles",
        "#passages",
        "#speakers",
        "#labels",
    ],
    "article": ["#title", ".text"],
    "outlet": ["h1", "#reuse-graph", "#takes"],
    "compare": ["#legend", "#col-a", "#col-b", "#quotes", "#actors"],
    "compare-report": ["#legend", "#col-a", "#col-b", "#quotes", "#actors"],
    "story-report": ["#timeline", "#reuse", "#speakers", "#actors"],
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The pages' store served, and the two static reports written from it."""
    from storytrace.comparison import compare
    from storytrace.report.html import write
    from storytrace.report.story import story_view
    from storytrace.report.story_html import write_story
    from storytrace.store.db import Store

    folder = tmp_path_factory.mktemp("layout")
    db = build_pages_db(folder)
    story, wire, bare = bare_and_wire(db)
    with Store.open_read_only(db) as store:
        view = story_view(store, story)
        result = compare(store.article(wire), store.article(bare))
    reports = {
        "compare-report": write(result, folder / "compare.html").as_uri(),
        "story-report": write_story(view, folder / "story.html").as_uri(),
    }
    with served(db) as url:
        yield {
            "stories": url + "/",
            "story": f"{url}/story/{story}",
            "article": f"{url}/article/{wire}",
            "outlet": f"{url}/outlet/{quote('Meridian Wire', safe='')}",
            "compare": f"{url}/compare?a={wire}&b={bare}",
            **reports,
        }


def _open(browser, address: str, width: int):
    page = browser.new_page(viewport={"width": width, "height": HEIGHT})
    # the first comparison loads the language models: on a busy 2-core machine over a minute
    page.goto(address, timeout=240_000)
    page.wait_for_load_state("load")
    return page


def _no_horizontal_overflow(page, width: int) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
    )
    assert max(widths[:2]) <= widths[2] == width, widths


def _shown_across(page, selector: str, width: int) -> None:
    """The element is visible and lies inside the window's width once scrolled to."""
    element = page.locator(selector).first
    element.scroll_into_view_if_needed()
    assert element.is_visible(), selector
    box = element.bounding_box()
    assert box is not None and box["width"] > 0, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (selector, box)


def _screenshot(page, name: str, width: int) -> None:
    if os.environ.get("STORYTRACE_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"))
    if name == "story":
        page.evaluate("() => document.getElementById('speakers').scrollIntoView()")
        page.screenshot(path=str(SHOTS / f"story-speakers-{width}.png"))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(KEY_SECTIONS))
def test_page_fits_the_window_and_shows_its_sections(browser, site, name, width):
    page = _open(browser, site[name], width)
    try:
        _no_horizontal_overflow(page, width)
        for selector in KEY_SECTIONS[name]:
            _shown_across(page, selector, width)
        _no_horizontal_overflow(page, width)  # still, with every section laid out
        _screenshot(page, name, width)
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["compare", "compare-report"])
def test_the_legend_is_on_the_first_screen_and_sections_a_click_away(browser, site, name, width):
    page = _open(browser, site[name], width)
    try:
        legend = page.locator("#legend").bounding_box()
        assert legend is not None and legend["y"] + legend["height"] <= HEIGHT
        scrollers = page.evaluate(
            "() => [...document.querySelectorAll('.col')].filter(c =>"
            " c.scrollHeight > c.clientHeight + 1).length"
        )
        assert scrollers == 0  # the texts scroll with the page, not each in its own box
        for key in ("quotes", "actors"):
            page.locator(f'.sections a[href="#{key}"]').click()
            page.wait_for_function(  # scrolled to: its heading within the first screen
                f"() => {{ const r = document.querySelector('#{key} h2').getBoundingClientRect();"
                " return r.top >= 0 && r.bottom <= innerHeight; }"
            )
            assert page.locator(f"#{key} h2").is_visible()
            page.evaluate("() => window.scrollTo(0, 0)")
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_long_outlet_name_stays_clear_of_its_dates(browser, site, width):
    page = _open(browser, site["story"], width)
    try:
        lanes = page.evaluate(
            """() => [...document.querySelectorAll('.lane')].map(l => {
                const name = l.querySelector('.lane-name a').getBoundingClientRect();
                const dots = l.querySelector('.dots').getBoundingClientRect();
                return [l.querySelector('.lane-name').textContent.trim(), name.right, dots.left];
            })"""
        )
        assert LONG_OUTLET in [name for name, _, _ in lanes]
        for name, right, left in lanes:
            assert right <= left, (name, right, left)
    finally:
        page.close()


@pytest.mark.parametrize("name", ["story", "story-report"])
def test_the_speaker_filter_keeps_what_matches(browser, site, name):
    page = _open(browser, site[name], 1280)
    try:
        groups = page.locator("details.speaker")
        total = groups.count()
        assert total >= 5
        speaker = page.locator("details.speaker summary b").nth(1).inner_text()
        page.fill("#speaker-filter", speaker)
        shown = page.locator("details.speaker:visible")
        assert 1 <= shown.count() < total
        assert speaker in shown.first.locator("summary").inner_text()
        assert shown.first.get_attribute("open") is not None
        assert "match" in page.locator("#filter-count").inner_text()
        page.fill("#speaker-filter", "zzqx-nothing-says-this")
        assert page.locator("details.speaker:visible").count() == 0
        page.fill("#speaker-filter", "")
        assert page.locator("details.speaker:visible").count() == total
    finally:
        page.close()

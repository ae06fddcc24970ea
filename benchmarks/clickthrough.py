"""Every page and every link on it in headless chromium, counting what runs.

``browse(seeds, base)`` opens each page, checks its DOM, clicks each ``<a>``, and then does
the same for every page of the site those links lead to. What runs is counted three ways,
because a payload that executes does not always announce itself alike: a dialog
(``alert`` and friends), an assignment to ``window.__xss`` (seen by a setter installed
before any page script), and ``{{1337*1337}}`` turning into its product. What reached the
page without running is counted apart (injected elements, event-handler attributes,
non-http(s) links, blocked attempts reported by the Content-Security-Policy), since a
policy that stops a payload today is one defence, not two. ``control(work)`` runs the same
checks on a page built to trip them. Nothing leaves 127.0.0.1: every request to another
host is answered by a stub page. Used by ``payloads.py``.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _shared import ROOT

sys.path.insert(0, str(ROOT / "tests"))
from markup_payloads import MARKER, TEMPLATE_PRODUCT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--metrics-recording-only",
]
_STUB = "<!doctype html><title>outside</title><p>a page outside this machine</p>"
_EXECUTED = "__storytrace_executed__"
_BLOCKED = "__storytrace_csp__"

# Installed before any script of a page (and of its frames) runs, so a payload that assigns
# the marker is seen even when it navigates away at once. CSP violations are reported too:
# one means injected markup reached the page and only the policy stopped it.
_WATCH = f"""
(() => {{
  let hits = 0;
  Object.defineProperty(window, "{MARKER}", {{
    configurable: false,
    get() {{ return hits; }},
    set(value) {{ hits += 1; console.log("{_EXECUTED} " + String(value)); }},
  }});
  document.addEventListener("securitypolicyviolation", (e) =>
    console.log("{_BLOCKED} " + e.violatedDirective + " " + (e.blockedURI || "inline")));
}})();
"""

# What a page should never hold once hostile text is escaped: elements that run or load
# things, event-handler attributes, and url attributes with a scheme other than http(s)
# (file: is the static reports' own, about: an empty frame).
_INJECTED = """
() => {
  const bad = [];
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data", "poster"];
  const fine = ["http:", "https:", "file:", "about:"];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    // none of these is in a storytrace page (its forms, inputs and svg graphs are fine;
    // Swagger UI at /docs has a <noscript> of its own, so that tag is not listed)
    if (["iframe", "frame", "object", "embed", "base", "img", "details", "math", "textarea",
         "marquee", "video", "audio"].includes(tag)) bad.push(tag);
    if (tag === "style" && el.closest("body")) bad.push("style in body");
    if (tag === "meta" && /refresh/i.test(el.getAttribute("http-equiv") || "")) bad.push("meta refresh");
    if (tag === "script" && !el.src && /alert|__xss|msgbox/.test(el.textContent)) bad.push("inline script");
    for (const at of el.attributes) {
      const name = at.name.toLowerCase();
      if (name.startsWith("on") || name === "srcdoc" || name === "autofocus") bad.push(tag + "[" + name + "]");
      if (name === "style" && /expression|javascript:|url\\(/i.test(at.value)) bad.push(tag + "[style]");
      if (urlAttrs.includes(name)) {
        let scheme;
        try { scheme = new URL(at.value, document.baseURI).protocol; } catch { scheme = "unparsed:"; }
        if (!fine.includes(scheme)) bad.push(tag + "[" + name + "=" + scheme + "]");
      }
    }
  }
  return bad;
}
"""

_LINK_SCHEMES = """
() => Array.from(document.querySelectorAll("a")).map((a) => {
  const href = a.getAttribute("href") ?? a.getAttribute("xlink:href");
  if (href === null) return "none";
  try { return new URL(href, document.baseURI).protocol; } catch { return "unparsed:"; }
})
"""


# -- the browser ------------------------------------------------------------------------------
@dataclass(slots=True)
class Tally:
    """What the browser saw over all pages."""

    pages: int = 0
    links_clicked: int = 0
    clicks_dispatched: int = 0  # a covered link (an svg label over its node) clicked by event
    clicks_failed: int = 0
    navigations: int = 0  # clicks that asked for another page
    dialogs: list[str] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    template_evaluated: list[str] = field(default_factory=list)
    csp_blocked: list[str] = field(default_factory=list)
    injected: Counter[str] = field(default_factory=Counter)
    injected_on: list[str] = field(default_factory=list)
    link_schemes: Counter[str] = field(default_factory=Counter)
    outside_requests: int = 0
    navigated_schemes: Counter[str] = field(default_factory=Counter)
    popups: list[str] = field(default_factory=list)  # windows opened, by what opened them
    http_errors: Counter[str] = field(default_factory=Counter)
    found: set[str] = field(default_factory=set)  # same-site pages that links lead to
    compares_skipped: int = 0  # comparison pages found by links past the cap

    def add(self, other: Tally) -> None:
        """Fold another browser's tally into this one."""
        for name in self.__slots__:  # type: ignore[attr-defined]
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, Counter):
                mine.update(theirs)
            elif isinstance(mine, list):
                mine.extend(theirs)
            elif isinstance(mine, set):
                mine |= theirs
            else:
                setattr(self, name, mine + theirs)

    @property
    def executed(self) -> int:
        return len(self.dialogs) + len(self.markers) + len(self.template_evaluated)


def _watch(page: Any, tally: Tally, where: Callable[[], str]) -> None:
    """Count dialogs (and dismiss them), marker assignments and CSP reports on ``page``."""

    def dialog(d: Any) -> None:
        tally.dialogs.append(f"{where()}: {d.type} {d.message[:80]}")
        d.dismiss()

    def console(msg: Any) -> None:
        text = msg.text
        if text.startswith(_EXECUTED):
            tally.markers.append(f"{where()}: {text}")
        elif text.startswith(_BLOCKED):
            tally.csp_blocked.append(f"{where()}: {text[len(_BLOCKED) + 1 :]}")

    def navigated(frame: Any) -> None:
        tally.navigated_schemes[frame.url.split(":", 1)[0]] += 1

    page.on("dialog", dialog)
    page.on("console", console)
    page.on("framenavigated", navigated)


def _inspect(page: Any, url: str, tally: Tally) -> None:
    """The checks made on every page once it has loaded."""
    page.wait_for_timeout(150)  # onerror/onload/ontoggle handlers fire after load
    found = page.evaluate(_INJECTED)
    if found:
        tally.injected.update(found)
        tally.injected_on.append(url)
    if TEMPLATE_PRODUCT in page.content():
        tally.template_evaluated.append(url)


class _Browser:
    """One headless chromium (Playwright's sync API wants one instance per thread).

    Requests for the served site and local files go through; any other gets a stub page,
    so nothing leaves 127.0.0.1. Once a page has loaded, a click that asks for another page
    of the site is answered 204 No Content, which by the HTML standard leaves the current
    page in place: the link is followed as far as the browser is concerned, the target is
    noted (and visited later in its own right), and the next link can be clicked without
    loading the page again. Without this, a story page of 250 links cost nine minutes.
    """

    def __init__(self, pw: Any, base: str, tally: Tally) -> None:
        self.base, self.tally = base, tally
        self.holding = False  # True while clicking through a loaded page
        self.current = ""
        self.browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = self.browser.new_context()
        context.add_init_script(_WATCH)
        context.route("**/*", self._route)
        self.page = context.new_page()
        _watch(self.page, tally, lambda: self.current)
        context.on("page", self._popup)

    def _route(self, r: Any) -> None:
        request = r.request
        own = request.url.startswith((self.base + "/", "file:"))
        if self.holding and request.is_navigation_request():
            self.tally.navigations += 1
            if own:
                if request.url.startswith(self.base + "/"):
                    self.tally.found.add(request.url.split("#", 1)[0])
                r.fulfill(status=204, body="")
                return
        if own:
            r.continue_()
        else:
            self.tally.outside_requests += 1
            r.fulfill(status=200, content_type="text/html", body=_STUB)

    def _popup(self, p: Any) -> None:  # no storytrace link opens a window; a payload might
        if p is self.page:
            return
        self.tally.popups.append(f"{self.current} opened {p.url}")
        _watch(p, self.tally, lambda: self.current + " (popup)")
        p.close()

    def _open(self, url: str) -> Any:
        self.holding = False
        response = self.page.goto(url, wait_until="load", timeout=180_000)
        self.holding = True
        return response

    def visit(self, url: str) -> None:
        """Open ``url``, inspect it, then click each of its links in turn, coming back to it
        whenever a click has taken the page elsewhere (outside, to the stub)."""
        self.current = url
        response = self._open(url)
        if response is not None and response.status >= 400:
            self.tally.http_errors[str(response.status)] += 1
        self.tally.pages += 1
        _inspect(self.page, url, self.tally)
        self.tally.link_schemes.update(self.page.evaluate(_LINK_SCHEMES))
        here, count = self.page.url, self.page.locator("a").count()
        for n in range(count):
            # back again when a click left the page, or ran a javascript: url whose value
            # replaced the document (then the links are gone)
            if self.page.url != here or self.page.locator("a").count() != count:
                self._open(url)
            link = self.page.locator("a").nth(n)
            try:
                link.click(timeout=700)
            except Exception:  # covered by another element: a dispatched click still follows
                try:
                    link.dispatch_event("click", timeout=3_000)
                    self.tally.clicks_dispatched += 1
                except Exception:
                    self.tally.clicks_failed += 1
                    continue
            self.tally.links_clicked += 1
            if self.page.url != here:
                self.page.wait_for_load_state("load", timeout=60_000)
            self.page.wait_for_timeout(50)

    def close(self) -> None:
        self.browser.close()


def _browse_shard(urls: list[str], base: str) -> Tally:
    """``urls`` in one browser of this thread's own, a progress line each on stderr (a run
    takes minutes, and a page that stalls should be visible while it does)."""
    from playwright.sync_api import sync_playwright

    tally = Tally()
    with sync_playwright() as pw:
        browser = _Browser(pw, base, tally)
        try:
            for url in urls:
                started, clicked = time.perf_counter(), tally.links_clicked
                browser.visit(url)
                seconds = time.perf_counter() - started
                print(
                    f"{seconds:5.1f} s {tally.links_clicked - clicked:4d} links  {url[:110]}",
                    file=sys.stderr,
                    flush=True,
                )
        finally:
            browser.close()
    return tally


def browse(seeds: list[str], base: str, workers: int = 2, compare_cap: int = 12) -> Tally:
    """Every seed page and every link on it, then every same-site page those links lead to
    and no seed covered, until no new page turns up. Comparisons found that way are capped
    at ``compare_cap`` (each costs the server a full compare; a story of 14 articles links
    about 90 pairs, and they are all one template). ``workers`` browsers share the pages."""
    from concurrent.futures import ThreadPoolExecutor

    total, visited, compares = Tally(), set(seeds), 0
    todo = list(seeds)
    while todo:
        shards = [todo[n::workers] for n in range(workers)]
        with ThreadPoolExecutor(workers) as pool:
            for part in pool.map(lambda shard: _browse_shard(shard, base), shards):
                total.add(part)
        todo = []
        for url in sorted(total.found - visited):
            visited.add(url)
            if "/compare?" in url:
                if compares >= compare_cap:
                    total.compares_skipped += 1
                    continue
                compares += 1
            todo.append(url)
    return total


_CONTROL = f"""<!doctype html><meta charset="utf-8"><title>control</title>
<p>{TEMPLATE_PRODUCT}</p>
<img src="x" onerror="window.{MARKER}='control img'">
<script>alert('control script')</script>
<a href="javascript:window.{MARKER}='control link'">marker link</a>
<a href="javascript:alert('control link')">alert link</a>
"""


def control(work: Path) -> int:
    """The same browser checks on a page built to run five payloads (a dialog and a marker
    on load, one of each from two links, a template product): how many distinct ones they
    catch there, which should be all five, so that 0 on storytrace's pages is a finding and
    not a blind spot."""
    path = work / "control.html"
    path.write_text(_CONTROL, encoding="utf-8")
    seen = _browse_shard([path.as_uri()], "http://127.0.0.1:9")
    return len(set(seen.dialogs)) + len(set(seen.markers)) + len(set(seen.template_evaluated))

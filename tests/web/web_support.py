"""Shared helpers of the web tests (imported by the test modules of tests/web).

The browser is Debian's Chromium (/usr/bin/chromium) driven by Playwright; when it is
absent the browser tests are skipped with the reason. Every page a test opens records its
console errors and uncaught exceptions; the test fails if there is any.
"""
from __future__ import annotations

import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = os.environ.get("POLICYKG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

DOC = "suzhou-2011-community-party-building"


def chromium_or_skip() -> str:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        found = shutil.which("chromium")
        if not found:
            pytest.skip(f"Chromium is not installed at {CHROMIUM} (run `make browser` as root, or "
                        "apt-get install chromium)")
        return found
    return CHROMIUM


@pytest.fixture(scope="module")
def browser():
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class WatchedPage:
    """A Playwright page that remembers console errors, page errors and failed requests."""

    def __init__(self, page, origin: str):
        self.page = page
        self.origin = origin
        self.errors: list[str] = []
        page.on("console", lambda msg: self.errors.append(f"console {msg.type}: {msg.text} @ {page.url}")
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc} @ {page.url}"))
        page.on("requestfailed", lambda req: self.errors.append(
            f"request failed: {req.url} ({req.failure}) @ {page.url}"))
        page.on("request", lambda req: None if self._local(req.url) else self.errors.append(
            f"request to another origin: {req.url} @ {page.url}"))

    def _local(self, url: str) -> bool:
        return url.startswith(self.origin) or url.startswith(("data:", "blob:", "about:"))

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def goto(self, url: str, **kwargs):
        response = self.page.goto(url if url.startswith("http") else self.origin + url, **kwargs)
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        return response


@pytest.fixture
def watched(browser, live_server, request):
    """A fresh browser context (Chinese locale, desktop size) whose page must log no errors."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    watched = WatchedPage(page, live_server)
    try:
        yield watched
    finally:
        errors = list(watched.errors)
        context.close()
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)


# -- HTML without a browser ---------------------------------------------------------------

class PageParser(HTMLParser):
    """Collects what the link and accessibility checks need from one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.assets: list[str] = []
        self.h1 = 0
        self.imgs: list[dict] = []
        self.fields: list[dict] = []          # input/select/textarea (not hidden/submit)
        self.label_for: set[str] = set()
        self._label_depth = 0
        self.wrapped: int = 0                 # fields inside a <label>
        self.ids: list[str] = []
        self.html_lang = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in ("script", "img") and a.get("src"):
            self.assets.append(a["src"])
        if tag == "link" and a.get("href"):
            self.assets.append(a["href"])
        if tag == "h1":
            self.h1 += 1
        if tag == "img":
            self.imgs.append(a)
        if tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea"):
            if tag == "input" and a.get("type") in ("hidden", "submit", "button", "reset", "image"):
                return
            a["_tag"] = tag
            a["_wrapped"] = self._label_depth > 0
            self.fields.append(a)

    def handle_endtag(self, tag):
        if tag == "label" and self._label_depth:
            self._label_depth -= 1


def parse_page(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def unlabelled_fields(parsed: PageParser) -> list[dict]:
    return [f for f in parsed.fields
            if not (f["_wrapped"] or (f.get("id") and f["id"] in parsed.label_for)
                    or f.get("aria-label") or f.get("aria-labelledby") or f.get("title"))]


def same_origin_links(base_url: str, page_url: str, hrefs: list[str]) -> list[str]:
    """Absolute URLs of the links that stay on the service (fragments dropped)."""
    out = []
    for href in hrefs:
        if href.startswith(("mailto:", "javascript:", "data:")):
            continue
        url = urljoin(page_url, href).split("#", 1)[0]
        if urlsplit(url).netloc == urlsplit(base_url).netloc:
            out.append(url)
    return out


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "page"

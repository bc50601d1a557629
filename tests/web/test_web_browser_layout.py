"""Pages staff read on a laptop and a phone (issue 16, items 1 and 2), in headless Chromium.

Every page kind, at 1280 px and 390 px, in Chinese and English: the document never scrolls
sideways (scrollWidth ≤ viewport width); answer tables show the citation (条款, 原文) inside the
screen at 1280 px and become cards at 390 px; a Chinese page shows no Latin-only identifier
(``leads``, ``standard``, ``>=`` …) outside code, IRIs, English labels marked lang="en" and the
language switch. Screenshots of every page at both widths go to test-artifacts/web/.
"""
from __future__ import annotations

import re

import pytest

from web_support import DESKTOP, DOC, PHONE, browser, watched  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

PAGE_KINDS = {
    "home": "/",
    "document": "/document",
    "unit": f"/id/doc/{DOC}/art/5",
    "statement": f"/id/doc/{DOC}/statement/a05-cpo-leads-and-guides-rc",
    "actors": "/actors",
    "actor": "/actors/ResidentsCommittee",
    "actor-inherited": "/actors/SubdistrictPartyWorkingCommittee",
    "duties": "/actors/SubdistrictPartyWorkingCommittee/duties",
    "chain": "/chain?from=区委书记&to=社区党支部",
    "norms": "/norms",
    "questions": "/questions",
    "question": "/questions/leaders_of?actor=居委会",
    "question-norms": "/questions/numeric_norms?run=1",
    "question-duties": "/questions/duties?actor=社区书记",
    "editor": "/editor",
    "search": "/search?q=经费",
    "term": "/def/leads",
    "empty-answer": "/questions/relations?actor=区委书记&other=居委会",
}
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
# Answer tables and the cells that cite: these must be in view without scrolling sideways.
TABLES = {"norms": "#norms-table", "question": "#answer", "question-norms": "#answer", "question-duties": "#answer"}

# Words in Latin letters a Chinese page may show: names of formats, standards and the service.
ALLOWED_LATIN = {"SPARQL", "REST", "JSON", "JSON-LD", "CSV", "TSV", "XML", "Excel", "IRI", "Turtle", "N-Triples",
                 "policykg", "YASGUI", "OpenAPI", "CC", "BY", "API"}
# Text the scan reads: visible text nodes, except code, machine-readable names, English marked as such
# and the vendored YASGUI widget's own controls (a third-party editor for researchers, English only).
LATIN_SCAN = """() => {
  const skip = "code, pre, kbd, samp, script, style, textarea, noscript, #lang-switch, [lang^=en], [hidden], #yasgui";
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip)) continue;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    for (const m of n.textContent.matchAll(/[A-Za-z][A-Za-z0-9_:\\/.#-]*|[<>]=?|~/g)) found.push(m[0]);
  }
  return found;
}"""


def _open(watched, url: str, lang: str):
    sep = "&" if "?" in url else "?"
    watched.goto(f"{url}{sep}lang={lang}")
    watched.page.wait_for_load_state("load")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", sorted(PAGE_KINDS))
def test_no_page_scrolls_sideways_and_citations_stay_in_view(watched, kind, lang):
    page = watched.page
    for width_name, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        _open(watched, PAGE_KINDS[kind], lang)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{kind} ({lang}) at {viewport['width']}px scrolls {overflow}px sideways"
        watched.shot(f"layout-{kind}-{lang}-{width_name}")
        table = TABLES.get(kind)
        if not table or not page.locator(f"{table} tbody tr").count():
            continue
        row = page.locator(f"{table} tbody tr").first
        cite = row.locator(".cite a").first
        box = cite.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (kind, width_name, box)
        quote = row.locator("td").nth(1 if kind == "norms" else 2)
        qbox = quote.bounding_box()
        assert qbox and qbox["x"] + min(qbox["width"], 40) <= viewport["width"], (kind, width_name, qbox)
        display = row.evaluate("tr => getComputedStyle(tr).display")
        if width_name == "phone":
            assert display == "block", f"{kind}: rows are not cards at {viewport['width']}px"
            # each cell of a card says which column it is
            label = row.locator("td[data-label]").first.evaluate(
                "td => getComputedStyle(td, '::before').content")
            assert label.strip('"').endswith("：") and len(label) > 3, label
        else:
            assert display == "table-row"


@pytest.mark.parametrize("kind", sorted(PAGE_KINDS))
def test_chinese_pages_show_no_internal_identifiers(watched, kind):
    _open(watched, PAGE_KINDS[kind], "zh")
    words = watched.page.evaluate(LATIN_SCAN)
    leaked = sorted({w for w in words if w not in ALLOWED_LATIN})
    assert not leaked, f"{kind}: Latin-only words on a Chinese page: {leaked}"


def test_english_pages_speak_english_in_the_answer_tables(watched):
    page = watched.page
    _open(watched, "/norms", "en")
    comparators = set(page.locator("#norms-table tbody td:nth-child(5)").all_inner_texts())
    assert comparators and comparators <= {"equal to", "more than", "at least", "less than", "at most", "about", ""}
    _open(watched, "/questions/duties?actor=街道党工委", "en")
    whose = set(page.locator("#answer tbody .inherited, #answer tbody .own").all_inner_texts())
    assert any(w.startswith("inherited from") for w in whose) and "its own" in whose, whose
    assert not re.search(r"[\u4e00-\u9fff]", page.locator("#answer thead").inner_text())


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("url, picture", [("/chain?from=区委书记&to=社区党支部", "figure.graph svg"),
                                          ("/actors/ResidentsCommittee", "#neighbourhood")])
def test_diagrams_are_readable_on_a_phone(watched, lang, url, picture):
    page = watched.page
    page.set_viewport_size(PHONE)
    _open(watched, url, lang)
    shown = [svg for svg in page.locator(picture).all() if svg.is_visible()]
    assert len(shown) == 1
    svg = shown[0]
    # every word of the picture is at least 10 px tall on the screen (the desktop picture scaled to a
    # phone was about 7 px) and the page itself does not scroll sideways
    heights = svg.locator("text").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height).filter(h => h > 0)")
    assert heights and min(heights) >= 10, min(heights)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    # a shortened label keeps the full words as its tooltip
    for node in svg.locator("g.node").all():
        text = node.locator("text").text_content()
        if text.endswith("…"):
            assert node.locator("title").text_content().startswith(text[:-1])
    watched.shot(f"diagram-{'chain' if 'chain' in url else 'actor'}-{lang}-phone")


README_SHOTS = {"answer": "/questions/leaders_of?actor=居委会", "actor": "/actors/SubdistrictPartyWorkingCommittee"}


def test_readme_screenshots(watched):
    """The README's two pictures, taken as a reader sees the pages at 1280 px. They go to
    test-artifacts/web/ on every run, and replace docs/screenshots/ with POLICYKG_UPDATE_SCREENSHOTS=1."""
    import os
    import shutil

    from web_support import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, url in README_SHOTS.items():
        assert f"docs/screenshots/{name}.png" in readme
        _open(watched, url, "zh")
        path = watched.shot(f"readme-{name}")
        assert path.stat().st_size > 10_000
        if os.environ.get("POLICYKG_UPDATE_SCREENSHOTS") == "1":
            target = ROOT / "docs" / "screenshots" / f"{name}.png"
            target.parent.mkdir(exist_ok=True)
            watched.page.screenshot(path=str(target), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1300})
        assert (ROOT / "docs" / "screenshots" / f"{name}.png").is_file()

"""The pages in real Chromium, against the app served by uvicorn over the sample collection."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def _search(page: Page, text: str) -> None:
    page.goto("/")
    page.get_by_role("searchbox").fill(text)
    page.get_by_role("searchbox").press("Enter")
    page.wait_for_selector("ol.hits")


def _total(page: Page) -> int:
    match = re.search(r"\d+", page.inner_text("p.total"))
    assert match is not None
    return int(match.group())


def test_typing_a_line_finds_its_poem_first(page: Page) -> None:
    """Typing 床前明月光 into the search box and submitting lists 静夜思 first."""
    _search(page, "床前明月光")

    assert page.url.endswith("/?q=%E5%BA%8A%E5%89%8D%E6%98%8E%E6%9C%88%E5%85%89")
    assert page.locator("a.hit-title").first.inner_text() == "静夜思"


def test_opening_a_hit_shows_the_poem_and_poet(page: Page) -> None:
    """Clicking the first hit opens its record page with the text and the poet."""
    _search(page, "床前明月光")
    page.locator("a.hit-title").first.click()
    page.wait_for_selector("article.record")

    assert page.inner_text("h1") == "静夜思"
    assert "床前明月光" in page.inner_text(".record .body")
    assert "李白" in page.inner_text(".record .meta")
    assert page.title() == "静夜思 · 文渊"


def test_switching_to_english_changes_the_words_and_sticks(page: Page) -> None:
    """The language link turns the UI English, on this search and on the next page."""
    _search(page, "床前明月光")
    assert page.get_by_role("button", name="检索").is_visible()

    page.click("#lang-switch")
    page.wait_for_selector("button:text('Search')")

    assert page.get_by_role("searchbox").input_value() == "床前明月光"
    assert page.locator("a.hit-title").first.inner_text() == "Quiet Night Thoughts"
    assert page.inner_text("#lang-switch") == "中文"

    page.locator("a.hit-title").first.click()
    page.wait_for_selector("article.record")
    assert page.get_by_role("link", name="Back to search").is_visible()
    assert page.inner_text(".record dl dt >> nth=0") == "Titles"


def test_clicking_a_facet_narrows_the_results(page: Page) -> None:
    """Clicking the 词 type facet leaves fewer results, all of them ci."""
    _search(page, "明月")
    before = _total(page)

    page.click("[data-facet=type] a[data-value=ci]")
    page.wait_for_selector("[data-facet=type] a.chosen")

    after = _total(page)
    assert 0 < after < before
    metas = page.locator("li.hit .meta").all_inner_texts()
    assert len(metas) == after
    assert all(meta.startswith("词") for meta in metas)


def test_more_lists_more_creators_and_fewer_goes_back(page: Page) -> None:
    """Under the creator facet, 更多 reloads the same search listing more than 20 creators,
    and 收起 goes back to 20."""
    _search(page, "月")
    creators = page.locator("[data-facet=creator] li")
    assert creators.count() == 20
    total = _total(page)

    page.locator("[data-facet=creator]").get_by_role("link", name="更多").click()
    page.wait_for_selector("[data-facet=creator] a.fewer")

    assert creators.count() > 20
    assert _total(page) == total
    assert page.get_by_role("searchbox").input_value() == "月"
    assert "more=creator" in page.url
    page.locator("[data-facet=creator]").get_by_role("link", name="收起").click()
    page.wait_for_selector("[data-facet=creator] a.more")
    assert creators.count() == 20


def test_search_page_screenshot_is_a_png(page: Page, tmp_path: Path) -> None:
    """A screenshot of the search results page is a non-empty PNG."""
    _search(page, "床前明月光")
    path = tmp_path / "search.png"

    page.screenshot(path=str(path), full_page=True)

    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10_000

"""The server-rendered pages, through the app in-process, over the sample collection."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from wenyuan.app import Platform
from wenyuan.web.i18n import dynasty_name
from wenyuan.web.pages import ErrorContext, RecordContext, SearchContext

if TYPE_CHECKING:
    from starlette.testclient import TestClient


class _Page(HTMLParser):
    """The parts of an HTML page the tests look at: links, forms' fields, scripts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: dict[str, dict[str, str]] = {}
        self.inputs: list[dict[str, str]] = []
        self.tags: set[str] = set()
        self.html_lang = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        if tag == "a" and "id" in values:
            self.links[values["id"]] = values
        if tag == "input":
            self.inputs.append(values)
        if tag == "html":
            self.html_lang = values.get("lang", "")


def _search(client: TestClient, **params: object) -> SearchContext:
    response = client.get("/", params=params)
    assert response.status_code == 200
    ctx = response.context["ctx"]
    assert isinstance(ctx, SearchContext)
    return ctx


def _record_id(platform: Platform, q: str, record_type: str) -> str:
    page = platform.search(q, limit=1, filters={"type": [record_type]})
    return page.hits[0].record.id


@pytest.fixture(scope="module")
def jingyesi_id(sample_platform: Platform) -> str:
    """The id of 李白《静夜思》 in the sample collection."""
    return _record_id(sample_platform, "静夜思", "poem")


def test_search_page_finds_the_line_with_its_poem_first(client: TestClient) -> None:
    """Searching 床前明月光 renders 静夜思 as the first hit, on the search template."""
    response = client.get("/", params={"q": "床前明月光"})

    assert response.status_code == 200
    assert response.template.name == "search.html"
    ctx = response.context["ctx"]
    assert isinstance(ctx, SearchContext)
    assert ctx.q == "床前明月光"
    assert ctx.page is not None
    assert ctx.page.hits[0].record.title() == "静夜思"
    assert "静夜思" in response.text
    assert "疑是地上霜" in response.text


def test_empty_search_page_offers_browsing_by_type(client: TestClient) -> None:
    """With nothing asked, the page counts the collection and links to each record type."""
    ctx = _search(client)

    assert ctx.page is None
    assert ctx.total_records == 386
    labels = {link["label"]: link for link in ctx.browse}
    assert labels["诗"]["url"] == "/?type=poem"
    assert sum(link["count"] for link in ctx.browse) == 386


def test_facets_are_listed_with_translated_labels_and_counts(client: TestClient) -> None:
    """Each facet lists its values with counts; types and sources are named, not coded."""
    response = client.get("/", params={"q": "床前明月光"})
    ctx = response.context["ctx"]

    assert set(ctx.facet_links) >= {"type", "dynasty", "creator"}
    types = {link["value"]: link for link in ctx.facet_links["type"]}
    assert types["poem"]["label"] == "诗"
    assert types["poem"]["count"] > 0
    assert ctx.facet_links["source"][0]["label"] == "示例馆藏"
    creators = {link["value"]: link["count"] for link in ctx.facet_links["creator"]}
    assert creators["李白"] >= 1
    assert 'data-facet="type"' in response.text
    assert f'<span class="count">{types["poem"]["count"]}</span>' in response.text


def test_following_a_facet_link_narrows_the_results(client: TestClient) -> None:
    """A facet link keeps the query, adds the filter, and every hit then has that value."""
    before = _search(client, q="明月")
    assert before.page is not None
    ci = next(link for link in before.facet_links["type"] if link["value"] == "ci")

    response = client.get(ci["url"])
    after = response.context["ctx"]

    assert after.q == "明月"
    assert after.filters == {"type": ["ci"]}
    assert 0 < after.page.total < before.page.total
    assert after.page.total == ci["count"]
    assert {hit.record.type for hit in after.page.hits} == {"ci"}
    chosen = next(link for link in after.facet_links["type"] if link["value"] == "ci")
    assert chosen["chosen"]
    assert parse_qs(urlsplit(chosen["url"]).query) == {"q": ["明月"]}


def test_year_range_form_filters_by_time(client: TestClient) -> None:
    """The year-range form's fields narrow the results to records within those years."""
    everything = _search(client, type="poem")
    response = client.get("/", params={"type": "poem", "year_from": 700, "year_to": 800})
    ctx = response.context["ctx"]
    fields = {i.get("name"): i for i in _Page(response.text).inputs}

    assert ctx.year_from == 700
    assert ctx.year_to == 800
    assert everything.page is not None
    assert 0 < ctx.page.total < everything.page.total
    for hit in ctx.page.hits:
        span = hit.record.time
        assert span is not None
        assert span.earliest is not None
        assert span.earliest <= 800
        assert span.latest >= 700
    assert fields["year_from"]["value"] == "700"
    assert fields["type"] == {"type": "hidden", "name": "type", "value": "poem"}


@pytest.mark.parametrize(
    ("year_from", "expected"),
    [pytest.param("", None, id="empty"), pytest.param("abc", None, id="not-a-number")],
)
def test_year_range_ignores_values_that_are_not_years(
    client: TestClient, year_from: str, expected: int | None
) -> None:
    """A year that is empty or not a number is ignored rather than an error."""
    ctx = _search(client, q="李白", year_from=year_from)

    assert ctx.year_from is expected
    assert ctx.page is not None
    assert ctx.page.total > 0


def test_record_page_shows_labels_creator_time_and_provenance(
    client: TestClient, jingyesi_id: str
) -> None:
    """The record page shows the title in 简体, 繁體 and pinyin, the poet, the date and source."""
    response = client.get(f"/resources/{jingyesi_id}")

    assert response.status_code == 200
    assert response.template.name == "record.html"
    ctx = response.context["ctx"]
    assert isinstance(ctx, RecordContext)
    assert ctx.title == "静夜思"
    labels = {key: value for key, _, value in ctx.labels}
    assert labels["zh-Hans"] == "静夜思"
    assert labels["zh-Hant"] == "靜夜思"
    assert labels["pinyin"] == "jing ye si"
    assert [key for key, _, _ in ctx.labels][:2] == ["zh-Hans", "zh-Hant"]
    assert ctx.creators[0].label == "作者"
    assert ctx.creators[0].value.startswith("李白")
    assert ctx.creators[0].url == "/?creator=%E6%9D%8E%E7%99%BD"
    assert ctx.years == "726年"
    assert ctx.source_label == "示例馆藏"
    for text in ("靜夜思", "jing ye si", "李白", "开元十四年", "poems.toml", "床前明月光"):
        assert text in response.text


def test_record_page_names_a_sites_fields_and_maps_it(
    client: TestClient, sample_platform: Platform
) -> None:
    """A heritage site's extra fields are named in Chinese and its coordinates link to a map."""
    record_id = _record_id(sample_platform, "周口店", "site")
    ctx = client.get(f"/resources/{record_id}").context["ctx"]

    details = {d.label: d for d in ctx.details}
    assert details["所在地"].value == "北京市房山区"
    assert "openstreetmap.org" in (details["坐标"].url or "")
    assert ctx.years == "前700000–前200000年"
    assert ctx.descriptions[0][0] == "zh-Hans"


def test_unknown_record_is_a_404_html_page_in_chinese(client: TestClient) -> None:
    """An unknown record id gives a 404 HTML page, in Chinese by default."""
    response = client.get("/resources/r-00000000000000000000")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.template.name == "error.html"
    ctx = response.context["ctx"]
    assert isinstance(ctx, ErrorContext)
    assert ctx.status == 404
    assert ctx.message == "找不到这条记录或这个页面。"
    assert "返回检索" in response.text
    assert _Page(response.text).html_lang == "zh-Hans"


def test_unknown_record_is_a_404_html_page_in_english_when_asked(client: TestClient) -> None:
    """With the English cookie set, the 404 page is in English."""
    client.cookies.set("lang", "en")
    response = client.get("/resources/r-00000000000000000000")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.context["ctx"].message == "No such record or page."
    assert "Back to search" in response.text
    assert _Page(response.text).html_lang == "en"


def test_lang_en_switches_the_words_and_sets_the_cookie(client: TestClient) -> None:
    """?lang=en renders the UI in English and remembers it in a cookie for the next page."""
    response = client.get("/", params={"q": "李白", "lang": "en"})

    assert response.context["lang"] == "en"
    assert ">Search</button>" in response.text
    assert "results" in response.text
    types = {link["value"]: link["label"] for link in response.context["ctx"].facet_links["type"]}
    assert types["poem"] == "Poem"
    dynasties = [link["label"] for link in response.context["ctx"].facet_links["dynasty"]]
    assert "Tang" in dynasties
    assert "lang=en" in response.headers["set-cookie"]

    following = client.get("/", params={"q": "静夜思"})
    assert following.context["lang"] == "en"
    assert "Quiet Night Thoughts" in following.text


def test_chinese_is_the_default_language(client: TestClient) -> None:
    """Without a cookie or ?lang, the pages are in Chinese and set no cookie."""
    response = client.get("/", params={"q": "李白"})

    assert response.context["lang"] == "zh"
    assert ">检索</button>" in response.text
    assert "set-cookie" not in response.headers


def test_language_switch_link_keeps_the_query_but_not_the_language(client: TestClient) -> None:
    """The switch link returns to the same search, and drops ?lang= so the switch holds."""
    response = client.get("/", params={"q": "明月", "type": "ci", "lang": "en"})
    href = _Page(response.text).links["lang-switch"]["href"]

    assert href.startswith("/lang/zh?")
    target = parse_qs(urlsplit(href).query)["next"][0]
    assert urlsplit(target).path == "/"
    assert parse_qs(urlsplit(target).query) == {"q": ["明月"], "type": ["ci"]}

    switched = client.get(href)
    assert switched.status_code == 200
    assert switched.context["lang"] == "zh"
    assert switched.context["ctx"].filters == {"type": ["ci"]}


def test_language_switch_refuses_to_leave_the_site(client: TestClient) -> None:
    """/lang/... redirects only to a path on this site."""
    response = client.get("/lang/en", params={"next": "//evil.example/"}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_pages_need_no_javascript(client: TestClient, jingyesi_id: str) -> None:
    """The search and record pages carry no script: search is a plain GET form."""
    search = client.get("/", params={"q": "床前明月光"})
    record = client.get(f"/resources/{jingyesi_id}")

    for response in (search, record):
        assert "script" not in _Page(response.text).tags
    assert '<form class="searchbox" action="/" method="get"' in search.text
    assert any(i.get("name") == "q" for i in _Page(search.text).inputs)


def test_paging_links_walk_through_the_results(client: TestClient) -> None:
    """A long result list has a next link, and the next page starts where the first ended."""
    first = _search(client, type="poem")
    assert first.page is not None
    assert first.prev_url is None
    assert first.next_url is not None

    second = client.get(first.next_url).context["ctx"]

    assert second.page.offset == len(first.page.hits)
    assert second.prev_url is not None
    assert {h.record.id for h in first.page.hits}.isdisjoint(h.record.id for h in second.page.hits)


@pytest.mark.parametrize(
    ("value", "english"),
    [
        pytest.param("唐", "Tang", id="one"),
        pytest.param("北宋", "Northern Song", id="two-characters"),
        pytest.param("明清", "Ming–Qing", id="run"),
        pytest.param("唐至今", "Tang to the present", id="range"),
        pytest.param("宋末元初至清", "宋末元初至清", id="unknown-kept-as-written"),
    ],
)
def test_english_pages_name_dynasties_in_english(value: str, english: str) -> None:
    """English pages translate dynasty names they know and keep the rest as written."""
    assert dynasty_name(value, "en") == english
    assert dynasty_name(value, "zh") == value


def test_no_results_page_says_so(client: TestClient) -> None:
    """A search that matches nothing renders the page with a 'no results' line."""
    response = client.get("/", params={"q": "zzzzqqqxxyy"})

    assert response.status_code == 200
    assert response.context["ctx"].page.total == 0
    assert "没有找到结果。" in response.text


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"q": "李白", "offset": "-1"}, id="negative-offset"),
        pytest.param({"q": "李白", "offset": "many"}, id="offset-not-a-number"),
        pytest.param({"q": "李" * 600}, id="query-too-long"),
    ],
)
def test_odd_search_input_still_renders_the_page(
    client: TestClient, params: dict[str, str]
) -> None:
    """Out-of-range paging or an over-long query gives the HTML page, not an API error."""
    response = client.get("/", params=params)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.context["ctx"].page is not None


def test_year_range_given_backwards_is_read_forwards(client: TestClient) -> None:
    """A 'from' year after the 'to' year is taken as the same range the right way round."""
    backwards = _search(client, type="poem", year_from=800, year_to=700)
    forwards = _search(client, type="poem", year_from=700, year_to=800)

    assert (backwards.year_from, backwards.year_to) == (700, 800)
    assert backwards.page is not None
    assert forwards.page is not None
    assert backwards.page.total == forwards.page.total


class _Anchors(HTMLParser):
    """Every link of a page: its attributes and its text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str], str]] = []
        self._open: dict[str, str] | None = None
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open, self._text = {k: v or "" for k, v in attrs}, ""

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.found.append((self._open, self._text.strip()))
            self._open = None

    def with_class(self, name: str) -> list[tuple[dict[str, str], str]]:
        return [(a, text) for a, text in self.found if name in a.get("class", "").split()]


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# The sample collection has 103 creators and 47 dynasties, so a browse of all of it (every
# record's source is "sample") has facets longer than 20 and one longer than 100.


def test_a_facet_with_more_than_20_values_lists_20_and_links_to_more(
    client: TestClient,
) -> None:
    """A facet with more values than it lists ends with a 更多 link; a short one has none."""
    response = client.get("/", params={"q": "月"})
    ctx = response.context["ctx"]

    assert len(ctx.facet_links["creator"]) == 20
    assert len(ctx.facet_links["type"]) < 20
    assert "creator" in ctx.more_urls
    assert "type" not in ctx.more_urls
    assert ctx.expanded is None
    assert ctx.fewer_url is None
    more = _Anchors(response.text).with_class("more")
    assert (ctx.more_urls["creator"], "更多") in [(a["href"], text) for a, text in more]
    assert not _Anchors(response.text).with_class("fewer")
    assert urlsplit(ctx.more_urls["creator"]).fragment == "facet-creator"
    assert 'id="facet-creator"' in response.text


def test_more_keeps_every_parameter_and_lists_more_values(client: TestClient) -> None:
    """Following 'more' reloads the same search (filters, years, paging, language kept) with
    the creator facet listing every creator up to 100, and a 'fewer' link back."""
    params = {"q": ["月"], "type": ["poem", "ci"], "offset": ["20"], "lang": ["en"]}
    first = client.get("/", params=params)
    ctx = first.context["ctx"]
    more_url = ctx.more_urls["creator"]
    assert _query(more_url) == {**params, "more": ["creator"]}
    assert "more" in {text for _, text in _Anchors(first.text).with_class("more")}

    expanded = client.get(more_url)
    wide = expanded.context["ctx"]

    assert wide.expanded == "creator"
    assert wide.filters == {"type": ["poem", "ci"]}
    assert (wide.q, wide.page.offset, wide.lang) == ("月", 20, "en")
    assert wide.page.total == ctx.page.total
    assert 20 < len(wide.facet_links["creator"]) <= 100
    assert [f["value"] for f in wide.facet_links["creator"][:20]] == [
        f["value"] for f in ctx.facet_links["creator"]
    ]
    assert "creator" not in wide.more_urls
    assert wide.fewer_url is not None
    assert _query(wide.fewer_url) == params
    fewer = _Anchors(expanded.text).with_class("fewer")
    assert [(a["href"], text) for a, text in fewer] == [(wide.fewer_url, "fewer")]
    back = client.get(wide.fewer_url).context["ctx"]
    assert back.expanded is None
    assert len(back.facet_links["creator"]) == 20


def test_an_expanded_facet_lists_at_most_100_values_and_others_stay_at_20(
    client: TestClient,
) -> None:
    """With more=creator over 103 creators, 100 are listed; dynasty still lists 20 and
    keeps its own 'more' link, which expands dynasty instead of creator."""
    response = client.get("/", params={"source": "sample", "more": "creator"})
    ctx = response.context["ctx"]

    assert ctx.page.total == 386
    assert len(ctx.facet_links["creator"]) == 100
    counts = [f["count"] for f in ctx.facet_links["creator"]]
    assert counts == sorted(counts, reverse=True)
    assert len(ctx.facet_links["dynasty"]) == 20
    assert _query(ctx.more_urls["dynasty"]) == {"source": ["sample"], "more": ["dynasty"]}
    assert '<section class="facet expanded" id="facet-creator"' in response.text


def test_more_keeps_the_year_range(client: TestClient) -> None:
    """The years survive expanding a facet, and the expanded search still honours them."""
    params = {"year_from": ["-3000"], "year_to": ["3000"]}
    ctx = _search(client, **params)
    assert ctx.page is not None

    wide = client.get(ctx.more_urls["creator"]).context["ctx"]

    assert (wide.year_from, wide.year_to, wide.expanded) == (-3000, 3000, "creator")
    assert wide.page.total == ctx.page.total
    assert len(wide.facet_links["creator"]) > 20


def test_links_on_an_expanded_page_keep_the_facet_expanded(client: TestClient) -> None:
    """Choosing a value, paging and the years form keep more=creator."""
    ctx = _search(client, source="sample", more="creator")

    assert _query(ctx.facet_links["type"][0]["url"])["more"] == ["creator"]
    assert ctx.next_url is not None
    assert _query(ctx.next_url)["more"] == ["creator"]
    html = client.get("/", params={"source": "sample", "more": "creator"}).text
    assert '<input type="hidden" name="more" value="creator">' in html


@pytest.mark.parametrize(
    "more",
    [
        pytest.param("nonsense", id="unknown-facet"),
        pytest.param("", id="empty"),
        pytest.param("q", id="not-a-facet"),
        pytest.param("<script>", id="markup"),
    ],
)
def test_an_unknown_facet_to_expand_is_ignored(client: TestClient, more: str) -> None:
    """more= naming no facet renders the ordinary page: every facet lists 20 at most."""
    response = client.get("/", params={"source": "sample", "more": more})
    ctx = response.context["ctx"]

    assert response.status_code == 200
    assert ctx.expanded is None
    assert ctx.fewer_url is None
    assert len(ctx.facet_links["creator"]) == 20
    assert "<script>" not in response.text


def test_more_on_the_empty_search_page_is_ignored(client: TestClient) -> None:
    """With nothing searched there are no facets to expand; the browse page is shown."""
    ctx = _search(client, more="creator")

    assert ctx.page is None
    assert ctx.expanded is None
    assert ctx.browse

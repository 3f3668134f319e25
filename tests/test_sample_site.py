"""The bundled sample news site: schedule, pages, discovery files, extraction and HTTP caching.

The site is what the demo and the pipeline tests crawl, so these tests pin the promises
the pipeline relies on: every entity appears in the previous ISO week for any build day,
feeds and sitemaps list exactly the articles, trafilatura finds the body and drops the
furniture, and conditional requests are answered with 304.
"""

from __future__ import annotations

import calendar
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import feedparser
import httpx
import lxml.html
import pytest
import trafilatura
import yaml
from defusedxml import ElementTree

from pactwatch.sample_site import ENTITY_IDS, SampleArticle, SampleSite, previous_iso_monday
from pactwatch.sample_site.articles import build_articles
from pactwatch.sample_site.boilerplate import COMMENT_POOL, COOKIE_NOTICES
from pactwatch.sample_site.outlets import OUTLETS

TODAY = date(2026, 11, 25)  # a Wednesday
SITEMAP_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}

# A name that must be in the text for an entity to be declared (declared => named).
NAMED_BY: dict[str, str] = {
    "fumio-kishida": r"\bKishida\b",
    "joe-biden": r"\bBiden\b",
    "yoon-suk-yeol": r"\bYoon\b",
    "ferdinand-marcos-jr": r"\b(President Marcos|Ferdinand Marcos Jr\.)",
    "anthony-albanese": r"\bAnthony Albanese\b",
    "narendra-modi": r"\bNarendra Modi\b",
    "raa-japan-australia": r"(Japan–Australia RAA|Reciprocal Access Agreement)",
    "raa-japan-uk": r"UK–Japan RAA",
    "raa-japan-philippines": r"Japan–Philippines RAA",
    "reciprocal-access-agreement": r"(?i)reciprocal access agreement",
    "japan-australia-security-declaration": r"Joint Declaration on Security Cooperation",
    "official-security-assistance": r"Official Security Assistance",
    "quad": r"\bQuad\b",
    "free-and-open-indo-pacific": r"(?i)free and open Indo-Pacific",
}
# Names whose presence in a topical article means the entity must be declared (named => declared).
STRONG_NAMES = ("fumio-kishida", "joe-biden", "yoon-suk-yeol", "quad",
                "official-security-assistance", "japan-australia-security-declaration",
                "free-and-open-indo-pacific")


def _full_text(article: SampleArticle) -> str:
    return "\n".join((article.title, article.standfirst, article.body_text))


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


@pytest.fixture(scope="module")
def site() -> Iterator[SampleSite]:
    with SampleSite(today=TODAY) as running:
        yield running


@pytest.fixture(scope="module")
def client(site: SampleSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base_url, timeout=10) as http:
        yield http


# --- schedule (no server needed) -------------------------------------------------------------


@pytest.mark.parametrize(
    "today",
    [date(2026, 11, 23) + timedelta(days=n) for n in range(7)] + [date(2027, 1, 1)],
    ids=lambda d: d.strftime("%a-%Y-%m-%d"),
)
def test_previous_iso_week_has_every_entity_and_every_day(today: date) -> None:
    articles = build_articles(today, "http://example.test")
    monday = previous_iso_monday(today)
    assert monday.weekday() == 0 and 7 <= (today - monday).days <= 13
    previous_week = [a for a in articles if monday <= a.published.date() <= monday + timedelta(6)]
    covered = set().union(*(a.entities for a in previous_week))
    assert covered == ENTITY_IDS
    topical_days = {a.published.date() for a in previous_week if a.topical}
    assert topical_days == {monday + timedelta(days=n) for n in range(7)}
    for article in articles:
        assert 0 <= (today - article.published.date()).days <= 13, article.key
        assert article.published.utcoffset() in {timedelta(hours=h) for h in (0, 9, 10)}


def test_articles_are_numerous_varied_and_sized() -> None:
    articles = build_articles(TODAY, "http://example.test")
    assert len(articles) >= 18
    assert len([a for a in articles if a.topical]) >= 12
    off_topic = [a for a in articles if not a.topical]
    assert len(off_topic) >= 4 and all(not a.entities for a in off_topic)
    assert {a.outlet for a in articles} == set(OUTLETS)
    assert len({a.url for a in articles}) == len(articles)
    for article in articles:
        assert 250 <= article.word_count <= 700, (article.key, article.word_count)
        assert len(article.paragraphs) >= 4, article.key
        assert article.entities <= ENTITY_IDS
        assert article.authors and article.published.tzinfo is not None


def test_republished_copy_matches_original_on_another_outlet() -> None:
    articles = build_articles(TODAY, "http://example.test")
    by_url = {a.url: a for a in articles}
    copies = [a for a in articles if a.syndicated_from]
    assert copies
    for copy in copies:
        original = by_url[copy.syndicated_from]
        assert copy.outlet != original.outlet and copy.url != original.url
        assert copy.paragraphs == original.paragraphs and copy.entities == original.entities
        assert 1 <= (copy.published.date() - original.published.date()).days <= 2


def test_declared_entities_are_named_and_strong_names_are_declared() -> None:
    for article in build_articles(TODAY, "http://example.test"):
        text = _full_text(article)
        for entity in article.entities:
            assert re.search(NAMED_BY[entity], text), (article.key, entity)
        if article.topical:
            for entity in STRONG_NAMES:
                if re.search(NAMED_BY[entity], text):
                    assert entity in article.entities, (article.key, entity)


# --- pages ----------------------------------------------------------------------------------


def _json_ld_article(tree: lxml.html.HtmlElement) -> dict | None:
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        data = json.loads(script.text)
        for node in data.get("@graph", [data]):
            if node.get("@type") == "NewsArticle":
                return node
    return None


def test_every_article_page_carries_metadata(site: SampleSite, client: httpx.Client) -> None:
    with_json_ld = 0
    for article in site.articles:
        response = client.get(article.url)
        assert response.status_code == 200, article.url
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        tree = lxml.html.fromstring(response.content)
        assert tree.findtext(".//title") == f"{article.title} | {article.outlet_name}"
        assert tree.xpath('string(//link[@rel="canonical"]/@href)') == article.url
        assert tree.xpath('string(//meta[@property="og:title"]/@content)') == article.title
        stamps = tree.xpath('//meta[@property="article:published_time"]/@content')
        stamps += tree.xpath("//time/@datetime")
        assert stamps and {datetime.fromisoformat(s) for s in stamps} == {article.published}
        assert tree.xpath('string(//meta[@name="author"]/@content)') == ", ".join(article.authors)
        node = _json_ld_article(tree)
        if node is not None:
            with_json_ld += 1
            assert node["headline"] == article.title
            assert datetime.fromisoformat(node["datePublished"]) == article.published
            assert [a["name"] for a in node["author"]] == article.authors
            assert node["articleBody"].startswith(article.paragraphs[0])
    assert 0 < with_json_ld < len(site.articles)


def test_trafilatura_keeps_body_and_drops_furniture(site: SampleSite, client: httpx.Client) -> None:
    furniture = [notice[:60] for notice in COOKIE_NOTICES.values()]
    furniture += [comment.text[:60] for comment in COMMENT_POOL]
    for article in site.articles:
        html = client.get(article.url).text
        result = json.loads(
            trafilatura.extract(html, url=article.url, output_format="json", with_metadata=True)
        )
        body = result["text"]
        assert article.paragraphs[0] in body and article.paragraphs[-1] in body, article.key
        leaked = [snippet for snippet in furniture if snippet in body]
        assert not leaked, (article.key, leaked)
        assert result["title"] == article.title
        assert result["date"] == article.published.date().isoformat()
        assert result["author"] == "; ".join(article.authors)


def test_front_pages_link_every_article_and_advertise_feed(
    site: SampleSite, client: httpx.Client
) -> None:
    for outlet in OUTLETS.values():
        response = client.get(outlet.prefix)
        assert response.status_code == 200
        tree = lxml.html.fromstring(response.content)
        tree.make_links_absolute(site.base_url + outlet.prefix)
        links = {_without_query(href) for href in tree.xpath("//a/@href")}
        expected = {a.url for a in site.articles if a.outlet == outlet.slug}
        assert expected <= links, outlet.slug
        alternate = tree.xpath('//link[@rel="alternate"]')
        assert alternate[0].get("type") == f"application/{outlet.feed_type}+xml"
        assert alternate[0].get("href") == site.base_url + outlet.feed_path


# --- discovery files ------------------------------------------------------------------------


def test_feeds_list_each_outlets_articles(site: SampleSite, client: httpx.Client) -> None:
    tracked_links = 0
    for outlet in OUTLETS.values():
        response = client.get(outlet.feed_path)
        assert response.headers["content-type"].startswith(f"application/{outlet.feed_type}+xml")
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.get("bozo_exception")
        assert feed.version.startswith(outlet.feed_type)
        expected = {a.url: a for a in site.articles if a.outlet == outlet.slug}
        assert len(feed.entries) == len(expected)
        for entry in feed.entries:
            article = expected[_without_query(entry.link)]
            tracked_links += "utm_source=rss" in entry.link
            assert entry.title == article.title
            assert calendar.timegm(entry.published_parsed) == article.published.timestamp()
            assert entry.author == article.authors[0]
    assert tracked_links >= 3


def test_rss_uses_rfc822_dates_and_dc_creator(client: httpx.Client) -> None:
    root = ElementTree.fromstring(client.get("/harbour/rss.xml").content)
    item = root.find("channel/item")
    assert parsedate_to_datetime(item.findtext("pubDate")).tzinfo is not None
    assert item.findtext("{http://purl.org/dc/elements/1.1/}creator")


def test_sitemaps_list_articles_with_dates(site: SampleSite, client: httpx.Client) -> None:
    news_sitemaps = 0
    for outlet in OUTLETS.values():
        root = ElementTree.fromstring(client.get(outlet.sitemap_path).content)
        expected = {a.url: a.published for a in site.articles if a.outlet == outlet.slug}
        listed = {}
        for url in root.findall("sm:url", SITEMAP_NS):
            stamp = url.findtext("news:news/news:publication_date", namespaces=SITEMAP_NS)
            if stamp is None:
                stamp = url.findtext("sm:lastmod", namespaces=SITEMAP_NS)
            else:
                news_sitemaps += 1
            listed[url.findtext("sm:loc", namespaces=SITEMAP_NS)] = datetime.fromisoformat(stamp)
        assert listed == expected, outlet.slug
    assert news_sitemaps >= 7


def test_robots_txt_allows_everything(site: SampleSite, client: httpx.Client) -> None:
    response = client.get("/robots.txt")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert "User-agent: *" in lines and "Allow: /" in lines
    assert not any(line.startswith("Disallow: /") for line in lines)
    sitemaps = [line.split(": ", 1)[1] for line in lines if line.startswith("Sitemap:")]
    assert sitemaps == [site.base_url + o.sitemap_path for o in OUTLETS.values()]


def test_sources_yaml_points_at_running_site(site: SampleSite, client: httpx.Client) -> None:
    config = yaml.safe_load(site.sources_yaml())
    names = [s["name"] for s in config["sources"]]
    assert names == ["harbour-times", "pacific-ledger", "meridian-wire"]
    for source in config["sources"]:
        assert set(source) == {"name", "homepage", "feeds", "sitemaps", "concurrency", "delay",
                               "window_days"}
        for url in [source["homepage"], *source["feeds"], *source["sitemaps"]]:
            assert url.startswith(site.base_url)
            assert client.get(url).status_code == 200


# --- HTTP behaviour -------------------------------------------------------------------------


def test_feed_conditional_get_and_head(client: httpx.Client) -> None:
    first = client.get("/ledger/atom.xml")
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    again = client.get("/ledger/atom.xml", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert client.get("/ledger/atom.xml", headers={"If-None-Match": "W/" + etag}).status_code == 304
    changed = client.get("/ledger/atom.xml", headers={"If-None-Match": '"stale"'})
    assert changed.status_code == 200 and changed.content == first.content
    since = client.get("/ledger/atom.xml", headers={"If-Modified-Since": last_modified})
    assert since.status_code == 304
    head = client.head("/ledger/atom.xml")
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(first.content)


def test_unknown_paths_404_and_missing_slash_redirects(
    site: SampleSite, client: httpx.Client
) -> None:
    assert client.get("/harbour/no-such-story/").status_code == 404
    article = next(a for a in site.articles if a.path.endswith("/"))
    redirect = client.get(article.path.rstrip("/"))
    assert redirect.status_code == 301 and redirect.headers["location"] == article.path


def test_requests_are_recorded_in_order(site: SampleSite, client: httpx.Client) -> None:
    site.clear_requests()
    client.head("/robots.txt")
    client.get("/harbour/rss.xml?utm_source=test")
    assert site.requests == [("HEAD", "/robots.txt"), ("GET", "/harbour/rss.xml?utm_source=test")]


def test_start_stop_without_context_and_default_today() -> None:
    site = SampleSite()
    with pytest.raises(RuntimeError):
        _ = site.base_url
    site.start()
    base_url = site.base_url
    try:
        assert site.today == date.today()
        newest = max(a.published.date() for a in site.articles)
        assert 1 <= (date.today() - newest).days <= 6
        assert httpx.get(base_url + "/").status_code == 200
    finally:
        site.stop()
        site.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(base_url + "/", timeout=2)


@pytest.mark.slow
def test_module_entry_point_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pactwatch.sample_site", "--today", TODAY.isoformat()],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
        assert httpx.get(base_url + "/harbour/rss.xml").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)

"""Discovery parsers on our own small documents and on the real feeds in ../shared/corpus."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from extractors.discover import (
    canonical_url,
    parse_date,
    parse_feed,
    parse_homepage,
    parse_sitemap,
)
from extractors.errors import DiscoveryFailed

FEEDS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
needs_corpus = pytest.mark.skipif(not FEEDS.is_dir(), reason="../shared/corpus/feeds is absent")

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Test</title>
<item><title>RAA signed</title><link>https://News.example.com/a/raa-signed?utm_source=rss#top</link>
<pubDate>Mon, 11 Jan 2023 09:00:00 +0900</pubDate></item>
<item><title>No date</title><link>https://news.example.com/b/no-date</link></item>
</channel></rss>"""


def test_rss_items_are_canonical_and_dated() -> None:
    listing = parse_feed(RSS, "https://news.example.com/rss.xml")
    assert [c.url for c in listing.candidates] == [
        "https://news.example.com/a/raa-signed",
        "https://news.example.com/b/no-date",
    ]
    assert listing.candidates[0].published.isoformat() == "2023-01-11T09:00:00+09:00"
    assert listing.candidates[1].published is None


def test_json_feed() -> None:
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"url": "https://x.example/p/1", "date_published": "2024-03-01T10:00:00+09:00", "title": "One"}]}'
    listing = parse_feed(body, "https://x.example/feed.json")
    assert listing.candidates[0].url == "https://x.example/p/1"
    assert listing.candidates[0].published.utcoffset().total_seconds() == 9 * 3600


def test_not_a_feed_and_entity_bomb_are_refused() -> None:
    with pytest.raises(DiscoveryFailed) as err:
        parse_feed(b"<html><body>this is not a feed", "https://x.example/feed")
    assert err.value.kind == "parse"
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><rss><channel><item><title>&lol2;</title></item></channel></rss>'
    with pytest.raises(DiscoveryFailed, match="entities"):
        parse_feed(bomb, "https://x.example/feed")
    with pytest.raises(DiscoveryFailed, match="entities"):
        parse_sitemap(bomb, "https://x.example/sitemap.xml")


def test_news_sitemap_index_gzip_and_text() -> None:
    news = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://x.example/n/1</loc>
      <news:news><news:publication_date>2024-03-08T08:00:00+09:00</news:publication_date>
      <news:title>Quad meets</news:title></news:news></url></urlset>"""
    listing = parse_sitemap(gzip.compress(news), "https://x.example/news.xml.gz")
    assert listing.candidates[0].title == "Quad meets"
    assert listing.candidates[0].published == parse_date("2024-03-08T08:00:00+09:00")
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://x.example/s1.xml</loc></sitemap></sitemapindex>"""
    assert parse_sitemap(index, "https://x.example/idx.xml").sitemaps == [
        "https://x.example/s1.xml"
    ]
    text = "\ufeffhttps://x.example/t/1\nhttps://x.example/t/2\n".encode()
    assert len(parse_sitemap(text, "https://x.example/s.txt").candidates) == 2


def test_homepage_links_and_feed_autodiscovery() -> None:
    page = b"""<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head>
      <body><a href="/">Home</a><a href="/world">World</a>
      <a href="/2026/11/20/japan-and-philippines-sign-access-deal">Deal</a>
      <a href="https://elsewhere.example/2026/11/20/other-site-story-here">Off</a></body></html>"""
    listing = parse_homepage(page, "https://x.example/")
    assert listing.feeds == ["https://x.example/rss.xml"]
    assert [c.url for c in listing.candidates] == [
        "https://x.example/2026/11/20/japan-and-philippines-sign-access-deal"
    ]


def test_canonical_url_drops_tracking_and_fragment() -> None:
    assert (
        canonical_url("HTTPS://X.example:443/a?utm_medium=x&id=2#c") == "https://x.example/a?id=2"
    )


@needs_corpus
@pytest.mark.parametrize(
    ("name", "minimum"),
    [
        ("guardian.rss", 50),
        ("encoding.rss", 30),
        ("uolNoticias.rss", 10),
        ("heise.atom", 10),
        ("feedburner.atom", 20),
        ("xmlRss_pubDate.xml", 5),
        ("content-encoded.rss", 5),
        ("craigslist.rss", 20),
    ],
)
def test_real_feeds(name: str, minimum: int) -> None:
    listing = parse_feed((FEEDS / name).read_bytes(), f"https://feeds.example/{name}")
    assert len(listing.candidates) >= minimum
    assert all(c.url.startswith("http") for c in listing.candidates)


@needs_corpus
def test_real_feed_with_missing_fields_yields_nothing_but_does_not_fail() -> None:
    listing = parse_feed((FEEDS / "incomplete-fields.atom").read_bytes(), "https://f.example/a")
    assert listing.candidates == []


@needs_corpus
@pytest.mark.parametrize(
    ("name", "urls", "sitemaps"),
    [
        ("sitemap-news.xml", 2, 0),
        ("shinpaideshou-news-sitemap.xml", 3, 0),
        ("hebdenbridgetimes-articles-sitemap.xml", 70, 0),
        ("sitemap.index.xml", 0, 5),
        ("xmlSitemap.gz", 1, 0),
        ("sitemap.txt", 2, 0),
        ("sitemap-with-bom.txt", 2, 0),
    ],
)
def test_real_sitemaps(name: str, urls: int, sitemaps: int) -> None:
    listing = parse_sitemap((FEEDS / name).read_bytes(), f"https://maps.example/{name}")
    assert len(listing.candidates) >= urls
    assert len(listing.sitemaps) >= sitemaps

"""Discovery parsers on our own small documents and on the real feeds in ../shared/corpus."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from extractors.errors import DiscoveryFailed
from extractors.listings.discover import (
    parse_date,
    parse_feed,
    parse_homepage,
    parse_sitemap,
)
from extractors.urls import canonical_url

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
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"url": '
        b'"https://x.example/p/1", "date_published": "2024-03-01T10:00:00+09:00", "title": "One"}]}'
    )
    listing = parse_feed(body, "https://x.example/feed.json")
    assert listing.candidates[0].url == "https://x.example/p/1"
    assert listing.candidates[0].published.utcoffset().total_seconds() == 9 * 3600


def test_not_a_feed_and_entity_bomb_are_refused() -> None:
    with pytest.raises(DiscoveryFailed) as err:
        parse_feed(b"<html><body>this is not a feed", "https://x.example/feed")
    assert err.value.kind == "parse"
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b"<rss><channel><item><title>&lol2;</title></item></channel></rss>"
    )
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
        ("heraldsun.rss", 2),
    ],
)
def test_real_feeds(name: str, minimum: int) -> None:
    listing = parse_feed((FEEDS / name).read_bytes(), f"https://feeds.example/{name}")
    assert len(listing.candidates) >= minimum
    assert all(c.url.startswith("http") for c in listing.candidates)


@needs_corpus
@pytest.mark.parametrize(
    ("name", "first"),
    [
        # undeclared Latin-1, Portuguese day and month names: 'Seg, 24 Set 2018 19:42:40 -0300'
        ("uolNoticias.rss", "2018-09-24T19:42:40-03:00"),
        ("craigslist.rss", "2017-06-21T10:33:10-07:00"),  # RDF (RSS 1.0) with dc:date
        ("encoding.rss", "2018-01-03T13:47:00+00:00"),  # declared ISO-8859-1
        ("heise.atom", "2016-02-01T17:22:00+01:00"),  # German Atom
    ],
)
def test_real_feed_dates_keep_their_offsets(name: str, first: str) -> None:
    listing = parse_feed((FEEDS / name).read_bytes(), f"https://feeds.example/{name}")
    assert all(c.published for c in listing.candidates)
    assert listing.candidates[0].published.isoformat() == first


@needs_corpus
def test_real_feed_titles_survive_their_encodings() -> None:
    uol = parse_feed((FEEDS / "uolNoticias.rss").read_bytes(), "https://f.example/uol")
    assert "simulações" in uol.candidates[0].title
    jn = parse_feed((FEEDS / "encoding.rss").read_bytes(), "https://f.example/jn")
    assert jn.candidates[0].title == "Mãe de utente é a nova presidente da Raríssimas"


@needs_corpus
def test_rss_092_without_dates_lists_undated_items() -> None:
    listing = parse_feed((FEEDS / "heraldsun.rss").read_bytes(), "https://f.example/h")
    assert [c.published for c in listing.candidates] == [None, None]


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


@needs_corpus
def test_news_sitemaps_give_publication_dates_and_titles() -> None:
    for name in ("sitemap-news.xml", "shinpaideshou-news-sitemap.xml"):
        listing = parse_sitemap((FEEDS / name).read_bytes(), f"https://maps.example/{name}")
        assert all(c.published for c in listing.candidates), name
        assert all(c.title for c in listing.candidates), name


@needs_corpus
def test_every_real_feed_and_sitemap_has_a_test() -> None:
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    files = {f.name for f in FEEDS.iterdir() if not f.name.startswith("LICENSE")}
    assert {name for name in files if f'"{name}"' not in source} == set()


def test_localised_rfc822_dates() -> None:
    assert parse_date("Seg, 24 Set 2018 19:42:40 -0300").isoformat() == "2018-09-24T19:42:40-03:00"
    assert parse_date("Di, 3 Mär 2020 10:00:00 +0100").isoformat() == "2020-03-03T10:00:00+01:00"
    assert parse_date("mer., 5 févr. 2020 10:00:00 +0100").month == 2
    assert parse_date("not a date") is None


LOADED_ON_USE = """
import sys
from extractors.listings.discover import parse_feed, parse_homepage
from storage import hosts, repo
from storage.db import transaction
from storage.models import utcnow
import flows.ingest
url, feed = sys.argv[1], sys.stdin.buffer.read()
def saw():
    return sorted({"lxml", "sqlalchemy.dialects.postgresql"} & set(sys.modules))
parse_feed(feed, "https://news.example.com/rss.xml")
transaction(url, lambda s: repo.record_failure(s, "https://news.example.com/x", "s", "http", "500"),
            "a failure")
robots = hosts.Robots("https://news.example.com", "allowed", "", None, "", utcnow())
transaction(url, lambda s: hosts.save_robots(s, [robots]), "robots")
print(saw())
parse_homepage(b"<html><body><a href='/a/story-one'>One</a></body></html>",
               "https://news.example.com/")
print(saw())
"""


def test_a_feed_run_on_sqlite_loads_neither_lxml_nor_postgresqls_dialect(tmp_path: Path) -> None:
    """The flow's process imports a parser or a database dialect when it first needs one:
    reading feeds and storing into SQLite loads neither lxml (front pages only) nor
    PostgreSQL's dialect (5.5 and 2.4 MB of a process that sits beside the extraction).
    The schema is made first, as an hourly run finds it (migrating imports Alembic's)."""
    from storage import migrate
    from storage.db import make_engine

    url = f"sqlite:///{tmp_path / 'p.db'}"
    migrate.upgrade(make_engine(url))
    done = subprocess.run(
        [sys.executable, "-c", LOADED_ON_USE, url], input=RSS,
        capture_output=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stdout.decode().split("\n")[:2] == ["[]", "['lxml']"]

"""Fuzz of the listing parsers and the article extractor: any bytes, any URL.

`parse_feed`, `parse_sitemap` and `parse_homepage` raise only `DiscoveryFailed` (a
`PactwatchError`) whatever they are given; every candidate they return is a URL that can be
stored, and every item they cannot use is named with a reason (never dropped unseen).
`extract_article` turns any bytes into an `Article` or raises `ExtractionFailed`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from extractors.article.extract import extract_article
from extractors.errors import ExtractionFailed, PactwatchError
from extractors.listings.discover import Listing, parse_feed, parse_homepage, parse_sitemap

LINKS = [
    "http://[::1", "javascript:alert(1)", "data:text/html,x", "mailto:a@b.example",
    "http://\uff58\uff11.example/a", "http://a.example:99999/x", "http://a.example:0/x",
    "http://a.example/%ff%fe", "http://a.example/a\nb", "/rel/2026/11/a-b-c-d", "",
    "http://" + "a" * 300 + "/x", "http://a.example/?q=" + "q" * 10000, "http://a.example/\ud800",
    "&#0;", "http://a.example/\u202e", "https://a.example:-1/", "http://[v1.x]/",
    "//a.example/2026/11/x-y-z-w", "2026/11/relative-story-here", "ftp://a.example/y",
]
LINK = st.one_of(st.sampled_from(LINKS), st.text(max_size=30))
TEXT = st.text(max_size=20)
BASES = st.sampled_from(["http://127.0.0.1:8000/feed", "https://news.example/", "http://[::1",
                         "http://\uff58.example/", ""])
UNSAFE = re.compile(r"[\x00-\x20\x7f\ud800-\udfff]")


def _x(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def rss(links: list[str], titles: list[str]) -> str:
    items = "".join(f"<item><title>{_x(t)}</title><link>{_x(u)}</link><pubDate>{_x(t)}</pubDate>"
                    "</item>" for u, t in zip(links, titles, strict=False))
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel>" \
        "</rss>"


def atom(links: list[str], titles: list[str]) -> str:
    items = "".join(f'<entry><title>{_x(t)}</title><link href="{_x(u)}"/><id>{_x(u)}</id>'
                    f"<updated>{_x(t)}</updated></entry>"
                    for u, t in zip(links, titles, strict=False))
    return f"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>{items}</feed>"


def sitemap(links: list[str], titles: list[str]) -> str:
    items = "".join(f"<url><loc>{_x(u)}</loc><lastmod>{_x(t)}</lastmod></url>"
                    for u, t in zip(links, titles, strict=False))
    return f"<urlset>{items}</urlset>"


def index(links: list[str], titles: list[str]) -> str:
    return "<sitemapindex>" + "".join(f"<sitemap><loc>{_x(u)}</loc></sitemap>"
                                      for u in links) + "</sitemapindex>"


def homepage(links: list[str], titles: list[str]) -> str:
    alternate = f'<link rel="alternate" type="application/rss+xml" href="{_x(links[0])}">'
    anchors = "".join(f'<a href="{_x(u)}">{_x(t)}</a>' for u, t in zip(links, titles, strict=False))
    return f"<html><head>{alternate}</head><body>{anchors}</body></html>"


def json_feed(links: list[str], titles: list[str]) -> str:
    return json.dumps({"items": [{"url": u, "title": t, "date_published": t}
                                 for u, t in zip(links, titles, strict=False)]})


FORMATS = st.sampled_from([rss, atom, sitemap, index, homepage, json_feed])
PARSERS: list[Callable[[bytes, str], Listing]] = [parse_feed, parse_sitemap, parse_homepage]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def _encodings(doc: str) -> list[bytes]:
    return [doc.encode("utf-8", "surrogatepass"), doc.encode("utf-16", "surrogatepass"),
            doc.encode("latin-1", "replace")]


@FUZZ
@given(st.lists(LINK, min_size=1, max_size=5), st.lists(TEXT, min_size=5, max_size=5), FORMATS,
       BASES, st.binary(max_size=30))
@example(["http://[::1", "/news/2026/11/a-long-enough-story-name"], ["a"] * 5, homepage,
         "https://news.example/", b"")
def test_listings_raise_only_discovery_failed_and_name_what_they_cannot_use(
    links: list[str], titles: list[str], render: Callable[[list[str], list[str]], str],
    base: str, junk: bytes,
) -> None:
    for body in _encodings(render(links, titles)):
        for sample in (body, junk + body, body[: len(body) // 2]):
            for parse in PARSERS:
                try:
                    listing = parse(sample, base)
                except PactwatchError:
                    continue
                for url in [c.url for c in listing.candidates] + listing.sitemaps:
                    assert not UNSAFE.search(url), (parse.__name__, url)
                for where, why in listing.unusable:
                    assert where and why and not UNSAFE.search(where)


def test_feed_items_without_a_usable_link_are_named_with_a_reason() -> None:
    body = rss(["javascript:alert(1)", "", "http://[::1", "/news/2026/11/a-b-c-d"],
               ["script", "nothing", "broken", "good"]).encode()
    listing = parse_feed(body, "http://127.0.0.1:8000/feed")
    assert [c.title for c in listing.candidates] == ["script", "good"]
    assert [where for where, _ in listing.unusable] == [
        "http://127.0.0.1:8000/feed#item=nothing", "http://127.0.0.1:8000/feed#item=broken"]
    assert all("no link" in why for _, why in listing.unusable)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.binary(max_size=300), st.lists(st.sampled_from([
    b"<html>", b"<body>", b"<article>", b"<p>", b"Ministers met in Manila. " * 5, b"\x00",
    b"&#0;", b"&#xD800;", b"\xff\xfe", b"<title>", b"</title>", b'<meta charset="x-bogus">',
    b'<script type="application/ld+json">{"@type":"NewsArticle","headline":"\\ud800\\u0000",'
    b'"datePublished":"9999-12-31T23:59:59-14:00","articleBody":"a\\u0000b"}</script>',
]), max_size=14).map(b"".join)), st.sampled_from(["https://news.example/a", "http://[::1"]))
def test_extraction_yields_an_article_or_extraction_failed(page: bytes, url: str) -> None:
    try:
        article = extract_article(page, url)
    except ExtractionFailed as exc:
        assert exc.reason
        return
    assert article.text

"""Issue 19: an article is never lost for its date.

A date valid where it is written can be out of range in UTC, where it is stored
(`0001-01-01T00:00+14:00` is year 0 there, `9999-12-31T23:00-12:00` year 10000); writing it
raised OverflowError and the article was quarantined. Now every date a page or listing gives
passes one rule (`extractors.datetimes.plausible`): in UTC's calendar, from 1990 to a day from
now, else no date from that source, and the next candidate decides. Pages and listings are
ours; storage is real SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from extractors.article.dates import choose_date, parse_stamp, url_date
from extractors.article.extract import extract_article
from extractors.article.model import DateCandidate
from extractors.datetimes import EARLIEST, parse_date, plausible
from extractors.listings.discover import parse_feed, parse_sitemap
from pactwatch.ingest.records import Extracted, Work
from pactwatch.ingest.store import store_batch
from storage.models import ArticleRow
from tests.dbs import db_url, engine, pg_database  # noqa: F401  (fixtures)
from tests.servers import html_page

# Valid where written, out of range in UTC; then absurd but representable ones.
UNSTORABLE = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-12:00"]
ABSURD = ["1970-01-01T00:00:00Z", "2999-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z"]
BAD = UNSTORABLE + ABSURD
RFC822_BAD = ["Mon, 01 Jan 0001 00:00:00 +1400", "Fri, 31 Dec 9999 23:00:00 -1200"]
FIXED = datetime(2026, 11, 27, 12, tzinfo=UTC)
URL = "https://news.example.org/2026/11/20/talks-resume"
URL_DAY = datetime(2026, 11, 20, 12, tzinfo=UTC)


def json_ld_page(published: str, meta: bool = False, title: str = "Talks resume") -> bytes:
    """A page whose JSON-LD (and, with `meta`, its <meta> tag) gives `published`."""
    ld = json.dumps({"@type": "NewsArticle", "headline": title,
                     "datePublished": published, "dateModified": published})
    page = html_page(title).replace(
        b"content='2026-11-20T09:00:00+09:00'", f"content='{published}'".encode() if meta
        else b"content='2026-11-20T09:00:00+09:00'")
    return page.replace(b"</head>", f'<script type="application/ld+json">{ld}</script></head>'
                        .encode())


@pytest.mark.parametrize("value", BAD + RFC822_BAD)
def test_a_date_out_of_range_or_absurd_is_no_date(value: str) -> None:
    assert parse_date(value) is None
    assert parse_stamp(value) is None


def test_the_rule_keeps_the_written_offset_and_its_bounds() -> None:
    tokyo = datetime(2026, 11, 28, 8, tzinfo=timezone(timedelta(hours=9)))
    assert plausible(tokyo, FIXED) is tokyo
    assert plausible(FIXED + timedelta(days=1), FIXED) == FIXED + timedelta(days=1)
    assert plausible(FIXED + timedelta(days=1, seconds=1), FIXED) is None
    assert plausible(EARLIEST, FIXED) == EARLIEST
    assert plausible(EARLIEST - timedelta(seconds=1), FIXED) is None
    assert plausible(datetime(2024, 3, 5), FIXED) == datetime(2024, 3, 5, tzinfo=UTC)
    assert parse_date("2026-11-29T00:00:00Z", now=FIXED) is None
    assert parse_date("2026-11-28T00:00:00Z", now=FIXED) is not None
    # A four-digit year is read as written (the standard library made 0001 into 2001).
    assert parse_date("24 Sep 18 10:00 +0100") == datetime(
        2018, 9, 24, 10, tzinfo=timezone(timedelta(hours=1)))
    assert url_date("https://news.example.org/1985/01/02/old") is None


@pytest.mark.parametrize("value", BAD)
def test_a_page_with_such_a_json_ld_date_is_dated_by_the_next_candidate(value: str) -> None:
    article = extract_article(json_ld_page(value), URL)
    assert article.published == datetime(2026, 11, 20, 9, tzinfo=timezone(timedelta(hours=9)))
    assert [c.origin for c in article.date_candidates][:1] == ["meta"]
    assert article.modified is None

    hint = DateCandidate(origin="feed", value=datetime(2026, 11, 21, 6, tzinfo=UTC))
    alone = extract_article(json_ld_page(value, meta=True), URL, hints=[hint])
    assert alone.published == hint.value
    assert extract_article(json_ld_page(value, meta=True), URL).published == URL_DAY


def test_a_hint_made_elsewhere_is_held_to_the_same_rule() -> None:
    year_zero = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    later = datetime(2026, 11, 21, tzinfo=UTC)
    assert choose_date([DateCandidate(origin="json-ld", value=year_zero),
                        DateCandidate(origin="feed", value=later)]) == later
    assert choose_date([DateCandidate(origin="json-ld", value=year_zero)]) is None


def _rss(stamps: list[str]) -> bytes:
    items = "".join(f"<item><title>t{n}</title><link>https://news.example.org/a/{n}</link>"
                    f"<pubDate>{s}</pubDate></item>" for n, s in enumerate(stamps))
    return f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()


def test_feed_and_sitemap_items_with_such_dates_are_kept_undated() -> None:
    good = "2026-11-20T09:00:00+09:00"
    stamps = [*BAD, *RFC822_BAD, good]
    feeds = {
        "rss": _rss(stamps),
        "atom": ("<feed xmlns='http://www.w3.org/2005/Atom'><title>t</title>" + "".join(
            f"<entry><title>t{n}</title><link href='https://news.example.org/a/{n}'/>"
            f"<id>urn:x:{n}</id><updated>{s}</updated></entry>" for n, s in enumerate(stamps)
        ) + "</feed>").encode(),
        "json": json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
            {"id": str(n), "url": f"https://news.example.org/a/{n}", "date_published": s}
            for n, s in enumerate(stamps)]}).encode(),
    }
    want = [None] * (len(stamps) - 1) + [parse_date(good)]
    for kind, body in feeds.items():
        listing = parse_feed(body, "https://news.example.org/feed")
        assert [c.published for c in listing.candidates] == want, kind
        assert len(listing.candidates) == len(stamps) and not listing.unusable, kind
    sitemap = "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>" + "".join(
        f"<url><loc>https://news.example.org/a/{n}</loc><lastmod>{s}</lastmod></url>"
        for n, s in enumerate(stamps)) + "</urlset>"
    listing = parse_sitemap(sitemap.encode(), "https://news.example.org/sitemap.xml")
    assert [c.published for c in listing.candidates] == want


@pytest.mark.parametrize("value", UNSTORABLE)
def test_such_a_page_is_stored_with_a_sane_date_on_both_backends(
    engine: Engine, value: str  # noqa: F811
) -> None:
    pages = {
        URL: extract_article(json_ld_page(value), URL),
        URL + "-2": extract_article(json_ld_page(value, True, "Talks end"), URL + "-2"),
    }
    batch = [Extracted(Work(url, "src"), article, (), None, url)
             for url, article in pages.items()]
    with Session(engine) as s, s.begin():
        stored = store_batch(s, batch, [], "v1")
    assert stored.new == 2
    with Session(engine) as s:
        rows = {r.url: r for r in s.exec(select(ArticleRow))}
    assert rows[URL].published == datetime(2026, 11, 20, 0, tzinfo=UTC)
    assert rows[URL + "-2"].published == URL_DAY
    assert "json-ld" not in {c["origin"] for c in rows[URL].date_candidates}

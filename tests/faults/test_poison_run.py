"""Issue 19, whole: a run whose listings hold every kind of poison item this suite knows
completes, stores every good article on SQLite and PostgreSQL, records each bad item with its
reason, and the next run does not fail on them.

The items: a host name IDNA refuses (fullwidth), a 10,000-character URL, a page that makes
its batch raise (the database refuses its row: quarantined), a page repeating two names tens
of thousands of times (mentions capped, with a note), a page with a megabyte <title> (stored,
title capped), a source listing more new items than its per-run cap (the rest deferred), and
a sitemap index with more children than are read per source (each unread child recorded).
Next to them, pages with dates out of range in UTC (year 0, year 10000): stored, dated by
their <meta> tag.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from extractors.article.titles import MAX_TITLE_CHARS
from pactwatch.ingest.discovery import MAX_SITEMAPS_PER_SOURCE
from pactwatch.ingest.extraction import MAX_MENTIONS_PER_ENTITY, MENTIONS_CAPPED
from storage import quarantine
from storage.db import engine_for
from storage.models import ArticleRow, FetchFailureRow, MentionRow
from tests.dbs import db_url, pg_database  # noqa: F401 - the session's PostgreSQL
from tests.faults.hostile_site import fault_env
from tests.faults.poison_site import (
    POISON_PILL,
    REFUSAL,
    PoisonSite,
    dated_page,
    refuse_poison_pills,
)
from tests.servers import Route, html_page

pytestmark = pytest.mark.slow
POISON = f"/news/2026/11/a-{POISON_PILL}-the-database-refuses"
SPAM = "/news/2026/11/two-names-over-and-over-again"
TITLED = "/news/2026/11/a-page-with-a-megabyte-title"
CHILDREN = MAX_SITEMAPS_PER_SOURCE + 10
FULLWIDTH = "http://\uff58\uff11.example/news/2026/11/fullwidth-host"
LONG = "/news/2026/11/" + "long-" * 2000
FLOOD = 12
# Valid where written, out of range in UTC: these made store_batch raise OverflowError.
CALENDAR = {"/news/2026/11/dated-in-year-zero-utc": "0001-01-01T00:00:00+14:00",
            "/news/2026/11/dated-in-year-ten-thousand-utc": "9999-12-31T23:00:00-12:00"}
META_DATE = datetime(2026, 11, 20, 0, tzinfo=UTC)  # html_page's <meta>, 09:00 at +09:00
CAP = 4


def spam_page() -> bytes:
    body = "".join(
        "<p>" + "".join(f"Fumio Kishida met Anthony Albanese, round {n}-{i}. "
                        for i in range(40)) + "</p>"
        for n in range(100)
    )
    return f"<html><body><article><h1>Again</h1>{body}</article></body></html>".encode()


def titled_page() -> bytes:
    page = html_page("Visiting forces").replace(b"<h1>Visiting forces</h1>", b"")
    return page.replace(b"<title>Visiting forces | Test Post</title>",
                        b"<title>" + b"Visiting forces " * 65_000 + b"</title>")


def build(site: PoisonSite) -> None:
    for n in range(3):
        site.add_good(f"/news/2026/11/good-report-number-{n}", f"Good report {n}")
    site.add_poison(POISON, html_page("Refused"), "makes its batch raise")
    for n, (path, stamp) in enumerate(CALENDAR.items()):
        site.add_good(path, "unused")
        site.route(path, dated_page(f"Calendar edge {n}", stamp))
    site.add_link(FULLWIDTH)
    site.add_good(LONG, "A report under a very long address")
    site.add_good(SPAM, "unused")
    site.route(SPAM, spam_page())
    site.add_good(TITLED, "unused")
    site.route(TITLED, titled_page())
    index = "".join(f"<sitemap><loc>{site.url(f'/maps/{n}.xml')}</loc></sitemap>"
                    for n in range(CHILDREN))
    site.routes["/index.xml"] = Route(200, f"<sitemapindex>{index}</sitemapindex>".encode(),
                                      {"Content-Type": "application/xml"})
    for n in range(CHILDREN):
        site.routes[f"/maps/{n}.xml"] = Route(200, b"<urlset></urlset>",
                                              {"Content-Type": "application/xml"})
    urls = "".join(f"<url><loc>{site.url(f'/flood/2026/11/flood-story-number-{n}')}</loc></url>"
                   for n in range(FLOOD))
    site.routes["/flood.xml"] = Route(200, f"<urlset>{urls}</urlset>".encode(),
                                      {"Content-Type": "application/xml"})
    for n in range(FLOOD):
        site.routes[f"/flood/2026/11/flood-story-number-{n}"] = Route(
            200, html_page(f"Flood story {n}"))


def sources_yaml(site: PoisonSite) -> str:
    return (
        "sources:\n"
        f"  - {{name: poison, feeds: ['{site.url('/feed')}'], delay: 0, concurrency: 4}}\n"
        f"  - {{name: wide, sitemaps: ['{site.url('/index.xml')}'], delay: 0, concurrency: 4}}\n"
        f"  - {{name: flood, sitemaps: ['{site.url('/flood.xml')}'], delay: 0,"
        f" max_new_per_run: {CAP}}}\n"
    )


def test_a_run_full_of_poison_completes_and_the_next_one_too(
    prefect_harness: None, db_url: str, tmp_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.ingest import ingest_flow

    for key, value in {**fault_env(), "PACTWATCH_DATABASE_URL": db_url,
                       "PACTWATCH_OUT_DIR": str(tmp_path / "out"),
                       "PACTWATCH_OUTBOX_DIR": str(tmp_path / "outbox"),
                       "PACTWATCH_TOTAL_TIMEOUT": "30"}.items():
        monkeypatch.setenv(key, value)
    refuse_poison_pills(db_url)
    with PoisonSite() as site:
        build(site)
        sources = tmp_path / "sources.yaml"
        sources.write_text(sources_yaml(site), encoding="utf-8")
        first = ingest_flow(sources_file=str(sources))
        good = {site.url(p) for p in site.good}
        poison_url = site.url(POISON)

        with Session(engine_for(db_url)) as session:
            stored = {a.url: a for a in session.exec(select(ArticleRow))}
            held = {row.url: row.reason for row in quarantine.quarantined(session)}
            failures = {f.url: f for f in session.exec(select(FetchFailureRow))}
            spam_rows = session.exec(
                select(func.count()).select_from(MentionRow)
                .where(MentionRow.article_id == stored[site.url(SPAM)].id)).one()
        assert good <= set(stored) and poison_url not in stored
        assert {stored[site.url(p)].published for p in CALENDAR} == {META_DATE}
        assert len(site.url(LONG)) > 10_000 and site.url(LONG) in stored
        assert failures[FULLWIDTH].kind == "bad-url" and failures[FULLWIDTH].detail
        assert len([u for u in stored if "/flood/" in u]) == CAP
        assert first["deferred"] == {"flood": FLOOD - CAP}
        assert list(held) == [poison_url] and REFUSAL in held[poison_url]
        assert failures[site.url(SPAM)].kind == MENTIONS_CAPPED
        assert spam_rows == 2 * MAX_MENTIONS_PER_ENTITY
        assert len(stored[site.url(TITLED)].title) <= MAX_TITLE_CHARS
        assert "officials met again" in stored[site.url(TITLED)].text
        unread = [f for f in failures.values() if f.kind == "sitemap-not-read"]
        assert len(unread) == CHILDREN - (MAX_SITEMAPS_PER_SOURCE - 1)  # the index is one

        # The next run: the feed lists the poison again next to a new article.
        site.add_good("/news/2026/11/good-report-number-9", "Good report 9")
        fetched = site.hits(POISON)
        second = ingest_flow(sources_file=str(sources))
        assert site.hits(POISON) == fetched
        with Session(engine_for(db_url)) as session:
            after = set(session.exec(select(ArticleRow.url)).all())
        assert site.url("/news/2026/11/good-report-number-9") in after
        assert len([u for u in after if "/flood/" in u]) == 2 * CAP  # the deferred, next
        assert second["deferred"] == {"flood": FLOOD - 2 * CAP}

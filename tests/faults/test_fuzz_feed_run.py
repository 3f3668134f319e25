"""The nastiest feed items the fuzz tests found, next to good articles, in one real run.

Under the Prefect harness, on SQLite and PostgreSQL, a loopback feed lists good pages (one
with a NUL in its JSON-LD headline, one under a percent-encoded invalid UTF-8 path, one as a
relative link, one behind a line break, one with a 10,000-character query) and bad items
(`javascript:`, `data:` and `mailto:` links, `http://[::1`, ports 0 and 99999, a host name in
fullwidth characters, an item with no link). The run completes, stores every good article,
records each bad item with its kind and reason, and the next run completes without a request
for any of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from sqlmodel import Session, select

from extractors.urls import canonical_url
from storage.db import engine_for
from storage.models import ArticleRow, FetchFailureRow
from tests.dbs import db_url, pg_database  # noqa: F401 - the session's PostgreSQL
from tests.faults.hostile_site import fault_env
from tests.faults.poison_site import PoisonSite
from tests.servers import Route, html_page

pytestmark = pytest.mark.slow
NUL_TITLE = "/news/2026/11/a-headline-holding-a-nul-character"
GOOD = {  # path on the site -> how the feed writes the link (relative ones to the feed)
    "/news/2026/11/a-plain-good-report": "{base}/news/2026/11/a-plain-good-report",
    NUL_TITLE: "{base}" + NUL_TITLE,
    "/news/2026/11/%ff%fe-invalid-utf8-path": "{base}/news/2026/11/%ff%fe-invalid-utf8-path",
    "/news/2026/11/a-relative-link-story": "news/2026/11/a-relative-link-story",
    "/news/2026/11/a-line-break-story": "{base}/news/2026/11/a-line-\nbreak-story",
    "/news/2026/11/a-very-long-query": "{base}/news/2026/11/a-very-long-query?q=" + "x" * 10_000,
}
BAD = {  # link as listed -> the failure kind it must leave
    "javascript:alert(1)": "invalid-url",
    "data:text/html,<b>x</b>": "invalid-url",
    "mailto:desk@news.example": "invalid-url",
    "http://[::1": "no-link",
    "http://127.0.0.1:99999/news/2026/11/port": "bad-url",
    "http://\uff58\uff11.example/news/2026/11/fullwidth": "bad-url",
    "": "no-link",
}
NUL_LD = (b'<script type="application/ld+json">{"@type": "NewsArticle", '
          b'"headline": "Ministers \\u0000 met"}</script>')


def feed(site: PoisonSite) -> bytes:
    now = format_datetime(datetime.now(UTC))
    links = [link.format(base=site.url("")) for link in GOOD.values()] + list(BAD)
    items = "".join(
        f"<item><title>item {n}</title>" + (f"<link>{escape(link)}</link>" if link else "")
        + f"<pubDate>{now}</pubDate></item>" for n, link in enumerate(links)
    )
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}"
            "</channel></rss>").encode()


def test_a_feed_of_the_nastiest_items_stores_the_good_and_records_the_bad(
    prefect_harness: None, db_url: str, tmp_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.ingest import ingest_flow

    for key, value in {**fault_env(), "PACTWATCH_DATABASE_URL": db_url,
                       "PACTWATCH_OUT_DIR": str(tmp_path / "out"),
                       "PACTWATCH_OUTBOX_DIR": str(tmp_path / "outbox")}.items():
        monkeypatch.setenv(key, value)
    with PoisonSite() as site:
        for n, path in enumerate(GOOD):
            site.routes[path] = Route(200, html_page(f"Good report {n}"))
        site.routes[NUL_TITLE] = Route(200, html_page("unused").replace(
            b"</head>", NUL_LD + b"</head>"))
        site.routes["/feed"] = Route(200, feed(site), {"Content-Type": "application/rss+xml"})
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        feed_url = site.url("/feed")

        ingest_flow(sources_file=str(sources))
        with Session(engine_for(db_url)) as session:
            stored = {a.url: a for a in session.exec(select(ArticleRow))}
            failures = {f.url: f for f in session.exec(select(FetchFailureRow))}
        assert {site.url(p) for p in GOOD} <= set(stored), sorted(stored)
        assert stored[site.url(NUL_TITLE)].title == "Ministers \ufffd met"
        for link, kind in BAD.items():
            if kind == "no-link":  # no address to key on: named after the feed and the item
                continue
            found = failures.get(canonical_url(link, feed_url))
            assert found is not None and found.kind == kind and found.detail, (link, failures)
        no_link = [f for f in failures.values() if f.kind == "no-link"]
        assert len(no_link) == 2 and all("no link" in f.detail for f in no_link)

        assert site.site is not None
        hits = dict(site.site.hits)
        ingest_flow(sources_file=str(sources))  # the same feed again: nothing fails, no refetch
        assert {p: n for p, n in site.site.hits.items() if p not in ("/feed", "/robots.txt")} \
            == {p: n for p, n in hits.items() if p not in ("/feed", "/robots.txt")}

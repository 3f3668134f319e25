"""Bounded fan-out: a flooding source is capped per run and cannot starve the others; every
child sitemap left unread is recorded. Real loopback sites, real ingest runs."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlmodel import Session, select

from extractors.article.model import DateCandidate
from extractors.listings.sources import Source
from pactwatch.ingest import discovery, records
from pactwatch.settings import load_settings
from storage.db import engine_for
from storage.models import ArticleRow
from tests.faults.hostile_site import fault_env
from tests.servers import HTML, LoopbackServer, Route, html_page, loopback, reply

pytestmark = pytest.mark.slow
FLOOD = 100_000


class FloodSite:
    """/sitemap.xml lists FLOOD article URLs dated today; every /f/N is an article page.
    Article requests are logged in order."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.lock = threading.Lock()
        self.server = LoopbackServer(self.respond)
        base, today = self.server.base_url, date.today().isoformat()
        entries = "".join(
            f"<url><loc>{base}/f/article-number-{n}-of-the-flood</loc><lastmod>{today}</lastmod>"
            "</url>" for n in range(FLOOD)
        )
        self.sitemap = (
            "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            f"{entries}</urlset>"
        ).encode()

    def respond(self, request: BaseHTTPRequestHandler) -> None:
        if request.path == "/sitemap.xml":
            reply(request, 200, self.sitemap, {"Content-Type": "application/xml"})
        elif request.path.startswith("/f/"):
            with self.lock:
                self.log.append("flood")
            reply(request, 200, html_page(f"Flood {request.path}"), {"Content-Type": HTML})
        else:
            reply(request, 404, b"", {"Content-Type": "text/plain"})


def test_a_flooding_source_is_capped_and_the_other_source_goes_first(
    prefect_harness: None, pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from flows.ingest import ingest_flow

    for key, value in {**fault_env(), "PACTWATCH_BATCH_SIZE": "5",
                       "PACTWATCH_MAX_BODY_BYTES": "20000000"}.items():
        monkeypatch.setenv(key, value)
    flood = FloodSite()
    small_paths = [f"/news/2026/11/small-source-story-{n}" for n in range(3)]
    routes: dict[str, Route] = {}
    with flood.server, loopback(routes) as small:
        stamp = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        items = "".join(f"<item><link>{small.url(p)}</link><pubDate>{stamp}</pubDate></item>"
                        for p in small_paths)
        routes["/feed"] = Route(200, f"<rss version='2.0'><channel>{items}</channel></rss>"
                                .encode(), {"Content-Type": "application/rss+xml"})

        def logged(path: str):
            def handler(request: BaseHTTPRequestHandler) -> None:
                with flood.lock:
                    flood.log.append("small")
                reply(request, 200, html_page(f"Small {path}"), {"Content-Type": HTML})
            return handler

        for path in small_paths:
            routes[path] = logged(path)  # type: ignore[assignment]  # a handler route
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            "sources:\n"
            f"  - {{name: flood, sitemaps: ['{flood.server.base_url}/sitemap.xml'], delay: 0,"
            " max_new_per_run: 40, concurrency: 4}\n"
            f"  - {{name: small, feeds: ['{small.url('/feed')}'], delay: 0}}\n",
            encoding="utf-8",
        )
        result = ingest_flow(sources_file=str(sources))

    assert result["deferred"] == {"flood": FLOOD - 40}
    with Session(engine_for(pipeline_env["PACTWATCH_DATABASE_URL"])) as session:
        stored = session.exec(select(ArticleRow.source)).all()
    assert stored.count("flood") == 40
    assert stored.count("small") == 3
    # Batches of 5, two in flight: the small source's three articles are in the first batch,
    # so they are all fetched before the 8th flood article (the third batch starts only
    # once the first is done).
    assert flood.log.count("small") == 3
    small_done = max(i for i, who in enumerate(flood.log) if who == "small")
    assert flood.log[:small_done].count("flood") < 8


def test_fair_share_caps_newest_first_and_interleaves_sources() -> None:
    day = datetime(2026, 11, 27, tzinfo=UTC)

    def work(source: str, n: int) -> records.Work:
        hint = DateCandidate(origin="sitemap", value=day - timedelta(hours=n))
        return records.Work(f"https://{source}.test/{n}", source, (hint,))

    listed = [work("big", n) for n in reversed(range(10))] + [work("small", n) for n in range(2)]
    sources = [Source(name="big", feeds=("https://big.test/f",), max_new_per_run=4),
               Source(name="small", feeds=("https://small.test/f",))]
    taken, deferred = discovery.fair_share(listed, sources)
    assert [w.url for w in taken] == [
        "https://big.test/0", "https://small.test/0", "https://big.test/1",
        "https://small.test/1", "https://big.test/2", "https://big.test/3",
    ]
    assert deferred == {"big": 6}


def test_every_child_sitemap_left_unread_is_recorded() -> None:
    children = 1000
    routes: dict[str, Route] = {}
    with loopback(routes) as site:
        index = "".join(f"<sitemap><loc>{site.url(f'/s/{n}.xml')}</loc></sitemap>"
                        for n in range(children))
        routes["/index.xml"] = Route(200, f"<sitemapindex>{index}</sitemapindex>".encode(),
                                     {"Content-Type": "application/xml"})
        for n in range(children):
            routes[f"/s/{n}.xml"] = Route(200, b"<urlset></urlset>",
                                          {"Content-Type": "application/xml"})
        source = Source(name="wide", sitemaps=(site.url("/index.xml"),), delay=0, concurrency=4)
        settings = load_settings({**fault_env()})
        found = discovery.discover([source], settings, datetime.now(UTC))
    read = [u for u in found.states if "/s/" in u]
    unread = [f for f in found.failures if f.kind == "sitemap-not-read"]
    assert len(read) + len(unread) == children
    assert {f.url for f in unread}.isdisjoint(read)
    assert len(unread) == children - len(read) > 0
    assert str(len(unread)) in unread[0].reason

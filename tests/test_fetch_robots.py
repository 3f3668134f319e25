"""robots.txt per RFC 9309 (extractors/fetch/robots.py) against real loopback servers."""

from __future__ import annotations

import asyncio
from typing import Any

from extractors.errors import FetchFailed
from extractors.fetch.client import Fetcher, HostPolicy, make_client
from extractors.fetch.options import FetchOptions
from extractors.fetch.robots import ROBOTS_MAX_BYTES, RobotsRecord
from extractors.urls import host_key
from tests.dbs import db_url, pg_database  # noqa: F401 - fixtures (SQLite and PostgreSQL)
from tests.servers import Route, hang, html_page, loopback

OPTIONS = FetchOptions(
    allow_private_addresses=True, retries=0, read_timeout=0.5, connect_timeout=0.5,
    total_timeout=5, max_host_wait=2.0,
)
TEXT = {"Content-Type": "text/plain"}


def fetch_all(
    urls: list[str], robots: dict[str, RobotsRecord] | None = None,
    options: FetchOptions = OPTIONS,
) -> tuple[dict[str, Any], dict[str, RobotsRecord]]:
    """Fetch `urls` with one Fetcher; each URL's Page or FetchFailed, and the robots records."""

    async def go() -> tuple[dict[str, Any], dict[str, RobotsRecord]]:
        async with make_client(options) as client:
            fetcher = Fetcher(client, options, {}, HostPolicy(4, 0), robots=robots)

            async def one(url: str) -> Any:
                try:
                    return await fetcher.fetch(url)
                except FetchFailed as exc:
                    return exc

            results = await asyncio.gather(*(one(u) for u in urls))
            return dict(zip(urls, results, strict=True)), fetcher.robots_records()

    return asyncio.run(go())


def pages(paths: list[str]) -> dict[str, Route]:
    return {p: Route(200, html_page(p)) for p in paths}


def kinds(results: dict[str, Any]) -> dict[str, str]:
    return {u.rsplit("/", 1)[-1]: getattr(r, "kind", "ok") for u, r in results.items()}


def test_an_oversized_robots_txt_is_parsed_up_to_500_kib_not_treated_as_allow_all() -> None:
    head = b"User-agent: *\nDisallow: /private\n"
    padding = b"# padding\n" * (ROBOTS_MAX_BYTES // 10 + 1000)
    body = head + padding + b"Disallow: /late\n"  # past the cap: not read
    with loopback({"/robots.txt": Route(200, body, TEXT), **pages(["/private", "/late"])}) as site:
        results, records = fetch_all([site.url("/private"), site.url("/late")])
        assert site.hits.get("/private") is None
    assert kinds(results) == {"private": "robots", "late": "ok"}
    assert records[host_key(site.base_url)].outcome == "too-large"


def test_wildcards_and_the_longest_match_decide() -> None:
    robots = (b"User-agent: *\nDisallow: /*.pdf$\nDisallow: /news/\nAllow: /news/public/\n"
              b"\nUser-agent: pactwatch\nDisallow: /news/\nAllow: /news/public/\n"
              b"Disallow: /*.pdf$\n")
    paths = ["/doc.pdf", "/doc.pdf.html", "/news/secret", "/news/public/a"]
    with loopback({"/robots.txt": Route(200, robots, TEXT), **pages(paths)}) as site:
        results, _ = fetch_all([site.url(p) for p in paths])
    assert kinds(results) == {
        "doc.pdf": "robots", "doc.pdf.html": "ok", "secret": "robots", "a": "ok"
    }


def test_unreachable_robots_disallows_everything_and_4xx_allows_everything() -> None:
    with loopback({"/robots.txt": hang(3), **pages(["/a"])}) as site:
        results, records = fetch_all([site.url("/a")])
        assert site.hits.get("/a") is None, "fetched while robots.txt was unreachable"
    assert kinds(results) == {"a": "timeout"}
    assert "robots.txt unreachable" in results[site.url("/a")].reason
    assert records[host_key(site.base_url)].outcome == "unreachable"
    with loopback({"/robots.txt": Route(403, b"no", TEXT), **pages(["/a"])}) as site:
        results, records = fetch_all([site.url("/a")])
    assert kinds(results) == {"a": "ok"}
    assert records[host_key(site.base_url)].outcome == "allow"


def test_crawl_delay_is_remembered_and_held_back_urls_are_deferred_not_timed_out() -> None:
    robots = Route(200, b"User-agent: *\nCrawl-delay: 30\n", TEXT)
    with loopback({"/robots.txt": robots, **pages(["/1", "/2", "/3"])}) as site:
        first, records = fetch_all([site.url("/1")])
        assert kinds(first) == {"1": "ok"}
        assert records[host_key(site.base_url)].crawl_delay == 30
        # the next batch: the record is used, robots.txt is not read again, and the URLs that
        # would wait 30 s for their turn (over max_host_wait) are deferred, never requested
        later, _ = fetch_all([site.url("/2"), site.url("/3")], robots=records)
        assert site.hits["/robots.txt"] == 1
        assert sorted(kinds(later).values()) == ["deferred", "ok"]
        assert site.hits.get("/2", 0) + site.hits.get("/3", 0) == 1


def test_robots_outcomes_are_remembered_across_runs_in_the_database(
    db_url: str,  # noqa: F811 - the fixture
) -> None:
    """Two runs (two `fetching.fetch` calls, each its own event loop and Fetcher) on SQLite
    and PostgreSQL: the second uses the stored Crawl-delay without reading robots.txt, and
    defers what it holds back instead of failing it as a timeout."""
    from extractors.listings.sources import Source
    from pactwatch.ingest import fetching
    from pactwatch.ingest.records import Work
    from pactwatch.settings import load_settings
    from storage.db import engine_for

    engine_for(db_url)  # the schema, at head
    settings = load_settings({
        "PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true", "PACTWATCH_MAX_HOST_WAIT": "2",
        "PACTWATCH_RETRIES": "0", "PACTWATCH_DATABASE_URL": db_url,
    })
    robots = Route(200, b"User-agent: *\nCrawl-delay: 30\nDisallow: /no\n", TEXT)
    with loopback({"/robots.txt": robots, **pages(["/1", "/2", "/3"])}) as site:
        source = Source(name="s", homepage=site.base_url + "/", delay=0)
        first, _ = fetching.fetch([Work(site.url("/1"), "s")], [source], settings, db_url)
        assert [f.final_url for f in first] == [site.url("/1")]
        work = [Work(site.url(p), "s") for p in ("/2", "/3", "/no")]
        fetched, failures = fetching.fetch(work, [source], settings, db_url)
        assert site.hits["/robots.txt"] == 1, "robots.txt read again in the second run"
    assert len(fetched) == 1
    assert sorted(f.kind for f in failures) == ["deferred", "robots"]
    remembered = fetching.remembered_robots(db_url, [site.base_url])
    assert remembered[host_key(site.base_url)].crawl_delay == 30


def test_a_remembered_crawl_delay_spaces_the_leases_of_later_batches() -> None:
    """The next batch's lease waits the host's Crawl-delay after the last one let go: the
    policy handed to `leases.hold_for` carries the remembered delay."""
    from datetime import UTC, datetime

    from extractors.listings.sources import Source
    from pactwatch.ingest.fetching import host_policies

    source = Source(name="s", homepage="https://news.example/", delay=1, concurrency=2)
    record = RobotsRecord("https://news.example", "rules", datetime.now(UTC), "", 30.0)
    policies = host_policies([source], {record.host: record})
    assert (policies["https://news.example"].delay, policies["https://news.example"].concurrency) \
        == (30.0, 2)
    assert host_policies([source])["https://news.example"].delay == 1


def test_robots_redirects_are_followed_and_a_non_http_one_is_unreachable() -> None:
    moved = Route(301, b"", {"Location": "/real-robots.txt"})
    real = Route(200, b"User-agent: *\nDisallow: /no\n", TEXT)
    routes = {"/robots.txt": moved, "/real-robots.txt": real, **pages(["/no", "/yes"])}
    with loopback(routes) as site:
        results, _ = fetch_all([site.url("/no"), site.url("/yes")])
    assert kinds(results) == {"no": "robots", "yes": "ok"}
    to_file = Route(302, b"", {"Location": "file:///etc/passwd"})
    with loopback({"/robots.txt": to_file, **pages(["/yes"])}) as site:
        results, records = fetch_all([site.url("/yes")])
    assert kinds(results) == {"yes": "robots"}
    assert records[host_key(site.base_url)].outcome == "unreachable"

"""Batch functions against real loopback servers: failure kinds, feed state, pools, stories."""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing import get_context
from pathlib import Path

import pytest
from sqlmodel import Session, select

from extractors.listings.discover import FEED_BACKOFF_MAX, FeedState
from extractors.listings.sources import Source
from pactwatch.ingest import discovery, extraction, fetching, records, workers
from pactwatch.ingest.store import load_feed_states, save_feed_states, store_batch
from pactwatch.sample_site import SampleSite
from pactwatch.settings import load_settings
from storage.db import engine_for
from storage.models import ArticleRow, DiscoveredUrlRow, FetchFailureRow
from tests.servers import Route, hang, html_page, loopback

ENV = {
    "PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true",
    "PACTWATCH_READ_TIMEOUT": "0.5",
    "PACTWATCH_CONNECT_TIMEOUT": "0.5",
    "PACTWATCH_TOTAL_TIMEOUT": "3",
    "PACTWATCH_MAX_BODY_BYTES": "200000",
    "PACTWATCH_RETRIES": "1",
    "PACTWATCH_RETRY_BACKOFF": "0.01",
    "PACTWATCH_MAX_REDIRECTS": "3",
}
SETTINGS = load_settings(ENV)
WATCHLIST = SETTINGS.watchlist_file
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def source_for(base_url: str, **fields) -> Source:
    return Source(name="test", homepage=None, feeds=(base_url + "/feed",), delay=0, **fields)


# --- every failure kind, through fetching.fetch / extraction.extract and into storage -------------


def test_every_failure_kind_is_a_row_and_the_rest_is_stored(sqlite_url: str) -> None:
    routes = {
        "/robots.txt": Route(200, b"User-agent: *\nDisallow: /private/\n",
                             {"Content-Type": "text/plain"}),
        "/good": Route(200, html_page("Good news from the talks")),
        "/empty": Route(200, b"<!doctype html><html><head><title>Nothing</title></head>"
                             b"<body><img src='a.png'></body></html>"),
        "/private/page": Route(200, html_page("Secret")),
        "/hang": hang(3),
        "/missing": Route(404, b"gone"),
        "/loop": Route(302, headers={"Location": "/loop2"}),
        "/loop2": Route(302, headers={"Location": "/loop"}),
        "/huge": Route(200, b"<html>" + b"x" * 300_000),
        "/zstd": Route(200, b"(\xb5/\xfd..", {"Content-Encoding": "zstd"}),
        "/file.pdf": Route(200, b"%PDF-1.4", {"Content-Type": "application/pdf"}),
    }
    with loopback(routes) as site, loopback({}) as closed:
        gone = closed.url("/anything")
    with loopback(routes) as site:
        paths = [p for p in routes if p not in ("/robots.txt", "/loop2")]
        work = [records.Work(site.url(p), "test") for p in paths]
        work += [records.Work("javascript:alert(1)", "test"), records.Work(gone, "test")]
        sources = [source_for(site.base_url)]
        fetched, fetch_failures = fetching.fetch(work, sources, SETTINGS)
        strict = load_settings({**ENV, "PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "false"})
        _, refused = fetching.fetch([records.Work(site.url("/good?x=1"), "test")], sources, strict)
        assert "/good?x=1" not in site.hits  # refused before any request
        assert "/private/page" not in site.hits
    extracted, extract_failures = extraction.extract(fetched, WATCHLIST)

    kinds = {f.url.replace(site.base_url, ""): f.kind for f in fetch_failures + refused}
    kinds.update({f.url.replace(site.base_url, ""): f.kind for f in extract_failures})
    assert kinds == {
        "/private/page": "robots",
        "/hang": "timeout",
        gone.replace(site.base_url, ""): "connection",
        "/missing": "http-status",
        "/loop": "redirect",
        "/huge": "too-large",
        "/zstd": "bad-encoding",
        "/file.pdf": "not-html",
        "javascript:alert(1)": "invalid-url",
        "/good?x=1": "forbidden-address",
        "/empty": "extraction",
    }
    assert [e.work.url for e in extracted] == [site.url("/good")]

    engine = engine_for(sqlite_url)
    with Session(engine) as session, session.begin():
        stored = store_batch(session, extracted, fetch_failures + refused + extract_failures, "v")
    assert (stored.new, stored.failures) == (1, 11)
    with Session(engine) as session:
        rows = {r.url: r for r in session.exec(select(FetchFailureRow))}
        articles = session.exec(select(ArticleRow.url)).all()
    assert articles == [site.url("/good")]
    assert rows[site.url("/missing")].detail == "HTTP 404"
    assert "robots.txt" in rows[site.url("/private/page")].detail
    assert "cap" in rows[site.url("/huge")].detail
    assert {r.kind for r in rows.values()} == set(kinds.values())


# --- feed state: conditional GET, lying ETags, backoff ----------------------------------


class Feed:
    """A feed whose body, ETag and honesty the test changes between rounds."""

    def __init__(self) -> None:
        self.items = ["a"]
        self.etag = '"v1"'
        self.honest = True
        self.status = 200
        self.seen: list[dict[str, str]] = []

    def body(self) -> bytes:
        items = "".join(
            f"<item><title>{i}</title><link>http://x.example/{i}-story</link>"
            f"<pubDate>{format_datetime(NOW - timedelta(hours=1))}</pubDate></item>"
            for i in self.items
        )
        return f"<rss version='2.0'><channel><title>T</title>{items}</channel></rss>".encode()

    def __call__(self, request) -> None:
        self.seen.append(dict(request.headers))
        if self.status != 200:
            request.send_response(self.status)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        if self.honest and request.headers.get("If-None-Match") == self.etag:
            request.send_response(304)
            request.send_header("ETag", self.etag)
            request.end_headers()
            return
        body = self.body()
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("ETag", self.etag)
        request.send_header("Last-Modified", "Fri, 20 Nov 2026 10:00:00 GMT")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)


def test_conditional_get_and_content_hash_decide_what_is_new() -> None:
    feed = Feed()
    with loopback({"/feed": feed}) as site:
        sources = [source_for(site.base_url)]
        url = site.url("/feed")

        first = discovery.discover(sources, SETTINGS, NOW, states={})
        assert [w.url for w in first.work] == ["http://x.example/a-story"]
        assert first.work[0].hints[0].origin == "feed"  # the feed's date is a date candidate
        state = first.states[url]
        assert (state.etag, state.last_modified) == ('"v1"', "Fri, 20 Nov 2026 10:00:00 GMT")

        second = discovery.discover(sources, SETTINGS, NOW, states=first.states)
        assert second.work == [] and feed.seen[-1]["If-None-Match"] == '"v1"'
        assert feed.seen[-1]["If-Modified-Since"] == "Fri, 20 Nov 2026 10:00:00 GMT"

        feed.honest = False  # same body, 200 anyway: the hash says nothing changed
        assert discovery.discover(sources, SETTINGS, NOW, states=second.states).work == []

        feed.items = ["a", "b"]  # new body under the old ETag: the hash says it changed
        third = discovery.discover(sources, SETTINGS, NOW, states=second.states)
        assert {w.url for w in third.work} == {"http://x.example/a-story", "http://x.example/b-story"}
        assert third.states[url].content_hash != second.states[url].content_hash


def test_failing_feeds_back_off_and_are_reported() -> None:
    feed = Feed()
    feed.status = 500
    no_retry = load_settings({**ENV, "PACTWATCH_RETRIES": "0"})
    with loopback({"/feed": feed}) as site:
        sources = [source_for(site.base_url)]
        url = site.url("/feed")
        first = discovery.discover(sources, no_retry, NOW, states={})
        assert [(f.kind, f.reason) for f in first.failures] == [("http-status", "HTTP 500")]
        assert first.states[url].failures == 1
        assert first.states[url].next_try == NOW + timedelta(hours=1)

        later = discovery.discover(
            sources, no_retry, NOW + timedelta(minutes=30), states=first.states
        )
        assert len(feed.seen) == 1  # not fetched while backing off
        assert [f.kind for f in later.failures] == ["feed-backoff"]
        assert "failed 1 times" in later.failures[0].reason

        again = discovery.discover(sources, no_retry, NOW + timedelta(hours=2), states=later.states)
        assert len(feed.seen) == 2 and again.states[url].failures == 2
        assert again.states[url].next_try == NOW + timedelta(hours=4)

        feed.status = 200
        healed = discovery.discover(
            sources, no_retry, NOW + timedelta(hours=5), states=again.states
        )
        assert healed.failures == [] and healed.states[url].failures == 0
        assert healed.states[url].next_try is None

    state = FeedState(url, "test")
    for _ in range(12):
        state = state.failed("connection: refused", NOW)
    assert state.next_try == NOW + FEED_BACKOFF_MAX  # capped at a day, never a tight loop


def test_unchanged_sitemap_index_still_reads_its_children() -> None:
    child_items = ["one"]

    def child(request) -> None:
        urls = "".join(
            f"<url><loc>http://x.example/{i}-story</loc><lastmod>{NOW.isoformat()}</lastmod></url>"
            for i in child_items
        )
        body = f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>"
        request.send_response(200)
        request.send_header("Content-Type", "application/xml")
        request.send_header("Content-Length", str(len(body.encode())))
        request.end_headers()
        request.wfile.write(body.encode())

    with loopback({}) as site:
        index = (
            "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><sitemap>"
            f"<loc>{site.url('/child.xml')}</loc></sitemap></sitemapindex>"
        ).encode()
        site.routes["/index.xml"] = Route(200, index, {"Content-Type": "application/xml"})
        site.routes["/child.xml"] = child
        sources = [Source(name="test", sitemaps=(site.url("/index.xml"),), delay=0)]
        first = discovery.discover(sources, SETTINGS, NOW, states={})
        assert [w.url for w in first.work] == ["http://x.example/one-story"]
        child_items.append("two")
        second = discovery.discover(sources, SETTINGS, NOW, states=first.states)
    assert {w.url for w in second.work} == {
        "http://x.example/one-story",
        "http://x.example/two-story",
    }
    assert site.hits["/index.xml"] == 2 and site.hits["/child.xml"] == 2


def test_feed_states_persist_in_the_database(sqlite_url: str) -> None:
    feed = Feed()
    settings = load_settings({**ENV, "PACTWATCH_DATABASE_URL": sqlite_url})
    engine = engine_for(sqlite_url)

    def discover_as_the_flow_does(sources: list) -> records.Discovery:
        with Session(engine) as session:
            states = load_feed_states(session, [s.name for s in sources])
        found = discovery.discover(sources, settings, NOW, states=states)
        with Session(engine) as session, session.begin():
            save_feed_states(session, found.states.values())
        return found

    with loopback({"/feed": feed}) as site:
        sources = [source_for(site.base_url)]
        first = discover_as_the_flow_does(sources)
        second = discover_as_the_flow_does(sources)
        assert len(first.work) == 1 and second.work == []
        assert feed.seen[-1]["If-None-Match"] == '"v1"'
    with Session(engine) as session:
        stored = load_feed_states(session, ["test"])
    assert stored == second.states
    failing = replace(stored[site.url("/feed")], failures=3, next_try=NOW)
    with Session(engine) as session, session.begin():
        save_feed_states(session, [failing])
    with Session(engine) as session:
        assert load_feed_states(session, ["test"])[failing.url] == failing


# --- extraction pool ------------------------------------------------------------------


def _double_or_die(x: int) -> int:
    if x == 3:
        os._exit(1)  # a worker killed mid-page, as a segfault or the OOM killer would
    return x * 2


def _forkserver_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=get_context("forkserver"))


def test_a_dying_worker_costs_only_its_own_job() -> None:
    pool = _forkserver_pool(2)
    try:
        results, broke = workers.map_resilient(
            _double_or_die, list(range(10)), pool, lambda: _forkserver_pool(1), chunksize=2
        )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    assert broke
    assert results == [0, 2, 4, workers.WORKER_DIED, 8, 10, 12, 14, 16, 18]


def test_pool_and_inline_extraction_agree() -> None:
    pages = [html_page(f"Talks on visiting forces, round {i}") for i in range(10)]
    urls = [f"http://x.example/{i}-story" for i in range(10)]
    pairs = zip(urls, pages, strict=True)
    fetched = [records.Fetched(records.Work(u, "t"), u, p) for u, p in pairs]
    pooled, failed = extraction.extract(fetched, WATCHLIST, workers=2)
    inline, _ = extraction.extract(fetched, WATCHLIST, workers=1)
    assert failed == [] and len(pooled) == 10
    assert [e.article for e in pooled] == [e.article for e in inline]


def test_a_batch_with_nothing_fetched_builds_no_tagger_in_the_flows_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every URL of a batch failed or was deferred: nothing to extract, so the flow's own
    process does not build the watchlist's tagger (memory and time) for it."""
    monkeypatch.setattr(extraction, "_TAGGER", None)
    assert extraction.extract([], WATCHLIST, workers=2) == ([], [])
    assert extraction._TAGGER is None


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate", ""])
def test_a_page_waits_as_it_came_and_extracts_the_same(encoding: str) -> None:
    """A page sent compressed is held as sent (not inflated and compressed again), one sent
    plain is compressed here; either way the worker extracts the page the server meant."""
    import gzip
    import zlib

    import brotli

    page = html_page("Talks on visiting forces, encoded")
    sent = {"gzip": gzip.compress, "br": brotli.compress, "deflate": zlib.compress,
            "": lambda body: body}[encoding](page)
    headers = {"Content-Encoding": encoding} if encoding else {}
    with loopback({"/story": Route(200, sent, headers)}) as site:
        work = [records.Work(site.url("/story"), "test")]
        (fetched,), failures = fetching.fetch(work, [source_for(site.base_url)], SETTINGS)
    assert failures == []
    assert fetched.body == page
    if encoding:
        assert (fetched.encoding, fetched.packed) == (encoding, sent)
    else:
        assert fetched.encoding == "deflate" and len(fetched.packed) < len(page)
    (extracted,), _ = extraction.extract([fetched], WATCHLIST, workers=1)
    plain = records.Fetched(records.Work(fetched.work.url, "test"), fetched.final_url, page)
    (expected,), _ = extraction.extract([plain], WATCHLIST, workers=1)
    assert extracted.article == expected.article
    assert "visiting forces" in extracted.article.text


def _grandchildren() -> list[int]:
    """Processes whose parent is a child of this one: forkserver pool workers (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    children = {pid for pid, ppid in parents.items() if ppid == os.getpid()}
    return [pid for pid, ppid in parents.items() if ppid in children]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_pool_survives_a_killed_worker(caplog: pytest.LogCaptureFixture) -> None:
    page = html_page("Talks on visiting forces", paragraphs=400)
    urls = [f"http://x.example/{i}-story" for i in range(64)]  # ~1 s: still running at 0.3 s
    fetched = [
        records.Fetched(records.Work(u, "t"), u, page.replace(b"Talks", f"Talks {i}".encode()))
        for i, u in enumerate(urls)
    ]
    extraction.extract(fetched[:8], WATCHLIST, workers=2)  # start the pool
    workers = list(extraction._pool(str(WATCHLIST), 2)._processes)  # this pool's, not another's
    assert workers and set(workers) <= set(_grandchildren())

    def kill_a_worker() -> None:
        threading.Event().wait(0.3)
        os.kill(workers[0], signal.SIGKILL)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    extracted, failures = extraction.extract(fetched, WATCHLIST, workers=2)
    killer.join()
    assert len(extracted) + len(failures) == 64
    assert all(f.reason == workers.WORKER_DIED for f in failures)
    assert len(failures) <= 1  # the killed worker's page at most; the rest recovered
    assert "worker died" in caplog.text
    again, _ = extraction.extract(fetched[:8], WATCHLIST, workers=2)  # a fresh pool next time
    assert len(again) == 8


# --- identity and stories ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("canonical", "fetched", "stored"),
    [
        ("https://news.example.com/a/story", "https://news.example.com/a/story?utm_source=x",
         "https://news.example.com/a/story"),
        ("https://www.news.example.com/a/story", "https://amp.news.example.com/a/story",
         "https://www.news.example.com/a/story"),
        ("https://original.example.org/a/story", "https://copy.example.net/b/story",
         "https://copy.example.net/b/story"),
        ("https://news.example.com/", "https://news.example.com/a/story",
         "https://news.example.com/a/story"),
    ],
)
def test_identity_url(canonical: str, fetched: str, stored: str) -> None:
    assert extraction.identity_url(canonical, fetched) == stored


def test_republished_copy_joins_the_original_story_and_variants_are_stored_once(
    sqlite_url: str,
) -> None:
    with SampleSite() as site:
        articles = site.articles
        copy = next(a for a in articles if a.syndicated_from)
        original = next(a for a in articles if a.url == copy.syndicated_from)
        other = next(a for a in articles if a not in (copy, original))
        sources = [Source(name="sample", homepage=site.url("/"), delay=0)]
        first_work = [
            records.Work(original.url, original.outlet),
            records.Work(original.url + "?utm_source=rss", original.outlet),
            records.Work(other.url, other.outlet),
        ]
        first, failed = fetching.fetch(first_work, sources, SETTINGS)
        later, _ = fetching.fetch([records.Work(copy.url, copy.outlet)], sources, SETTINGS)
    assert failed == []
    engine = engine_for(sqlite_url)
    for pages in (first, later, later):  # the copy two days later, then replayed
        extracted, _ = extraction.extract(pages, WATCHLIST, workers=1)
        with Session(engine) as session, session.begin():
            stored = store_batch(session, extracted, [], "v")
    assert (stored.new, stored.duplicates) == (0, 1)
    with Session(engine) as session:
        rows = {r.url: r for r in session.exec(select(ArticleRow))}
        discovered = dict(
            session.exec(select(DiscoveredUrlRow.url, DiscoveredUrlRow.article_id)).all()
        )
    assert set(rows) == {original.url, copy.url, other.url}
    assert copy.outlet != original.outlet
    assert rows[copy.url].story == rows[original.url].story != rows[other.url].story
    assert rows[copy.url].fingerprint is not None
    assert discovered[original.url + "?utm_source=rss"] == rows[original.url].id


def test_same_text_under_another_url_of_the_same_source_is_a_duplicate(
    sqlite_url: str, tmp_path: Path
) -> None:
    body = html_page("Ministers agree on the access deal")
    fetched = [
        records.Fetched(records.Work(f"http://x.example/{p}", "x"), f"http://x.example/{p}", body)
        for p in ("news/access-deal-agreed", "print/access-deal-agreed")
    ]
    extracted, _ = extraction.extract(fetched, WATCHLIST, workers=1)
    with Session(engine_for(sqlite_url)) as session, session.begin():
        stored = store_batch(session, extracted, [], "v")
        ids = dict(session.exec(select(DiscoveredUrlRow.url, DiscoveredUrlRow.article_id)).all())
    assert (stored.new, stored.duplicates) == (1, 1)
    assert len(set(ids.values())) == 1 and len(ids) == 2


def test_edited_copy_on_another_source_joins_the_story_by_fingerprint(sqlite_url: str) -> None:
    original = html_page("Ministers agree on the access deal", paragraphs=12)
    edited = original.replace(b"<article><h1>", b"<article><p>Republished with permission.</p><h1>")
    edited = edited.replace(b"Paragraph 11 of", b"Section 11 of")
    unrelated = html_page("Harbour festival draws record crowds", paragraphs=12).replace(
        b"officials met again", b"cooks gathered again"
    )
    pages = [
        ("wire", "http://wire.example/news/access-deal-agreed", original),
        ("daily", "http://daily.example/world/access-deal-agreed-copy", edited),
        ("daily", "http://daily.example/life/harbour-festival-crowds", unrelated),
    ]
    fetched = [records.Fetched(records.Work(u, s), u, b) for s, u, b in pages]
    extracted, _ = extraction.extract(fetched, WATCHLIST, workers=1)
    assert extracted[0].article.content_hash != extracted[1].article.content_hash
    engine = engine_for(sqlite_url)
    for item in extracted:  # one batch each: the match is found in the database
        with Session(engine) as session, session.begin():
            store_batch(session, [item], [], "v")
    with Session(engine) as session:
        story = dict(session.exec(select(ArticleRow.url, ArticleRow.story)).all())
    assert story[pages[0][1]] == story[pages[1][1]] != story[pages[2][1]]


@pytest.mark.parametrize("run_as", ["path", "module"])
def test_workers_do_not_run_the_main_module_again(tmp_path: Path, run_as: str) -> None:
    """multiprocessing would have each worker import the parent's main module again: a flow
    run's is `prefect.engine` (all of Prefect, ~43 MB per worker). Here a main module with no
    `if __name__` guard counts its runs: it runs once, and its batch is extracted by workers."""
    import subprocess
    import sys

    runs = tmp_path / "runs"
    script = tmp_path / "unguarded.py"
    script.write_text(
        f"with open({str(runs)!r}, 'a') as f: f.write('run\\n')\n"
        "from pactwatch.ingest import extraction, records\n"
        "from pactwatch.settings import load_settings\n"
        "from tests.servers import html_page\n"
        "urls = [f'http://x.example/{i}-story' for i in range(10)]\n"
        "fetched = [records.Fetched(records.Work(u, 't'), u, html_page(u)) for u in urls]\n"
        "ok, failed = extraction.extract(fetched, load_settings({}).watchlist_file, workers=2)\n"
        "print('RESULT', len(ok), len(failed))\n",
        encoding="utf-8",
    )
    repo = Path(__file__).resolve().parents[1]
    command = [str(script)] if run_as == "path" else ["-m", "unguarded"]
    done = subprocess.run(
        [sys.executable, *command], cwd=repo, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{repo}"},
    )
    assert "RESULT 10 0" in done.stdout, done.stderr[-2000:]
    assert runs.read_text() == "run\n"
    assert "in this process" not in done.stderr  # no fallback: the workers did the batch

"""Backfill: chunks and resume after a kill, WARC input, re-tagging; the plain planning and
report functions it uses."""

from __future__ import annotations

import functools
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlmodel import Session, func, select

from extractors.article.model import DateCandidate
from pactwatch.ingest import chunks, reports
from pactwatch.ingest.records import Work
from pactwatch.sample_site import SampleSite
from pactwatch.sample_site.server import LoopbackHTTPServer
from storage.db import engine_for
from storage.models import ArticleRow, BackfillChunkRow, MentionRow

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def site() -> Iterator[SampleSite]:
    with SampleSite() as running:
        yield running


def _article_requests(site: SampleSite) -> Counter[str]:
    paths = {urlsplit(a.url).path for a in site.articles}
    return Counter(urlsplit(p).path for _, p in site.requests if urlsplit(p).path in paths)


def _stored(database_url: str) -> set[str]:
    with Session(engine_for(database_url)) as session:
        return set(session.exec(select(ArticleRow.url)).all())


@pytest.mark.slow
def test_killed_backfill_resumes_and_fetches_nothing_twice(
    prefect_harness: None, pipeline_env: dict[str, str], site: SampleSite, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    from flows.backfill import backfill_flow

    sources = tmp_path / "sources.yaml"
    sources.write_text(site.sources_yaml(), encoding="utf-8")
    first, last = site.today - timedelta(days=14), site.today
    url = pipeline_env["PACTWATCH_DATABASE_URL"]
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()),
           "PACTWATCH_BATCH_SIZE": "2"}
    command = [str(Path(sys.executable).parent / "pactwatch"), "backfill", "--start", str(first),
               "--end", str(last), "--sources", str(sources)]
    run = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(_stored(url)) < 4 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    before = _stored(url)
    assert 4 <= len(before) < len(site.articles), "kill the backfill half-way"
    fetched_before = _article_requests(site)

    site.clear_requests()
    again = backfill_flow(start=first, end=last, sources_file=str(sources))
    refetched = _article_requests(site)
    assert not [u for u in before if urlsplit(u).path in refetched], "stored, then fetched again"
    assert _stored(url) == {a.url for a in site.articles}
    assert again["chunks_done_before"] > 0
    assert set(fetched_before) | set(refetched) == {urlsplit(a.url).path for a in site.articles}

    site.clear_requests()
    third = backfill_flow(start=first, end=last, sources_file=str(sources))
    assert third["chunks_worked"] == 0 and not _article_requests(site) and not site.requests
    with Session(engine_for(url)) as session:
        states = Counter(session.exec(select(BackfillChunkRow.state)).all())
    assert states == {"done": 3 * 15}


def _warc(site: SampleSite, path: Path, outlet: str) -> list[str]:
    """A WARC (gzipped records) of the outlet's article pages, captured when published."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    urls = []
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for article in site.articles:
            if article.outlet != outlet:
                continue
            body = httpx.get(article.url).content
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                       protocol="HTTP/1.1")
            when = article.published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            record = writer.create_warc_record(
                article.url, "response", payload=io.BytesIO(body),
                http_headers=headers, warc_headers_dict={"WARC-Date": when},
            )
            writer.write_record(record)
            urls.append(article.url)
    return urls


@pytest.fixture()
def file_server(tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    httpd = LoopbackHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.slow
def test_backfill_reads_a_warc_by_url_then_retags(
    prefect_harness: None,
    pipeline_env: dict[str, str],
    site: SampleSite,
    tmp_path: Path,
    file_server: str,
) -> None:
    from flows.backfill import backfill_flow

    sources = tmp_path / "sources.yaml"
    sources.write_text(site.sources_yaml(), encoding="utf-8")
    archived = _warc(site, tmp_path / "served" / "news.warc.gz", "meridian-wire")
    site.clear_requests()
    first, last = site.today - timedelta(days=14), site.today
    result = backfill_flow(start=first, end=last, sources=["meridian-wire"],
                           warc_files=[f"{file_server}/news.warc.gz"], sources_file=str(sources))
    url = pipeline_env["PACTWATCH_DATABASE_URL"]
    assert archived and set(archived) <= _stored(url)
    assert not _article_requests(site), "archived pages are read from the WARC, not fetched"
    assert result["stored"] == len(archived)

    with Session(engine_for(url)) as session:
        mentions = session.exec(select(func.count()).select_from(MentionRow)).one()
    retagged = backfill_flow(start=first, end=last, sources=["meridian-wire"], retag_only=True,
                             sources_file=str(sources))
    assert retagged["retagged"] == len(archived) and retagged["mentions"] == mentions
    with Session(engine_for(url)) as session:
        assert session.exec(select(func.count()).select_from(MentionRow)).one() == mentions


def test_a_warc_url_is_downloaded_through_redirects_each_one_vetted(tmp_path: Path) -> None:
    from extractors.errors import FetchFailed
    from pactwatch.ingest.archive import local_copy
    from pactwatch.settings import load_settings
    from tests.servers import LoopbackServer, reply

    data = os.urandom(50_000)

    def respond(request: Any) -> None:
        name = request.path.strip("/")
        if name.startswith("hop"):  # hop3 -> hop2 -> hop1 -> hop0 -> the file
            n = int(name.removeprefix("hop"))
            reply(request, 302, b"", {"Location": f"/hop{n - 1}" if n else "/news.warc"})
        else:
            reply(request, 200, data, {"Content-Type": "application/warc"})

    settings = load_settings({"PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true",
                              "PACTWATCH_MAX_REDIRECTS": "3"})
    with LoopbackServer(respond) as server:
        path = local_copy(f"{server.base_url}/hop2", settings, tmp_path / "cache")
        assert path.read_bytes() == data
        with pytest.raises(FetchFailed, match="more than 3 redirects"):
            local_copy(f"{server.base_url}/hop3", settings, tmp_path / "cache")
        strict = load_settings({"PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "false"})
        with pytest.raises(FetchFailed) as refused:
            local_copy(f"{server.base_url}/hop1", strict, tmp_path / "cache")
        assert refused.value.kind == "forbidden-address"


def _work(url: str, source: str, day: date) -> Work:
    stamp = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    return Work(url, source, (DateCandidate(origin="sitemap", value=stamp),))


def test_chunks_batches_and_empty_days() -> None:
    d1, d2, d3 = date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)
    keys = [("a", d1), ("a", d2), ("a", d3), ("b", d1)]
    items = [_work(f"https://a/{i}", "a", d1) for i in range(5)] + [
        _work("https://b/1", "b", d1), Work("https://a/undated", "a"),
        _work("https://a/old", "a", date(2024, 2, 1)),
    ]
    groups, undated = chunks.assign(items, keys)
    assert undated == 1 and [len(groups[k]) for k in keys] == [5, 0, 0, 1]
    plan = chunks.plan_batches(groups, 4)
    assert [len(b.items) for b in plan] == [4, 2]
    assert plan[0].completes == [] and plan[1].completes == [("a", d1), ("a", d2), ("a", d3),
                                                             ("b", d1)]
    counts = chunks.start_counts(groups, groups)
    assert chunks.finishable(plan[1].completes, counts, broken={"a"}) == {
        ("a", d1): {"discovered": 5, "new": 5}, ("b", d1): {"discovered": 1, "new": 1},
    }


def test_health_flags_sudden_changes() -> None:
    before = {"s": {"stored": 10, "dated_share": 1.0, "median_text": 3000,
                    "failed_by_kind": {}}}
    now = {"s": {"stored": 10, "dated_share": 0.0, "median_text": 900,
                 "failed_by_kind": {"http-403": 4}}}
    problems = {p["problem"] for p in reports.health(now, before)}
    assert problems == {"no-dates", "short-texts", "forbidden"}
    assert reports.health(before, before) == []
    assert "Source health" in reports.ingest_markdown(
        {"found": 1, "new": 1, "stored": 1, "duplicates": 0, "failed": 0, "mentions": 0},
        reports.health(now, before),
    )


def test_archive_pages_list_a_days_articles(site: SampleSite) -> None:
    from extractors.listings.sources import Source
    from pactwatch.ingest import archive
    from pactwatch.settings import load_settings

    settings = load_settings({"PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true"})
    day = site.today - timedelta(days=2)
    good = Source(name="harbour-times", homepage=site.url("/harbour/"), delay=0,
                          archive=site.url("/harbour/") + "?day={day:%Y-%m-%d}")
    bad = Source(name="pacific-ledger", homepage=site.url("/ledger/"), delay=0,
                         archive=site.url("/ledger/archive/{day:%Y/%m/%d}/"))
    found = archive.discover_archives([good, bad], [day], settings)
    assert ("GET", f"/harbour/?day={day:%Y-%m-%d}") in site.requests
    harbour = {a.url for a in site.articles if a.outlet == "harbour-times"}
    assert found.work and {w.url for w in found.work} <= harbour
    assert {chunks.day_of(w) for w in found.work} == {day}
    assert [(f.source, f.kind) for f in found.failures] == [("pacific-ledger", "archive-page")]

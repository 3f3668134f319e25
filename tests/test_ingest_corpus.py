"""The ingest flow against real pages of ../shared/corpus served by a loopback site.

Each page is stored once, under the URL it was fetched from (the pages' rel=canonical names
their original publishers' sites, which pactwatch treats as syndication: see
docs/ingestion.md), with a title, text and publication date; a second run fetches no article
page, and its feeds and sitemaps answer 304.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from storage.db import engine_for
from storage.models import ArticleRow, FetchFailureRow
from tests.corpus_site import BENCH, NEWS, CorpusSite, pick_pages

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (BENCH.is_dir() and NEWS.is_dir()), reason="../shared/corpus is absent"
    ),
]
LISTINGS = {"/bench/rss.xml", "/news/", "/news/atom.xml", "/sitemap-index.xml",
            "/news-sitemap.xml.gz"}


def test_corpus_pages_are_stored_once_and_not_fetched_again(
    prefect_harness: None, pipeline_env: dict[str, str], tmp_path: Path
) -> None:
    from flows.ingest import ingest_flow

    pages = pick_pages(bench=30, news=30, now=datetime.now(UTC))
    with CorpusSite(pages) as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        started = time.monotonic()
        first = ingest_flow(sources_file=str(sources))
        first_seconds = time.monotonic() - started
        first_requests = list(site.requests)

        site.clear_requests()
        second = ingest_flow(sources_file=str(sources))
        second_requests = list(site.requests)

    engine = engine_for(pipeline_env["PACTWATCH_DATABASE_URL"])
    with Session(engine) as session:
        rows = session.exec(select(ArticleRow)).all()
        failures = {f.url: f for f in session.exec(select(FetchFailureRow))}

    urls = [r.url for r in rows]
    assert sorted(urls) == sorted(site.url(p.path) for p in pages), "each page exactly once"
    countries = {d.name for d in NEWS.iterdir() if d.is_dir()}
    assert {p.path.split("/")[2] for p in site.news} == countries
    for field in ("title", "text", "published"):
        present = sum(1 for r in rows if getattr(r, field))
        assert present >= 0.97 * len(rows), f"{field}: {present} of {len(rows)}"
    assert first["stored"] == len(pages)
    assert first["duplicates"] >= 3  # the pages listed by both the Atom feed and the sitemap
    assert {failures[site.url("/bench/missing.html")].kind,
            failures[site.url("/bench/report.pdf")].kind} == {"http-status", "not-html"}
    assert "HTTP 404" in failures[site.url("/bench/missing.html")].detail

    article_paths = {p.path for p in pages}
    fetched_once = [path for path, status in first_requests if path.split("?")[0] in article_paths]
    assert len({p.split("?")[0] for p in fetched_once}) == len(pages)

    assert second["stored"] == 0 and second["new"] == 0
    assert not [path for path, _ in second_requests if path.split("?")[0] in article_paths]
    assert not [path for path, _ in second_requests if path.startswith("/r/")]
    listing_answers = {path: status for path, status in second_requests if path in LISTINGS}
    assert listing_answers == dict.fromkeys(LISTINGS, 304)
    print(f"\ncorpus ingest: {len(pages)} pages in {first_seconds:.1f} s; second run "
          f"{len(second_requests)} requests, all 304 or robots")

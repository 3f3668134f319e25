"""Mention amplification and giant titles, through a real ingest run against pages we serve:
a page repeating two names stores a capped number of mention rows with a note giving the
exact counts; a page with a 5 MB <title> keeps its body and gets a capped title."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from extractors.article.titles import MAX_TITLE_CHARS
from pactwatch.ingest.extraction import MAX_MENTIONS_PER_ENTITY, MENTIONS_CAPPED
from storage.db import engine_for
from storage.models import ArticleRow, FetchFailureRow, MentionRow, url_key
from tests.faults.hostile_site import fault_env
from tests.faults.poison_site import PoisonSite
from tests.servers import html_page

pytestmark = pytest.mark.slow
SPAM = "/news/2026/11/the-same-two-names-again-and-again"
TITLED = "/news/2026/11/a-page-with-a-five-megabyte-title"
PLAIN = "/news/2026/11/an-ordinary-report-from-canberra"


def spam_page() -> bytes:
    body = "".join(  # 60,000 of each name, in paragraphs that differ (no deduplication)
        "<p>" + "".join(f"Fumio Kishida met Anthony Albanese, round {n}-{i}. "
                        for i in range(40)) + "</p>"
        for n in range(1500)
    )
    return (f"<html><head><title>Repeated</title></head><body><article><h1>Repeated</h1>"
            f"{body}</article></body></html>").encode()


def huge_title_page() -> bytes:
    page = html_page("Talks on visiting forces resume")
    page = page.replace(b"<h1>Talks on visiting forces resume</h1>", b"")
    return page.replace(b"<title>Talks on visiting forces resume | Test Post</title>",
                        b"<title>" + b"Visiting forces talks " * 230_000 + b"</title>")


def test_mentions_are_capped_with_a_note_and_a_giant_title_keeps_the_body(
    prefect_harness: None, pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from flows.ingest import ingest_flow

    for key, value in {**fault_env(), "PACTWATCH_MAX_BODY_BYTES": "8000000",
                       "PACTWATCH_TOTAL_TIMEOUT": "30"}.items():
        monkeypatch.setenv(key, value)
    with PoisonSite() as site:
        site.add_good(PLAIN, "Fumio Kishida and Anthony Albanese review the agreement")
        site.add_good(SPAM, "unused")
        site.route(SPAM, spam_page())
        site.add_good(TITLED, "unused")
        site.route(TITLED, huge_title_page())
        assert len(site.pages[TITLED]) > 5_000_000
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        ingest_flow(sources_file=str(sources))
        urls = {path: site.url(path) for path in (SPAM, TITLED, PLAIN)}

    with Session(engine_for(pipeline_env["PACTWATCH_DATABASE_URL"])) as session:
        articles = {a.url: a for a in session.exec(select(ArticleRow))}
        per_entity = dict(session.exec(
            select(MentionRow.entity, func.count())
            .where(MentionRow.article_id == articles[urls[SPAM]].id)
            .group_by(MentionRow.entity)).all())
        plain = session.exec(select(func.count()).select_from(MentionRow)
                             .where(MentionRow.article_id == articles[urls[PLAIN]].id)).one()
        note = session.get(FetchFailureRow, url_key(urls[SPAM]))
    assert per_entity == {"fumio-kishida": MAX_MENTIONS_PER_ENTITY,
                          "anthony-albanese": MAX_MENTIONS_PER_ENTITY}
    assert plain > 0
    assert note is not None and note.kind == MENTIONS_CAPPED
    assert "anthony-albanese: 60000" in note.detail and "fumio-kishida: 60000" in note.detail

    titled = articles[urls[TITLED]]
    assert len(titled.title) <= MAX_TITLE_CHARS
    assert titled.title.startswith("Visiting forces talks")
    assert "officials met again this week" in titled.text

"""End to end: ingest and digest flows under Prefect's harness against the sample site."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session, select

from pactwatch.sample_site import SampleSite
from storage.db import engine_for
from storage.models import ArticleRow, MentionRow

pytestmark = pytest.mark.slow


@pytest.fixture()
def site(tmp_path: Path):
    with SampleSite() as running:
        yield running


def test_ingest_then_digest(
    prefect_harness: None, pipeline_env: dict[str, str], site: SampleSite, tmp_path: Path
) -> None:
    from flows.digest import digest_flow
    from flows.ingest import ingest_flow

    sources = tmp_path / "sources.yaml"
    sources.write_text(site.sources_yaml(), encoding="utf-8")

    first = ingest_flow(sources_file=str(sources))
    assert first["stored"] == len(site.articles)
    assert first["failed"] == 0

    engine = engine_for(pipeline_env["PACTWATCH_DATABASE_URL"])
    with Session(engine) as session:
        stored = {row.url: row for row in session.exec(select(ArticleRow))}
        mentions = session.exec(select(MentionRow)).all()
    assert set(stored) == {a.url for a in site.articles}
    found: dict[str, set[str]] = {}
    for mention in mentions:
        found.setdefault(mention.article_id, set()).add(mention.entity)
    for article in site.articles:
        row = stored[article.url]
        assert row.title == article.title
        assert row.published == article.published
        assert found.get(row.id, set()) == set(article.entities), article.url

    site.clear_requests()
    second = ingest_flow(sources_file=str(sources))
    assert second["stored"] == 0 and second["new"] == 0
    article_paths = {urlsplit(a.url).path for a in site.articles}
    assert not [path for _, path in site.requests if path in article_paths]

    result = digest_flow(week=None, send=True)
    html = Path(result["html_path"]).read_text(encoding="utf-8")
    assert result["articles"] > 0
    assert "Fumio Kishida" in html
    assert "Reciprocal Access Agreement" in html
    outbox = list(Path(pipeline_env["PACTWATCH_OUTBOX_DIR"]).glob("*.eml"))
    assert outbox
    message = email.message_from_bytes(outbox[0].read_bytes(), policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert result["week"] in message["Subject"]

    again = digest_flow(week=result["week"], send=True)
    assert again["delivered"] == []

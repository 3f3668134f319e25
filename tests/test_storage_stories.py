"""Stories are grouped once, when articles are stored; the digest shows the stored story."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from extractors.article.model import Article
from extractors.similarity import normalised_title, same_story
from extractors.tagging.watchlist import parse_watchlist
from pactwatch.digest.context import build_context
from pactwatch.digest.week import IsoWeek
from pactwatch.ingest.records import Extracted, Work
from pactwatch.ingest.store import store_batch
from storage.db import engine_for
from storage.models import ArticleRow

WATCHLIST = parse_watchlist(
    {"entities": [{"id": "quad", "kind": "framework", "name": "Quad", "aliases": ["Quad"]}]}
)


class M:
    """A mention as the tagger yields it."""

    def __init__(self, start: int) -> None:
        self.entity, self.start, self.end = "quad", start, start + 4
        self.text, self.sentence, self.salient = "Quad", "The Quad met.", True


def item(url: str, source: str, title: str, text: str, site: str | None = None) -> Extracted:
    published = datetime(2024, 3, 5, 3, tzinfo=UTC)
    article = Article(url=url, title=title, published=published, text=text, sitename=site)
    return Extracted(Work(url, source), article, (M(0),), None, url)


def test_one_headline_is_one_story_on_either_side_of_its_site_name() -> None:
    title = "Quad leaders agree maritime plan in Delhi"
    assert normalised_title(f"{title} | The Wire", "The Wire") == normalised_title(title + ".")
    assert same_story(None, None, normalised_title(title), normalised_title(title.upper()))
    assert not same_story(None, None, "quad meets", "quad meets")  # too short to tell


def test_copies_with_one_headline_share_a_stored_story_and_one_digest_item(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'stories.db'}"
    title = "Quad leaders agree maritime plan in Delhi"
    batch = [
        item("https://wire.example/quad", "wire", f"{title} | The Wire",
             "Quad ministers met in Delhi and agreed a plan for the sea lanes.", "The Wire"),
        item("https://daily.example/quad", "daily", title + ".",
             "A short rewrite: the Quad has a maritime plan, officials said on Tuesday."),
        item("https://daily.example/other", "daily", "Harbour festival draws record crowds",
             "Cooks gathered again by the harbour; the Quad was mentioned once."),
    ]
    engine = engine_for(url)
    for one in batch:  # one batch each: the copy is found in the database
        with Session(engine) as session, session.begin():
            store_batch(session, [one], [], "v")
    with Session(engine) as session:
        story = dict(session.exec(select(ArticleRow.url, ArticleRow.story)).all())
        ctx = build_context(session, IsoWeek(2024, 10), WATCHLIST, ZoneInfo("UTC"))
    assert story["https://wire.example/quad"] == story["https://daily.example/quad"]
    assert story["https://daily.example/other"] != story["https://daily.example/quad"]
    (section,) = ctx.sections
    (development,) = ctx.developments  # the two copies: one top development (issue 17)
    assert sorted(c.source for c in development.coverage) == ["daily", "wire"]
    assert [s.sources for s in section.stories] == [1] and section.developments == ((1, 1),)

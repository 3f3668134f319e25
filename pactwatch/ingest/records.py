"""The records a batch passes between its steps: plain, frozen data, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field

from extractors.article.model import Article, DateCandidate
from extractors.listings.discover import (
    FeedState,
)


@dataclass(frozen=True)
class Failure:
    """Why one URL or feed produced nothing."""

    url: str
    source: str
    kind: str
    reason: str


@dataclass(frozen=True)
class Work:
    """An article URL to fetch, with the dates its listing gave."""

    url: str
    source: str
    hints: tuple[DateCandidate, ...] = ()


@dataclass(frozen=True)
class Fetched:
    work: Work
    final_url: str
    body: bytes


@dataclass(frozen=True)
class Extracted:
    """A tagged article ready to store, and the URL it was discovered under."""

    work: Work
    article: Article
    mentions: tuple = ()
    raw_html: bytes | None = None
    final_url: str = ""  # where the page was fetched from, after redirects
    fingerprint: int | None = None  # SimHash of the text, computed in the worker (or later)


@dataclass
class Discovery:
    """What to fetch, what failed, and every listing's state after this round."""

    work: list[Work] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    listed: int = 0
    states: dict[str, FeedState] = field(default_factory=dict)

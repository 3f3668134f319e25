"""The records a batch passes between its steps: plain data, no behaviour beyond keeping a
fetched page's HTML compressed."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from extractors.article.model import Article, DateCandidate
from extractors.inflate import decode
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


class Fetched:
    """A fetched page, its HTML held compressed until it is extracted.

    A batch's pages wait in the flow's process while the batch before is extracted, two
    batches at a time: ~25 MB of HTML at 50 pages of the bench's real news pages (~250 KB
    each). Compressed they cost under a quarter of that. A page that came compressed
    (`encoded`: Content-Encoding and the bytes as sent, as most news sites send them) is kept
    as it came; another is compressed here (zlib level 1: 1.3 ms a page, 4.3 times smaller on
    those pages). The extraction worker decodes it (`inflate.decode`, ~0.5 ms).
    """

    __slots__ = ("work", "final_url", "encoding", "packed")

    def __init__(self, work: Work, final_url: str, body: bytes,
                 encoded: tuple[str, bytes] | None = None) -> None:
        self.work, self.final_url = work, final_url
        self.encoding, self.packed = encoded or ("deflate", zlib.compress(body, 1))

    @property
    def body(self) -> bytes:
        return decode(self.encoding, self.packed)


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

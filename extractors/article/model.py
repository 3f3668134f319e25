"""The article as pactwatch understands it, validated before anything is stored."""

from __future__ import annotations

import hashlib

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class DateCandidate(BaseModel):
    """A publication date seen somewhere, and where: feed, sitemap, json-ld, meta, htmldate."""

    model_config = ConfigDict(frozen=True)

    origin: str
    value: AwareDatetime


class Article(BaseModel):
    """What extraction yields from one page: fields plus the evidence for its date."""

    model_config = ConfigDict(frozen=True)

    url: str = Field(min_length=8)
    title: str = ""
    authors: tuple[str, ...] = ()
    published: AwareDatetime | None = None
    modified: AwareDatetime | None = None
    language: str | None = None
    sitename: str | None = None
    text: str = Field(min_length=1)
    date_candidates: tuple[DateCandidate, ...] = ()

    @property
    def content_hash(self) -> str:
        """A hash of the normalised text: equal for copies that differ only in whitespace/case."""
        normal = " ".join(self.text.lower().split())
        return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]

"""schema.org JSON-LD: the article object a page declares about itself.

Pages embed `<script type="application/ld+json">` blocks, often several, sometimes as an
`@graph`, sometimes broken. We read the first object whose `@type` is an article type and
return its headline, the other titles it gives itself, body, dates and authors, cleaned.
Nothing here raises: a broken block is skipped.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

ARTICLE_TYPES = frozenset({
    "NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle",
    "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle", "BlogPosting",
    "LiveBlogPosting", "Report", "ScholarlyArticle",
})
TAG = re.compile(r"<[^>]{0,2000}>")
BLOCK_TAG = re.compile(r"</?(?:p|br|div|h[1-6]|li|ul|ol|blockquote)\b[^>]{0,2000}>", re.I)
MAX_SCRIPT = 5_000_000


@dataclass(frozen=True)
class Person:
    name: str
    is_person: bool  # False for an Organization


@dataclass(frozen=True)
class JsonLdArticle:
    """The fields pactwatch reads from a page's article object; raw strings, not yet parsed."""

    headline: str = ""
    # The object's `name` and `alternativeHeadline`, as given (titles.choose_title, rule 3).
    names: tuple[str, ...] = ()
    body: str = ""
    published: str = ""
    modified: str = ""
    authors: tuple[Person, ...] = field(default_factory=tuple)


def json_ld_objects(tree: HtmlElement) -> list[dict[str, Any]]:
    """Every dict in every JSON-LD block, including `@graph` members, in document order."""
    found: list[dict[str, Any]] = []
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        text = script.text or ""
        if len(text) > MAX_SCRIPT:
            continue
        try:
            data = json.loads(text, strict=False)
        except (ValueError, RecursionError):
            continue
        stack: list[Any] = [data]
        while stack and len(found) < 200:
            item = stack.pop(0)
            if isinstance(item, list):
                stack[:0] = item
            elif isinstance(item, dict):
                found.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack[:0] = graph
    return found


def _is_article(obj: dict[str, Any]) -> bool:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and k in ARTICLE_TYPES for k in kinds)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def clean_body(value: str) -> str:
    """Plain text from an articleBody that may hold HTML tags or entities."""
    if "<" in value:
        value = BLOCK_TAG.sub("\n", value)
        value = TAG.sub("", value)
    value = html.unescape(value)
    lines = (" ".join(line.split()) for line in value.splitlines())
    return "\n".join(line for line in lines if line)


def _titles(obj: dict[str, Any]) -> tuple[str, ...]:
    values = (obj.get(key) for key in ("name", "alternativeHeadline"))
    return tuple(value for value in values if isinstance(value, str))


def _people(value: Any) -> tuple[Person, ...]:
    items = value if isinstance(value, list) else [value]
    people = []
    for item in items[:50]:
        if isinstance(item, dict):
            kind = item.get("@type")
            name = _text(item.get("name"))
            if name:
                people.append(Person(name, kind != "Organization"))
        elif isinstance(item, str) and item.strip():
            people.append(Person(item.strip(), True))
    return tuple(people)


def article_json_ld(tree: HtmlElement) -> JsonLdArticle | None:
    """The page's first article object, or None when it declares none."""
    for obj in json_ld_objects(tree):
        if _is_article(obj):
            return JsonLdArticle(
                headline=_text(obj.get("headline")) or _text(obj.get("name")),
                names=_titles(obj),
                body=clean_body(_text(obj.get("articleBody"))),
                published=_text(obj.get("datePublished")),
                modified=_text(obj.get("dateModified")),
                authors=_people(obj.get("author")),
            )
    return None

"""Extraction: `extract_article(html, url) -> Article`, a pure function of the page.

trafilatura finds the body; what it lacks we take from the page itself: the canonical URL,
schema.org NewsArticle JSON-LD, `article:published_time` meta tags, and dates the feed or
sitemap gave (`hints`). Raises ExtractionFailed(url, reason) when no article text is found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import trafilatura
from lxml.html import HtmlElement
from pydantic import ValidationError
from trafilatura.utils import load_html

from extractors.article import Article, DateCandidate
from extractors.discover import canonical_url, parse_date
from extractors.errors import ExtractionFailed

DATE_PRIORITY = ("json-ld", "meta", "feed", "sitemap", "htmldate")
META_DATES = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "pubdate",
    "publish-date",
    "sailthru.date",
    "parsely-pub-date",
)
META_MODIFIED = ("article:modified_time", "og:updated_time", "dateModified")
TITLE_SEPARATORS = re.compile(r"\s+[|–—\-:·»]\s+")


def extract_article(
    html: bytes | str, url: str, hints: Sequence[DateCandidate] = ()
) -> Article:
    """Extract one article from a page fetched from `url`.

    `hints` are dates seen in the feed or sitemap; they compete with the page's own dates.
    """
    tree = load_html(html)
    if tree is None:
        raise ExtractionFailed(url, "not parseable as HTML")
    page = _page_metadata(tree, url)
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        favor_precision=True,
        include_tables=True,
    )
    text = (getattr(doc, "text", None) or "").strip()
    if len(page.get("body", "")) > len(text) * 1.2:
        text = page["body"]
    if not text:
        raise ExtractionFailed(url, "no article text found")
    candidates = list(hints) + page["dates"]
    if doc is not None and doc.date:
        stamp = parse_date(doc.date)
        if stamp:
            candidates.append(DateCandidate(origin="htmldate", value=stamp))
    sitename = page.get("sitename") or (doc.sitename if doc is not None else None)
    title = page.get("headline") or (doc.title if doc is not None else "") or ""
    try:
        return Article(
            url=page.get("canonical") or canonical_url(url),
            title=strip_site_name(title, sitename),
            authors=tuple(page.get("authors") or _split_authors(doc.author if doc else None)),
            published=choose_date(candidates),
            modified=page.get("modified"),
            language=(doc.language if doc is not None else None) or page.get("language"),
            sitename=sitename,
            text=text,
            date_candidates=tuple(candidates),
        )
    except ValidationError as exc:
        raise ExtractionFailed(url, f"invalid article: {exc.errors()[0]['msg']}") from None


def choose_date(candidates: Iterable[DateCandidate]) -> datetime | None:
    """The most trustworthy candidate: structured data first, then listings, then guesses."""
    ranked = sorted(
        candidates,
        key=lambda c: DATE_PRIORITY.index(c.origin) if c.origin in DATE_PRIORITY else 99,
    )
    return ranked[0].value if ranked else None


def strip_site_name(title: str, sitename: str | None) -> str:
    """Drop a trailing or leading ' | Site Name' from a title."""
    title = " ".join(title.split())
    parts = TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    names = {sitename.lower()} if sitename else set()
    last, first = parts[-1].lower(), parts[0].lower()
    if last in names or (not names and len(parts[-1]) < 30 and len(parts[-1]) < len(title) / 3):
        return title[: title.rfind(parts[-1])].rstrip(" |–—-:·»")
    if first in names:
        return title[len(parts[0]) :].lstrip(" |–—-:·»")
    return title


def _split_authors(value: str | None) -> list[str]:
    if not value:
        return []
    names = [n.strip() for n in re.split(r";|\band\b|,", value) if n.strip()]
    return list(dict.fromkeys(names))


def _page_metadata(tree: HtmlElement, url: str) -> dict[str, Any]:
    """Canonical URL, JSON-LD NewsArticle fields and meta dates, read before trafilatura prunes."""
    meta: dict[str, Any] = {"dates": []}
    for link in tree.iterfind(".//link[@rel='canonical'][@href]"):
        href = link.get("href", "")
        if href.startswith(("http://", "https://", "/")):
            meta["canonical"] = canonical_url(href, url)
            break
    for el in tree.iterfind(".//meta[@content]"):
        key = el.get("property") or el.get("name") or el.get("itemprop") or ""
        content = el.get("content", "")
        if key in META_DATES and not any(c.origin == "meta" for c in meta["dates"]):
            stamp = parse_date(content)
            if stamp:
                meta["dates"].append(DateCandidate(origin="meta", value=stamp))
        elif key in META_MODIFIED and "modified" not in meta:
            meta["modified"] = parse_date(content)
        elif key == "og:site_name":
            meta["sitename"] = content.strip() or None
    for obj in _json_ld(tree):
        _merge_news_article(meta, obj)
    html_lang = tree.get("lang")
    if html_lang:
        meta["language"] = html_lang.split("-")[0].lower()
    return meta


def _json_ld(tree: HtmlElement) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                stack.extend(v for k, v in item.items() if k == "@graph")
    return found


def _merge_news_article(meta: dict[str, Any], obj: dict[str, Any]) -> None:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    if not any(k in ("NewsArticle", "Article", "ReportageNewsArticle") for k in kinds):
        return
    if isinstance(obj.get("headline"), str):
        meta.setdefault("headline", obj["headline"])
    if isinstance(obj.get("articleBody"), str):
        meta.setdefault("body", obj["articleBody"].strip())
    stamp = parse_date(str(obj.get("datePublished") or ""))
    if stamp:
        meta["dates"].insert(0, DateCandidate(origin="json-ld", value=stamp))
    authors = obj.get("author")
    people = authors if isinstance(authors, list) else [authors]
    names = [p.get("name") if isinstance(p, dict) else p for p in people]
    clean = [n.strip() for n in names if isinstance(n, str) and n.strip()]
    if clean:
        meta.setdefault("authors", clean)


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)

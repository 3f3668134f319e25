"""Extraction: `extract_article(html, url) -> Article`, a pure function of the page.

trafilatura finds the body (settings chosen by measurement, docs/extraction.md); what it lacks
we take from the page itself: the canonical URL, the schema.org article object (jsonld.py),
title candidates (titles.py), date candidates (dates.py), and dates the feed or sitemap gave
(`hints`). Raises ExtractionFailed(url, reason) when no article text is found; nothing else
escapes, whatever the input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import trafilatura
from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement
from pydantic import ValidationError
from trafilatura.utils import load_html

from extractors.article.body import choose_text, continue_chunks
from extractors.article.dates import choose_date, meta_dates, parse_stamp, title_date, url_date
from extractors.article.embedded import embedded_text
from extractors.article.external_dates import install as bound_htmldate_languages
from extractors.article.jsonld import JsonLdArticle, Person, article_json_ld
from extractors.article.lean_lxml import install as lean_lxml
from extractors.article.model import Article, DateCandidate
from extractors.article.titles import choose_title, clean_title, strip_site_name
from extractors.errors import ExtractionFailed
from extractors.urls import canonical_url

__all__ = ["extract_article", "choose_date", "strip_site_name", "TRAFILATURA_SETTINGS"]

# Measured on extraction-benchmark (docs/extraction.md): comments off and precision favoured
# give the best body F1; tables stay in (dropping them costs recall).
TRAFILATURA_SETTINGS: dict[str, Any] = {
    "include_comments": False,
    "favor_precision": True,
    "include_tables": True,
}
AUTHOR_SPLIT = re.compile(r"\s*(?:[,;&]|\s(?:and|und|og|et|y|e|i|och|en|ve)\s)\s*", re.I)
# Bracketed initials, a leading "By", and a trailing job title ("김민수 기자": reporter).
AUTHOR_NOISE = re.compile(
    r"\s*\([^)]{0,20}\)\s*$|^(?:by|von|par|por|door|di|af)\s+|\s+(?:기자|특파원|記者|特派員)$",
    re.I,
)
WORD = re.compile(r"\w+")
MAX_BYTES = 20_000_000
MAX_TITLE = 1000  # characters of a marked headline element worth comparing
# Matched in C: ElementPath's `iterfind` would hand every element of the page to Python first.
MARKED_HEADLINES = XPath(".//*[@itemprop='headline']")

bound_htmldate_languages()
lean_lxml()


def extract_article(
    html: bytes | str, url: str, hints: Sequence[DateCandidate] = ()
) -> Article:
    """Extract one article from a page fetched from `url`.

    `hints` are dates seen in the feed or sitemap; they compete with the page's own dates.
    Raises ExtractionFailed when the page is not HTML or holds no article text.
    """
    if not isinstance(html, bytes | str) or not html.strip():
        raise ExtractionFailed(url, "empty page")
    if len(html) > MAX_BYTES:
        raise ExtractionFailed(url, f"page over {MAX_BYTES} bytes")
    try:
        return _extract(html, url, hints)
    except ExtractionFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - the boundary: a parser bug must not sink a batch
        raise ExtractionFailed(url, f"unparseable page: {type(exc).__name__}: {exc}") from None


def _extract(html: bytes | str, url: str, hints: Sequence[DateCandidate]) -> Article:
    tree = load_html(html)
    if tree is None:
        raise ExtractionFailed(url, "not parseable as HTML")
    declared = article_json_ld(tree) or JsonLdArticle()
    page = _page_metadata(tree, url, declared)
    doc = trafilatura.bare_extraction(tree, url=url, **TRAFILATURA_SETTINGS)
    found = (getattr(doc, "text", None) or "").strip()
    if found:
        found = continue_chunks(tree, found, url, TRAFILATURA_SETTINGS)
    else:
        found = embedded_text(tree, url, TRAFILATURA_SETTINGS)
    text = choose_text(found, declared.body)
    if not text:
        raise ExtractionFailed(url, "no article text found")
    # trafilatura's own metadata pass costs a third of its extraction (~9 ms a page); we read
    # what we need from the page ourselves and ask trafilatura only when the page lacks it.
    fallback = cache(lambda: trafilatura.extract_metadata(tree, url))
    sitename = page["sitename"] or fallback().sitename
    title = choose_title(
        {"json-ld": declared.headline, **page["titles"]},
        sitename, url, names=declared.names, marked=page["marked"],
    )
    authors = choose_authors(
        declared.authors, page["authors"], sitename, lambda: fallback().author or ""
    )
    candidates = [*page["dates"], *hints]
    guess = htmldate_guess(tree, page["canonical"] or url, thorough=not candidates)
    candidates += [guess] if guess else []
    try:
        return Article(
            url=page["canonical"] or canonical_url(url),
            title=title or clean_title(fallback().title),
            authors=authors,
            published=choose_date(candidates),
            modified=parse_stamp(declared.modified) or page["modified"],
            language=page["language"],
            sitename=sitename,
            text=text,
            date_candidates=tuple(candidates),
        )
    except ValidationError as exc:
        raise ExtractionFailed(url, f"invalid article: {exc.errors()[0]['msg']}") from None


def htmldate_guess(tree: HtmlElement, url: str, thorough: bool) -> DateCandidate | None:
    """htmldate's publication date. Its thorough search (~7 ms a page, a scan of the text)
    runs only when nothing better dates the page: htmldate ranks last (`choose_date`), so
    where a better candidate exists its quick guess (~0.3 ms) is recorded instead."""
    found = find_date(
        tree, url=url, original_date=True, extensive_search=thorough,
        max_date=datetime.now().astimezone().strftime("%Y-%m-%d"),
    )
    stamp = parse_stamp(found)
    return DateCandidate(origin="htmldate", value=stamp) if stamp else None


def _squash(name: str) -> str:
    return "".join(WORD.findall(name.casefold())).replace("_", "")


def _split_names(value: str) -> list[str]:
    if "/" in value or value.startswith(("http", "www.")):
        return []
    names = (AUTHOR_NOISE.sub("", part).strip(" .") for part in AUTHOR_SPLIT.split(value))
    return [n for n in names if 1 < len(n) <= 80 and not n.startswith(("http", "@", "www."))]


def choose_authors(
    declared: Sequence[Person],
    meta: Sequence[str],
    sitename: str | None,
    found: Callable[[], str] = str,
) -> tuple[str, ...]:
    """People named as authors: JSON-LD persons (with any organisation the same list credits
    beside them, such as a wire agency), else `<meta name=author>`, else the byline trafilatura
    finds (`found()`, ';'-separated, asked only when needed), else organisations.

    Lists are split on commas and conjunctions ('A and B', 'A und B'), initials in brackets
    and 'By ' are dropped, and spellings that differ only in punctuation count once.
    """
    # Everyone the JSON-LD credits, in its order: with a person among them, an agency or desk
    # credited beside that person stays ("Paula Steiger", "SDA"); without, they are groups.
    credited = [n for p in declared for n in _split_names(p.name)]
    has_person = any(_split_names(p.name) for p in declared if p.is_person)
    named = [n for value in meta for n in _split_names(value)]
    site = _squash(sitename or "")
    chosen = (credited if has_person else []) or [n for n in named if _squash(n) != site]
    if not chosen:
        byline = [n for value in found().split(";") for n in _split_names(value)]
        chosen = byline or credited or named
    unique: dict[str, str] = {}
    for name in chosen:
        unique.setdefault(_squash(name), name)
    return tuple(unique.values())


def _page_metadata(tree: HtmlElement, url: str, declared: JsonLdArticle) -> dict[str, Any]:
    """Canonical URL, titles, meta authors and dates, read before trafilatura prunes the tree."""
    dates, modified = meta_dates(tree)
    meta: dict[str, Any] = {
        "canonical": None, "sitename": None, "language": None, "modified": modified,
        "titles": {}, "authors": [],
    }
    for link in tree.iterfind(".//link[@rel='canonical'][@href]"):
        href = link.get("href", "")
        if href.startswith(("http://", "https://", "/")):
            meta["canonical"] = canonical_url(href, url)
            break
    for el in tree.iterfind(".//meta[@content]"):
        key = (el.get("property") or el.get("name") or "").lower()
        content = (el.get("content") or "").strip()
        if key in ("headline", "og:title", "twitter:title"):
            meta["titles"].setdefault(key, content)
        elif key == "og:site_name" and content and not meta["sitename"]:
            meta["sitename"] = content
        elif key in ("author", "article:author", "parsely-author", "sailthru.author"):
            meta["authors"].append(content)
    heading = tree.find(".//h1")
    if heading is not None:
        meta["titles"]["h1"] = heading.text_content()
    title = tree.find(".//title")
    page_title = title.text_content() if title is not None else ""
    meta["titles"]["title"] = page_title
    meta["marked"] = [
        el.text_content()[:MAX_TITLE]
        for el in MARKED_HEADLINES(tree)
        if el.tag != "meta"
    ]
    lang = tree.get("lang")
    if lang:
        meta["language"] = lang.split("-")[0].lower() or None
    stamp = parse_stamp(declared.published)
    extra = [url_date(url), title_date(clean_title(page_title))]
    meta["dates"] = [
        *([DateCandidate(origin="json-ld", value=stamp)] if stamp else []),
        *dates,
        *(c for c in extra if c),
    ]
    return meta

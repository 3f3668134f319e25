"""Body text: trafilatura's choice, with two second opinions taken from the page itself.

1. **Continuation chunks.** trafilatura reads the *first* element that matches its body
   patterns. Some sites cut the article into several elements of the same tag and class
   (the gaps hold ads or newsletter boxes), so everything after the first cut is lost.
   `continue_chunks` finds the element holding trafilatura's last paragraph, looks a few
   levels up for an ancestor whose exact class recurs later in the page, and runs
   trafilatura again on those later elements (fast mode: no readability/jusText fallback).
   Their text is added only when it reads like article prose (MIN_PROSE new paragraphs of
   PROSE_WORDS words or more), so repeated "related stories" or metadata boxes of the same
   class stay out.
2. **JSON-LD `articleBody`** (`choose_text`): the declared body replaces trafilatura's text
   only when it holds nearly all of it and is clearly longer.

Both rules, and the thresholds, were chosen by measurement (docs/extraction.md).
Nothing here raises on odd input: a page that does not fit the pattern keeps its text.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

import trafilatura
from lxml.html import HtmlElement, document_fromstring

WORD = re.compile(r"\w+")
# JSON-LD articleBody replaces trafilatura's text only when it holds nearly all of it and is
# clearly longer: trafilatura cut part of the article the publisher declares (measured).
JSONLD_COVERS = 0.95
JSONLD_LONGER = (1.15, 1.5)
# Continuation chunks: how far above the last paragraph to look for the repeated container,
# and what counts as prose (a paragraph of PROSE_WORDS words; MIN_PROSE of them).
CHUNK_LEVELS = 3
PROSE_WORDS = 20
MIN_PROSE = 3
MAX_CHUNKS = 50


def _key(text: str) -> str:
    """Paragraph identity across extractors: its words, joined, case kept."""
    return " ".join(WORD.findall(text))


def _paragraphs(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def _anchor(tree: HtmlElement, text: str) -> HtmlElement | None:
    """The `<p>` in the page whose words are trafilatura's last sizeable paragraph."""
    long_lines = [_key(line) for line in _paragraphs(text) if len(WORD.findall(line)) >= 8]
    if not long_lines:
        return None
    last = long_lines[-1]
    for para in tree.iter("p"):
        if _key(para.text_content()) == last:
            return para
    return None


def _later_chunks(anchor: HtmlElement) -> list[HtmlElement]:
    """Elements after the anchor's container that share its exact tag and class."""
    container = anchor.getparent()
    root = anchor.getroottree().getroot()
    for _ in range(CHUNK_LEVELS):
        if container is None or container.tag in ("body", "html"):
            return []
        cls = container.get("class")
        if cls:
            same = [e for e in root.iter(container.tag) if e.get("class") == cls]
            if len(same) >= 2:
                later = same[same.index(container) + 1 :]
                return [e for e in later if container not in e.iterancestors()][:MAX_CHUNKS]
        container = container.getparent()
    return []


def continue_chunks(
    tree: HtmlElement, text: str, url: str, settings: Mapping[str, Any]
) -> str:
    """`text` plus the prose of later same-class chunks that trafilatura did not read.

    `tree` must be the page as parsed, before trafilatura pruned it. Returns `text`
    unchanged when the page is not cut into chunks or the later chunks are not prose.
    """
    anchor = _anchor(tree, text)
    chunks = _later_chunks(anchor) if anchor is not None else []
    seen = {_key(line) for line in _paragraphs(text)}
    if _new_prose([p.text_content() for c in chunks for p in c.iter("p")], seen) < MIN_PROSE:
        return text  # cheap check first: trafilatura runs again only on promising pages
    page = document_fromstring("<html><body><article></article></body></html>")
    article = page.find(".//article")
    for chunk in chunks:
        article.append(copy.deepcopy(chunk))  # type: ignore[union-attr]
    doc = trafilatura.bare_extraction(page, url=url, **{**settings, "fast": True})
    extra = [p for p in _paragraphs(getattr(doc, "text", None) or "") if _key(p) not in seen]
    return "\n".join([text, *extra]) if _new_prose(extra, seen) >= MIN_PROSE else text


def _new_prose(paragraphs: list[str], seen: set[str]) -> int:
    """How many paragraphs are prose (PROSE_WORDS words or more) and not in `seen`."""
    return sum(
        len(WORD.findall(p)) >= PROSE_WORDS and _key(p) not in seen for p in paragraphs
    )


def _shingles(text: str) -> set[tuple[str, ...]]:
    tokens = WORD.findall(text)
    return {tuple(tokens[i : i + 4]) for i in range(max(1, len(tokens) - 3))}


def choose_text(found: str, declared: str) -> str:
    """trafilatura's text, unless the JSON-LD articleBody evidently holds more of the article.

    The declared body wins when it contains at least JSONLD_COVERS of trafilatura's 4-word
    shingles and is 15-50% longer. Shorter declared bodies are usually teasers; much longer
    ones carry captions, newsletters or markup junk.
    """
    if not declared:
        return found
    if not found:
        return declared
    ratio = len(declared) / len(found)
    if not JSONLD_LONGER[0] <= ratio <= JSONLD_LONGER[1]:
        return found
    ours = _shingles(found)
    covered = len(ours & _shingles(declared)) / len(ours)
    return declared if covered >= JSONLD_COVERS else found

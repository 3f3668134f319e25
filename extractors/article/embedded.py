"""Article HTML that a JavaScript-rendered page carries inside its scripts.

Sites built with React/Next.js frameworks often send an empty article element and the story
itself as a string in the page's hydration state (`__NEXT_DATA__`, a dehydrated query cache:
`"contentHtml":"<p>…</p>"`). trafilatura reads only the markup, so on those pages it finds
nothing and the article would be lost. When that happens we look for the longest JSON string
in an inline script that is itself HTML made of several paragraphs, and extract from that.

It is a fallback, taken only when the visible page yields no text: a page whose markup holds
the article never pays for the scan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import trafilatura
from lxml.html import HtmlElement

# A JSON string literal long enough to hold an article (escapes included).
JSON_STRING = re.compile(r'"((?:[^"\\]|\\.){400,})"', re.S)
# An escaped or literal opening paragraph tag, as it appears inside such a literal.
PARAGRAPH = re.compile(r"(?:<|\\u003c|\\x3c)p[\s>\\]", re.I)
MIN_PARAGRAPHS = 2
# A line that is only a template slot left for the page's scripts ("$$ARTICLEAD$$", "{{ad}}").
PLACEHOLDER = re.compile(r"^\W{1,3}\w+\W{1,3}$")
MAX_SCRIPT = 5_000_000  # characters of one script worth scanning


def _scripts(tree: HtmlElement) -> Iterator[str]:
    for script in tree.iter("script"):
        kind = (script.get("type") or "").lower()
        if script.get("src") or kind == "application/ld+json":
            continue
        text = script.text or ""
        if len(text) <= MAX_SCRIPT and PARAGRAPH.search(text):
            yield text


def embedded_html(tree: HtmlElement) -> str | None:
    """The longest HTML fragment of several paragraphs found as a JSON string in a script."""
    best: str | None = None
    for script in _scripts(tree):
        for match in JSON_STRING.finditer(script):
            literal = match.group(1)
            if len(PARAGRAPH.findall(literal)) < MIN_PARAGRAPHS:
                continue
            try:
                fragment = json.loads(f'"{literal}"')
            except ValueError:
                continue
            if best is None or len(fragment) > len(best):
                best = fragment
    return best


def embedded_text(tree: HtmlElement, url: str, settings: Mapping[str, Any]) -> str:
    """Article text extracted from the page's embedded HTML, or "" when it carries none."""
    fragment = embedded_html(tree)
    if not fragment:
        return ""
    page = f"<html><body><article>{fragment}</article></body></html>"
    doc = trafilatura.bare_extraction(page, url=url, **settings)
    lines = (getattr(doc, "text", None) or "").split("\n")
    return "\n".join(line for line in lines if not PLACEHOLDER.match(line.strip())).strip()

"""Text hygiene for the digest: URLs that are safe to link, trimmed titles and snippets.

Escaping is the templates' job (autoescape); trimming and URL vetting happen here so every
format (HTML, Markdown, plain text, mail headers) agrees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from extractors.article.titles import shorten

SNIPPET_CHARS = 280
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")  # whitespace (str.isspace) or control characters


@dataclass(frozen=True)
class Snippet:
    """The sentence holding a mention, split around the mention so it can be highlighted."""

    before: str
    match: str
    after: str


def safe_url(url: str) -> str | None:
    """`url` if it is an absolute http(s) URL without spaces or control characters, else None."""
    if not url or _UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def snippet(sentence: str, mention: str, limit: int = SNIPPET_CHARS) -> Snippet:
    """Split `sentence` around `mention`, trimming both sides so the whole fits in `limit`."""
    sentence = " ".join(sentence.split())
    mention = " ".join(mention.split())
    at = sentence.find(mention) if mention else -1
    if at < 0 and mention:
        at = sentence.casefold().find(mention.casefold())
        if len(sentence.casefold()) != len(sentence):  # case folding moved the offsets
            at = -1
    if at < 0:
        return Snippet(shorten(sentence, limit), "", "")
    end = at + len(mention)
    before, match, after = sentence[:at], sentence[at:end], sentence[end:]
    room = max(0, limit - len(match))
    keep_before = min(len(before), max(room // 2, room - len(after)))
    keep_after = room - keep_before
    if len(before) > keep_before:
        tail = before[len(before) - keep_before :]
        space = tail.find(" ")
        before = "…" + (tail[space:] if 0 <= space < len(tail) // 2 else tail)
    if len(after) > keep_after:
        cut = after[: max(0, keep_after - 1)]
        space = cut.rfind(" ")
        after = (cut[:space] if space > len(cut) // 2 else cut).rstrip(" ,;:") + "…"
    return Snippet(before, match, after)

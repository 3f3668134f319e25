"""Titles: pick the headline among a page's candidates and strip site-name branding.

A page names its headline several times: schema.org `headline`, `og:title`, `twitter:title`,
the first `<h1>` and `<title>`. `<title>` and often `og:title` carry branding
("Headline | Site Name", "Headline - DER SPIEGEL"). We strip a segment only when it is
recognisably the site (its `og:site_name` or its host name), so headlines such as
"Tony Blair: Why ..." keep their colon. The order of preference was chosen by measurement on
the news-pages corpus (docs/extraction.md).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

# Preference order, measured: see docs/extraction.md.
TITLE_ORDER = ("json-ld", "og:title", "twitter:title", "h1", "title")
SEPARATOR = re.compile(r"\s+[|–—\-·»/•*]\s+|\s*[|｜ㅣ：]\s*|\s*:\s+")
ALNUM = re.compile(r"\W+")
# A kicker (German "Dachzeile") set before the headline: "SVP-Sonderparteitag zur Migration: ".
KICKER = re.compile(r"[^:|–—]{2,60}(?::|\s[|–—])\s+")
QUOTES = re.compile("[\"“”„«»‘’‚‹›'「」『』]")


def clean_title(text: str | None) -> str:
    """Unescape entities (twice: some sites double-escape) and collapse whitespace."""
    text = html.unescape(html.unescape(text or ""))
    return " ".join(text.split())


def _squash(text: str) -> str:
    return ALNUM.sub("", text).casefold()


def _is_site(segment: str, sitename: str | None, host: str) -> bool:
    key = _squash(segment)
    if len(key) < 2:
        return False
    if sitename and key == _squash(sitename):
        return True
    if key in host or (key.removesuffix("online") or key) in host:
        return True
    words = re.findall(r"\w+", segment.casefold())
    return bool(host) and len(words) <= 4 and all(w in host for w in words)


def strip_site_name(title: str, sitename: str | None = None, url: str = "") -> str:
    """Drop branding segments ('| Site Name', 'Site Name: ') that name the site itself.

    The site is recognised by `sitename` (og:site_name) or by the host of `url`; everything
    after the first segment naming the site is dropped ('| The Site | by Author').
    """
    title = clean_title(title)
    host = _squash(urlsplit(url).hostname or "") if url else ""
    cuts = [(m.start(), m.end()) for m in SEPARATOR.finditer(title)]
    if not cuts:
        return title
    bounds = [0, *(end for _, end in cuts)]
    stops = [start for start, _ in cuts] + [len(title)]
    segments = [title[a:b] for a, b in zip(bounds, stops, strict=True)]
    for i in range(1, len(segments)):
        if _is_site(segments[i], sitename, host):
            return title[: stops[i - 1]].strip()
    if _is_site(segments[0], sitename, host):
        return title[bounds[1] :].strip()
    return title


def _variant(chosen: str, other: str) -> bool:
    """Whether `other` is `chosen` without a kicker, or with fewer quotation marks."""
    if chosen.endswith(other) and KICKER.fullmatch(chosen[: -len(other)]):
        return True
    return QUOTES.sub("", chosen) == QUOTES.sub("", other) and len(QUOTES.findall(other)) < len(
        QUOTES.findall(chosen)
    )


def choose_title(candidates: Mapping[str, str], sitename: str | None, url: str) -> str:
    """The first non-empty candidate in TITLE_ORDER, with site branding stripped.

    When another candidate is the same headline without a kicker ("Kicker: Headline") or
    without quotation marks the chosen one adds, that plainer form wins.
    """
    titles = [
        strip_site_name(candidates.get(origin) or "", sitename, url) for origin in TITLE_ORDER
    ]
    titles = [t for t in titles if t]
    if not titles:
        return ""
    return next((other for other in titles[1:] if _variant(titles[0], other)), titles[0])

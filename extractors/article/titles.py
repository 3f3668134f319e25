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
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

# Preference order, measured: see docs/extraction.md.
TITLE_ORDER = ("json-ld", "headline", "og:title", "twitter:title", "h1", "title")
# Titles written for sharing: the editor's own short form of the headline.
SOCIAL = ("og:title", "twitter:title")
SEPARATOR = re.compile(r"\s+[|–—\-·»/•*]\s+|\s*[|｜ㅣ：]\s*|\s*:\s+")
ALNUM = re.compile(r"\W+")
# A kicker (German "Dachzeile") set before the headline: "SVP-Sonderparteitag zur Migration: ".
KICKER = re.compile(r"[^:|–—]{2,60}(?::|\s[|–—])\s+")
# After a cut between two words the longer title goes on with a space and a word.
CONTINUES = re.compile(r"\s\w")
QUOTES = re.compile("[\"“”„«»‘’‚‹›'「」『』]")
# No headline is longer; a page may still put megabytes in <title> (or og:title). Such a title
# is cut (at a word, with an ellipsis) and the page keeps its body. Only the first
# RAW_TITLE_CHARS of a candidate are read: whitespace and entities shrink, never grow, text.
MAX_TITLE_CHARS = 500
RAW_TITLE_CHARS = 8 * MAX_TITLE_CHARS


def clean_title(text: str | None) -> str:
    """Unescape entities (twice: some sites double-escape), collapse whitespace and cap the
    length at MAX_TITLE_CHARS."""
    text = html.unescape(html.unescape((text or "")[:RAW_TITLE_CHARS]))
    return shorten(text, MAX_TITLE_CHARS)


def shorten(text: str, limit: int) -> str:
    """Collapse whitespace and cut at a word boundary before `limit` characters, adding "…"
    (a title capped here, a digest's title or quote there)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:—–-") + "…"


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


def _cut_after_word(chosen: str, other: str) -> bool:
    """Whether `other` is `chosen` stopped between two words ("... at Cobham" / "... at Cobham
    in a win over Spurs"). A cut before punctuation or a quotation mark does not count: that is
    how truncated and broken attributes look ('Sieger und' from 'Sieger und "royaler Besuch"').
    """
    return len(other) < len(chosen) and chosen.startswith(other) and bool(
        CONTINUES.match(chosen, len(other))
    )


def choose_title(
    candidates: Mapping[str, str],
    sitename: str | None,
    url: str,
    *,
    names: Sequence[str] = (),
    marked: Sequence[str] = (),
) -> str:
    """Pick the page's headline among `candidates` (keyed by TITLE_ORDER), branding stripped.

    `names` are the other titles the JSON-LD article object gives itself (`name`,
    `alternativeHeadline`); `marked` are the texts of visible elements marked
    `itemprop="headline"`. In order:

    1. the first non-empty candidate in TITLE_ORDER;
    2. unless a visible marked headline repeats a candidate: that one is chosen;
    3. or neither social title (`og:title`, `twitter:title`) agrees with the choice and one of
       them is also among `names`: the page then declares it twice, against a single
       `headline`, and it is chosen;
    4. then a plainer form of the choice wins: without a kicker ("Kicker: Headline"),
       without quotation marks it adds, or (`og:title`/`twitter:title` only) the same words
       stopped after a word ("Headline" for "Headline in a qualifier").
    """
    stripped = {
        origin: strip_site_name(candidates.get(origin) or "", sitename, url)
        for origin in TITLE_ORDER
    }
    titles = [title for title in stripped.values() if title]
    if not titles:
        return ""
    chosen = titles[0]
    visible = {clean_title(text) for text in marked}
    declared = {strip_site_name(name, sitename, url) for name in names}
    social = [stripped[origin] for origin in SOCIAL if stripped[origin]]
    if confirmed := next((title for title in titles if title in visible), None):
        chosen = confirmed
    elif chosen not in social and (
        confirmed := next((title for title in social if title in declared), None)
    ):
        chosen = confirmed
    for other in titles:
        if other != chosen and (
            _variant(chosen, other) or (other in social and _cut_after_word(chosen, other))
        ):
            return other
    return chosen

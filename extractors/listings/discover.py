"""Discovery: turn feeds, sitemaps and front pages into candidate article URLs.

Pure functions of (bytes, url). Fetching lives in `extractors.fetch.client`;
`pactwatch.ingest.discovery` joins them. Raises DiscoveryFailed(url, kind="parse", reason) when
a document cannot be read at all.

`FeedState` is what one listing (feed, sitemap, front page) looked like last time: its HTTP
validators, a hash of its body (some servers send a fresh ETag with the same body, or the same
ETag with a new one, so the hash decides) and its failure streak, with the backoff that
follows from it. Its methods are pure transitions; storage persists the states.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit
from xml.etree.ElementTree import Element

import feedparser
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from extractors.datetimes import parse_date, plausible
from extractors.errors import DiscoveryFailed, FetchFailed
from extractors.inflate import gunzip
from extractors.urls import canonical_url, host_key

MAX_XML_BYTES = 50_000_000
FEED_BACKOFF = timedelta(hours=1)  # after n failures in a row: wait 1 h * 2**(n-1) ...
FEED_BACKOFF_MAX = timedelta(hours=24)  # ... but at most a day



@dataclass(frozen=True)
class FeedState:
    """A listing's validators, body hash and failure streak, as of its last check."""

    url: str
    source: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    failures: int = 0
    last_error: str | None = None
    next_try: datetime | None = None
    checked: datetime | None = None

    def request_headers(self) -> dict[str, str]:
        """Conditional-GET headers from the validators the server gave last time."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def backing_off(self, now: datetime) -> bool:
        """Whether the listing failed recently enough that it must not be tried yet."""
        return self.next_try is not None and now < self.next_try

    def not_modified(self, now: datetime) -> FeedState:
        """The server answered 304."""
        return replace(self, failures=0, last_error=None, next_try=None, checked=now)

    def fetched(self, body: bytes, headers: Mapping[str, str], now: datetime) -> FeedState:
        """A 200: new validators and hash (compare `content_hash` before calling)."""
        return replace(
            self,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            content_hash=body_hash(body),
            failures=0,
            last_error=None,
            next_try=None,
            checked=now,
        )

    def failed(self, error: str, now: datetime) -> FeedState:
        """One more failure in a row: wait 1 h, 2 h, 4 h ... (at most a day) before the next."""
        failures = self.failures + 1
        wait = min(FEED_BACKOFF * 2 ** min(failures - 1, 16), FEED_BACKOFF_MAX)
        return replace(
            self, failures=failures, last_error=error[:500], next_try=now + wait, checked=now
        )


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


@dataclass(frozen=True)
class Candidate:
    """An article URL found by discovery, with any date and title the listing gave."""

    url: str
    origin: str
    published: datetime | None = None
    title: str | None = None


@dataclass
class Listing:
    """What one feed, sitemap or front page pointed to."""

    candidates: list[Candidate] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    # Items with no address that can be read: (where, why). `where` is the listing's URL with
    # a fragment naming the item (its id, else its title, else its position), so the failure
    # row of an item is the same on every run.
    unusable: list[tuple[str, str]] = field(default_factory=list)

    def refuse(self, listing_url: str, name: object, why: str) -> None:
        where = canonical_url(listing_url).split("#")[0] + "#item=" + quote(str(name)[:200])
        self.unusable.append((where, why))


def parse_feed(body: bytes, url: str) -> Listing:
    """Parse RSS 0.9x/1.0/2.0, Atom or JSON Feed into candidates."""
    if body.lstrip()[:1] == b"{":
        return _parse_json_feed(body, url)
    _refuse_entities(body, url)
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if parsed.bozo and not parsed.entries:
        reason = str(getattr(parsed, "bozo_exception", "unreadable feed"))
        raise DiscoveryFailed(url, "parse", f"not a feed: {reason[:300]}")
    listing = Listing()
    for index, entry in enumerate(parsed.entries):
        link = _entry_link(entry)
        if link is None:
            title = entry.get("title")
            listing.refuse(url, entry.get("id") or title or index + 1,
                           f"feed item {index + 1} ({str(title)[:200]!r}) has no link that "
                           "can be read (missing, empty, or not a URL)")
            continue
        published = _entry_date(entry)
        listing.candidates.append(
            Candidate(canonical_url(str(link), url), "feed", published, entry.get("title"))
        )
    return listing


def _entry_link(entry: Mapping) -> str | None:
    """The item's address: its link whatever it holds (a `javascript:` or `mailto:` link is
    then refused by the fetch boundary and recorded as a failure with its reason, never
    dropped unseen), else its id when the id is an address (an id like `urn:uuid:…` names
    the item but says nothing about where it is)."""
    link = entry.get("link")
    if isinstance(link, str) and link.strip():
        return link
    ident = entry.get("id")
    if isinstance(ident, str) and ident.strip().startswith(("http://", "https://", "/")):
        return ident
    return None


def _entry_date(entry: Mapping) -> datetime | None:
    """The entry's date with its own offset; feedparser's UTC tuple when we cannot read it.
    Either must be `plausible` (feedparser's tuple can hold year 0 or 10000)."""
    for key in ("published", "updated", "created"):
        value = dict.get(entry, key)
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed:
            return parsed
    stamp = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    try:
        return plausible(datetime(*stamp[:6], tzinfo=UTC)) if stamp else None
    except (TypeError, ValueError):
        return None


def _parse_json_feed(body: bytes, url: str) -> Listing:
    import json

    try:
        data = json.loads(body.decode("utf-8-sig"))
        items = data.get("items", [])
    except (ValueError, AttributeError) as exc:
        raise DiscoveryFailed(url, "parse", f"not a JSON feed: {exc}") from None
    listing = Listing()
    for item in items if isinstance(items, list) else []:
        link = isinstance(item, dict) and (item.get("url") or item.get("external_url"))
        if isinstance(link, str):
            published = parse_date(str(item.get("date_published") or ""))
            listing.candidates.append(
                Candidate(canonical_url(link, url), "feed", published, item.get("title"))
            )
    return listing


def parse_sitemap(body: bytes, url: str) -> Listing:
    """Parse an XML sitemap, sitemap index, news sitemap, gzipped sitemap or text sitemap."""
    if body[:2] == b"\x1f\x8b":  # a .gz file: inflated at most to the cap, never whole
        try:
            body = gunzip(url, body, MAX_XML_BYTES)
        except FetchFailed as exc:
            kind = "too-large" if exc.kind == "too-large" else "parse"
            raise DiscoveryFailed(url, kind, f"gzipped sitemap: {exc.reason}") from None
    text_start = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text_start.startswith(b"<"):
        return _parse_text_sitemap(body, url)
    _refuse_entities(body, url)
    try:
        root = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise DiscoveryFailed(url, "parse", f"not a sitemap: {exc}") from None
    listing = Listing()
    if _local(root) == "sitemapindex":
        for loc in _children(root, "sitemap"):
            link = _text(loc, "loc") or (loc.text or "").strip()  # some omit <loc>
            if link:
                listing.sitemaps.append(canonical_url(link, url))
        return listing
    for index, node in enumerate(_children(root, "url")):
        link = _text(node, "loc") or (node.text or "").strip()
        if not link:
            listing.refuse(url, index + 1, f"sitemap entry {index + 1} has no <loc>")
            continue
        published = parse_date(_deep_text(node, "publication_date") or _text(node, "lastmod"))
        title = _deep_text(node, "title")
        listing.candidates.append(Candidate(canonical_url(link, url), "sitemap", published, title))
    return listing


def _parse_text_sitemap(body: bytes, url: str) -> Listing:
    text = body.decode("utf-8-sig", errors="replace")
    links = [line.strip() for line in text.splitlines() if line.strip().startswith("http")]
    if not links and text.strip():
        raise DiscoveryFailed(url, "parse", "neither XML nor a list of URLs")
    return Listing(candidates=[Candidate(canonical_url(u), "sitemap") for u in links])


def parse_homepage(body: bytes, url: str) -> Listing:
    """Links on a front page that look like articles on the same host, and announced feeds.

    lxml is imported here, on a run's first front page: a run that reads only feeds and
    sitemaps does not load it (5.5 MB of the flow's process)."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(body)
    except (ValueError, lxml_html.etree.ParserError) as exc:
        raise DiscoveryFailed(url, "parse", f"unreadable front page: {exc}") from None
    listing = Listing()
    for link in tree.iterfind(".//link[@rel='alternate'][@href]"):
        kind = (link.get("type") or "").lower()
        if "rss" in kind or "atom" in kind or "feed+json" in kind:
            listing.feeds.append(canonical_url(link.get("href", ""), url))
    host = host_key(url)
    seen: set[str] = set()
    for anchor in tree.iterfind(".//a[@href]"):
        target = canonical_url(anchor.get("href", ""), url)
        if host_key(target) != host or target in seen or not _looks_like_article(target):
            continue
        seen.add(target)
        title = " ".join(anchor.text_content().split()) or None
        listing.candidates.append(Candidate(target, "homepage", None, title))
    return listing


def _looks_like_article(url: str) -> bool:
    """Article paths are long or dated; section and utility pages are short. A URL that
    cannot be parsed is none (a link such as `http://[::1` is not followed)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    if re.search(r"\.(jpe?g|png|gif|pdf|xml|rss|css|js)$", path, re.I):
        return False
    segments = [s for s in path.split("/") if s]
    return bool(segments) and (
        bool(re.search(r"/20\d\d/", path)) or len(segments[-1]) > 24 or segments[-1].count("-") >= 3
    )


def _refuse_entities(body: bytes, url: str) -> None:
    """Refuse DTD entity declarations: they enable billion-laughs and external-entity attacks."""
    if len(body) > MAX_XML_BYTES:
        raise DiscoveryFailed(url, "too-large", f"document over {MAX_XML_BYTES} bytes")
    if b"<!ENTITY" in body[:65536]:
        raise DiscoveryFailed(url, "parse", "document declares XML entities; refused")


def _local(el: Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _children(el: Element, name: str) -> list[Element]:
    return [child for child in el if _local(child) == name]


def _text(el: Element, name: str) -> str | None:
    for child in _children(el, name):
        return (child.text or "").strip() or None
    return None


def _deep_text(el: Element, name: str) -> str | None:
    for child in el.iter():
        if _local(child) == name:
            return (child.text or "").strip() or None
    return None

"""Render every page, feed and sitemap of the sample site into in-memory resources.

Everything is rendered once when the server starts, so responses and ETags are stable for
the life of the server: conditional requests return 304 exactly when nothing has changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pactwatch.sample_site.boilerplate import (
    ABOUT_PAGES,
    COOKIE_NOTICES,
    PRIVACY_TEXT,
    comments_for,
)
from pactwatch.sample_site.models import Outlet, SampleArticle
from pactwatch.sample_site.outlets import OUTLETS

HTML = "text/html; charset=utf-8"
CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}
TRACKING_QUERY = "?utm_source=rss&utm_medium=feed&utm_campaign=headlines"


@dataclass(frozen=True)
class Resource:
    """One servable response body with the validators conditional requests need."""

    body: bytes
    content_type: str
    last_modified: datetime
    etag: str

    @classmethod
    def of(cls, text: str, content_type: str, last_modified: datetime) -> Resource:
        body = text.encode("utf-8")
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        return cls(body, content_type, last_modified.astimezone(UTC), etag)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["rfc822"] = format_datetime
    env.filters["iso"] = lambda d: d.isoformat(timespec="seconds")
    env.filters["human"] = lambda d: d.strftime("%-d %B %Y, %H:%M")
    return env


def _json_ld(article: SampleArticle, outlet: Outlet) -> dict[str, Any]:
    """schema.org NewsArticle; Pacific Ledger wraps it in an @graph like many CMSs do."""
    news = {
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.standfirst,
        "datePublished": article.published.isoformat(timespec="seconds"),
        "dateModified": article.published.isoformat(timespec="seconds"),
        "author": [{"@type": "Person", "name": name} for name in article.authors],
        "publisher": {"@type": "Organization", "name": outlet.name},
        "mainEntityOfPage": article.url,
        "articleSection": article.section,
        "articleBody": article.body_text,
    }
    if article.syndicated_from:
        news["isBasedOn"] = article.syndicated_from
    if outlet.slug == "pacific-ledger":
        site = {"@type": "WebSite", "name": outlet.name, "url": outlet.prefix}
        return {"@context": "https://schema.org", "@graph": [news, site]}
    return {"@context": "https://schema.org", **news}


def _related(article: SampleArticle, same_outlet: list[SampleArticle]) -> list[SampleArticle]:
    others = [a for a in same_outlet if a.key != article.key]
    return sorted(others, key=lambda a: abs(a.published - article.published))[:3]


class SiteRenderer:
    """Builds the path -> Resource table for one set of dated articles."""

    def __init__(self, articles: list[SampleArticle], base_url: str, today: date) -> None:
        self.env = _environment()
        self.articles = articles
        self.base_url = base_url
        self.today = today
        self.by_key = {a.key: a for a in articles}
        self.newest = max(a.published for a in articles)

    def outlet_articles(self, outlet: Outlet) -> list[SampleArticle]:
        return [a for a in self.articles if a.outlet == outlet.slug]

    def _page(self, template: str, outlet: Outlet | None, **context: Any) -> str:
        return self.env.get_template(template).render(
            outlet=outlet,
            base_url=self.base_url,
            year=self.today.year,
            cookie_text=COOKIE_NOTICES[outlet.slug] if outlet else "",
            **context,
        )

    def render_article(self, index: int, article: SampleArticle) -> Resource:
        outlet = OUTLETS[article.outlet]
        original = None
        if article.syndicated_from:
            original = next(a for a in self.articles if a.url == article.syndicated_from)
        short = outlet.prefix.strip("/")
        text = self._page(
            f"{short}_article.html",
            outlet,
            a=article,
            ld=_json_ld(article, outlet),
            comments=comments_for(index),
            related=_related(article, self.outlet_articles(outlet)),
            most_read=self.outlet_articles(outlet)[:5],
            original=original,
        )
        return Resource.of(text, HTML, article.published)

    def render_outlet(self, outlet: Outlet) -> dict[str, Resource]:
        """Front page, feed, sitemap and the two static pages of one outlet."""
        items = self.outlet_articles(outlet)
        newest = max(a.published for a in items)
        short = outlet.prefix.strip("/")
        feed_links = {
            a.key: a.url + (TRACKING_QUERY if i % 2 == 0 else "") for i, a in enumerate(items)
        }
        feed = self._page(f"{outlet.feed_type}.xml", outlet, items=items, links=feed_links,
                          updated=newest, feed_url=self.base_url + outlet.feed_path)
        sitemap_template = "news_sitemap.xml" if outlet.news_sitemap else "sitemap.xml"
        sitemap = self._page(sitemap_template, outlet, items=items)
        static = {"about": ABOUT_PAGES[outlet.slug], "privacy": (PRIVACY_TEXT,)}
        resources = {
            outlet.prefix: Resource.of(
                self._page(f"{short}_home.html", outlet, items=items), HTML, newest
            ),
            outlet.feed_path: Resource.of(feed, CONTENT_TYPES[outlet.feed_type], newest),
            outlet.sitemap_path: Resource.of(sitemap, CONTENT_TYPES["xml"], newest),
        }
        for name, paragraphs in static.items():
            page = self._page("static_page.html", outlet, page_title=name.title(),
                              paragraphs=paragraphs)
            resources[f"{outlet.prefix}{name}/"] = Resource.of(page, HTML, newest)
        return resources

    def render_all(self) -> dict[str, Resource]:
        resources: dict[str, Resource] = {}
        for index, article in enumerate(self.articles):
            resources[article.path] = self.render_article(index, article)
        for outlet in OUTLETS.values():
            resources.update(self.render_outlet(outlet))
        index_page = self._page("index.html", None, outlets=list(OUTLETS.values()),
                                articles=self.articles)
        resources["/"] = Resource.of(index_page, HTML, self.newest)
        robots = self._page("robots.txt", None, outlets=list(OUTLETS.values()))
        resources["/robots.txt"] = Resource.of(robots, CONTENT_TYPES["text"], self.newest)
        return resources


def render_site(articles: list[SampleArticle], base_url: str, today: date) -> dict[str, Resource]:
    """Every servable path of the site, keyed by URL path."""
    return SiteRenderer(articles, base_url, today).render_all()

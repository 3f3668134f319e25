"""The three fictional outlets and how their article URLs are shaped.

Each outlet uses a different URL scheme, time zone and discovery format on purpose, so the
pipeline is exercised against RSS and Atom, news and plain sitemaps, and varied permalinks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from pactwatch.sample_site.models import Outlet

HARBOUR = Outlet(
    slug="harbour-times",
    name="The Harbour Times",
    prefix="/harbour/",
    tz=timezone(timedelta(hours=10)),
    language="en",
    feed_path="/harbour/rss.xml",
    feed_type="rss",
    sitemap_path="/harbour/news-sitemap.xml",
    news_sitemap=True,
)

LEDGER = Outlet(
    slug="pacific-ledger",
    name="Pacific Ledger",
    prefix="/ledger/",
    tz=timezone(timedelta(hours=9)),
    language="en",
    feed_path="/ledger/atom.xml",
    feed_type="atom",
    sitemap_path="/ledger/news-sitemap.xml",
    news_sitemap=True,
)

MERIDIAN = Outlet(
    slug="meridian-wire",
    name="Meridian Wire",
    prefix="/meridian/",
    tz=UTC,
    language="en",
    feed_path="/meridian/rss.xml",
    feed_type="rss",
    sitemap_path="/meridian/sitemap.xml",
    news_sitemap=False,
)

OUTLETS: dict[str, Outlet] = {o.slug: o for o in (HARBOUR, LEDGER, MERIDIAN)}


def article_path(outlet: Outlet, section: str, slug: str, published: datetime) -> str:
    """Permalink path in the outlet's own style (dated folders, .html pages or wire ids)."""
    section_slug = section.lower().replace(" ", "-")
    if outlet is HARBOUR:
        return f"/harbour/{published:%Y/%m/%d}/{slug}/"
    if outlet is LEDGER:
        return f"/ledger/{section_slug}/{slug}.html"
    return f"/meridian/{section_slug}/{slug}-{published:%Y%m%d}/"

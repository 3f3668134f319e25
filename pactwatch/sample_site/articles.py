"""All article specs, and the step that dates and addresses them for one build day.

`build_articles` is pure (no server needed), so tests can check the schedule for every
weekday, and it refuses to build a schedule that would break the site's promises: dates
inside the 14-day window, the same calendar day locally and in UTC, unique URLs, and
republications one or two days after their original.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, timedelta

from pactwatch.sample_site.articles_agreements import AGREEMENT_ARTICLES
from pactwatch.sample_site.articles_leaders import LEADER_ARTICLES
from pactwatch.sample_site.articles_offtopic import OFFTOPIC_ARTICLES
from pactwatch.sample_site.articles_summits import SUMMIT_ARTICLES
from pactwatch.sample_site.models import (
    ENTITY_IDS,
    ArticleSpec,
    SampleArticle,
    resolve_slot,
)
from pactwatch.sample_site.outlets import OUTLETS, article_path

WINDOW_DAYS = 14

ALL_SPECS: tuple[ArticleSpec, ...] = (
    AGREEMENT_ARTICLES + LEADER_ARTICLES + SUMMIT_ARTICLES + OFFTOPIC_ARTICLES
)


def _build_one(spec: ArticleSpec, today: date, base_url: str) -> SampleArticle:
    outlet = OUTLETS[spec.outlet]
    published = resolve_slot(spec.when, today, outlet.tz)
    path = article_path(outlet, spec.section, spec.slug, published)
    return SampleArticle(
        key=spec.key,
        url=base_url + path,
        path=path,
        outlet=outlet.slug,
        outlet_name=outlet.name,
        section=spec.section,
        title=spec.title,
        standfirst=spec.standfirst,
        published=published,
        authors=list(spec.authors),
        entities=spec.entities,
        paragraphs=spec.paragraphs,
        topical=bool(spec.entities),
    )


def _link_syndication(articles: list[SampleArticle]) -> list[SampleArticle]:
    """Fill `syndicated_from` with the original's URL for republished copies."""
    by_key = {a.key: a for a in articles}
    linked = []
    for spec, article in zip(ALL_SPECS, articles, strict=True):
        if spec.republish_of is None:
            linked.append(article)
            continue
        original = by_key[spec.republish_of]
        gap = article.published.date() - original.published.date()
        if not timedelta(days=1) <= gap <= timedelta(days=2):
            raise ValueError(f"{spec.key}: republished {gap.days} days after its original")
        linked.append(replace(article, syndicated_from=original.url))
    return linked


def _check(article: SampleArticle, today: date) -> None:
    """Reject a dated article that would break the 14-day window or straddle midnight UTC."""
    age = (today - article.published.date()).days
    if not 0 <= age < WINDOW_DAYS:
        raise ValueError(f"{article.key}: {age} days old on {today}")
    if article.published.astimezone(UTC).date() != article.published.date():
        raise ValueError(f"{article.key}: local and UTC publication dates differ")
    unknown = article.entities - ENTITY_IDS
    if unknown:
        raise ValueError(f"{article.key}: unknown entity ids {sorted(unknown)}")


def build_articles(today: date, base_url: str) -> list[SampleArticle]:
    """Date and address every spec for `today`, newest first."""
    articles = [_build_one(spec, today, base_url.rstrip("/")) for spec in ALL_SPECS]
    articles = _link_syndication(articles)
    for article in articles:
        _check(article, today)
    urls = [a.url for a in articles]
    if len(set(urls)) != len(urls):
        raise ValueError("two articles share a URL")
    return sorted(articles, key=lambda a: a.published, reverse=True)

"""The real ingest flow, twice, against the hostile site; then the digest of what it stored.

One module-scoped run covers every fault at once (it takes about as long as the slowest
fault); the tests below each check one fault or one guarantee in its result:
the run completes, the good articles are stored exactly once with their text decoded, each
fault is a `fetch_failure` row with its kind and a clear reason, requests stay within the
retry limit, and the second run stores nothing twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import html as lxml_html
from sqlmodel import Session, func, select

from storage.db import engine_for
from storage.models import ArticleRow, FetchFailureRow, MentionRow
from tests.faults.hostile_site import (
    BIG_FEED_ITEMS,
    FAULTS,
    GOOD,
    RETRIES,
    TRUNCATED,
    Fault,
    Good,
    HostileSite,
    fault_env,
)

pytestmark = pytest.mark.slow


@dataclass
class Runs:
    """What two ingest runs and one digest run over the hostile site left behind."""

    site: HostileSite
    first: dict
    second: dict
    seconds: float
    hits_first: dict[str, int]
    articles: dict[str, ArticleRow]
    articles_after_second: int
    mentions: int
    mentions_after_second: int
    failures: dict[str, FetchFailureRow]
    failures_after_second: dict[str, FetchFailureRow]
    digest_html: str


def _snapshot(url: str) -> tuple[dict[str, ArticleRow], int, dict[str, FetchFailureRow]]:
    with Session(engine_for(url)) as session:
        articles = {a.url: a for a in session.exec(select(ArticleRow))}
        mentions = session.exec(select(func.count()).select_from(MentionRow)).one()
        failures = {f.url: f for f in session.exec(select(FetchFailureRow))}
        for row in (*articles.values(), *failures.values()):
            session.expunge(row)
    return articles, mentions, failures


@pytest.fixture(scope="module")
def runs(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    """Ingest the hostile site twice, then render this week's digest from what was stored.

    The environment is `pipeline_env`'s (a temporary SQLite database and outbox, private
    addresses allowed) plus `fault_env()`; set here because `pipeline_env` is per test.
    """
    from flows.digest import digest_flow
    from flows.ingest import ingest_flow

    tmp = tmp_path_factory.mktemp("faults")
    env = {
        "PACTWATCH_DATABASE_URL": f"sqlite:///{tmp / 'pactwatch.db'}",
        "PACTWATCH_OUT_DIR": str(tmp / "out"),
        "PACTWATCH_OUTBOX_DIR": str(tmp / "out" / "outbox"),
        **fault_env(),
    }
    with pytest.MonkeyPatch.context() as mp, HostileSite() as site:
        for key, value in env.items():
            mp.setenv(key, value)
        sources = site.sources_yaml(tmp / "sources.yaml")
        started = time.monotonic()
        first = ingest_flow(sources_file=str(sources))
        seconds = time.monotonic() - started
        hits_first = dict(site.hits)
        articles, mentions, failures = _snapshot(env["PACTWATCH_DATABASE_URL"])
        second = ingest_flow(sources_file=str(sources))
        after, mentions_after, failures_after = _snapshot(env["PACTWATCH_DATABASE_URL"])
        week = site.published.astimezone(ZoneInfo("Asia/Tokyo")).isocalendar()
        digest = digest_flow(week=f"{week.year}-W{week.week:02d}", send=True)
        yield Runs(
            site, first, second, seconds, hits_first, articles, len(after), mentions,
            mentions_after, failures, failures_after,
            Path(digest["html_path"]).read_text(encoding="utf-8"),
        )


# --- the run as a whole --------------------------------------------------------------------


def test_the_run_completes_within_its_time_limits(runs: Runs) -> None:
    assert runs.first["stored"] == len(runs.site.good()), runs.first
    # every fault costs at most its retries and timeouts; they run side by side
    assert runs.seconds < 90, f"first run took {runs.seconds:.0f} s"


def test_every_good_article_is_stored_once_and_nothing_else(runs: Runs) -> None:
    assert set(runs.articles) == {runs.site.good_url(g) for g in runs.site.good()}
    for good in runs.site.good():
        assert runs.hits_first.get(_key(runs.site, good)) == 1, good.path


@pytest.mark.parametrize(
    "good", [*(g for g in GOOD if g.listed != "slow"), TRUNCATED],
    ids=lambda g: g.path.rsplit("/", 1)[-1],
)
def test_good_article_is_stored_whole_with_its_text_decoded(runs: Runs, good: Good) -> None:
    """Shift_JIS, EUC-KR and Windows-1252 with the charset in the header, a <meta>, or
    nowhere; a truncated page keeps what it has; hostile markup is kept as text."""
    row = runs.articles[runs.site.good_url(good)]
    assert row.title == good.title
    kept = good.paragraphs if good is not TRUNCATED else good.paragraphs[:-1]
    for paragraph in kept:
        assert paragraph in row.text, paragraph
    assert row.watchlist_version, "stored without its tagging"


# --- each fault ----------------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_is_recorded_with_its_kind_and_a_clear_reason(runs: Runs, fault: Fault) -> None:
    row = runs.failures.get(runs.site.url(fault.path))
    assert row is not None, f"no fetch_failure row for {fault.name}"
    assert (row.kind, row.source) == (fault.kind, "hostile"), row.detail
    assert fault.reason in row.detail, row.detail
    assert row.attempts == 1


@pytest.mark.parametrize("fault", [f for f in FAULTS if f.hits], ids=lambda f: f.name)
def test_fault_costs_no_more_requests_than_its_retries(runs: Runs, fault: Fault) -> None:
    assert runs.hits_first.get(fault.path) == fault.hits


@pytest.mark.parametrize("path", ["/a/status-503", "/a/status-429"])
def test_retry_after_is_honoured(runs: Runs, path: str) -> None:
    first, second = runs.site.times[path][:2]
    assert second - first >= 0.9, "retried before Retry-After: 1 had passed"


def test_redirect_loop_stops_at_the_first_repeat(runs: Runs) -> None:
    assert runs.hits_first.get("/a/loop-two") == 1
    assert runs.hits_first.get("/a/loop-one") == 1


def test_only_failures_of_the_faults_are_recorded(runs: Runs) -> None:
    # and the slow host's feed, whose robots.txt never answers (RFC 9309: disallowed)
    expected = {runs.site.url(f.path) for f in FAULTS} | {runs.site.slow_url + "/feed.xml"}
    assert set(runs.failures) == expected, set(runs.failures) ^ expected
    assert runs.first["failed"] == len(FAULTS) + 1


def test_self_referencing_sitemap_index_is_read_once(runs: Runs) -> None:
    assert runs.hits_first.get("/sitemaps/index.xml") == 1
    assert runs.hits_first.get("/sitemaps/news.xml") == 1
    sitemap_only = next(g for g in GOOD if g.listed == "sitemap")
    assert runs.site.good_url(sitemap_only) in runs.articles


def test_feed_with_50000_items_is_read_and_old_items_skipped(runs: Runs) -> None:
    assert runs.hits_first.get("/feeds/big.xml") == 1
    last = next(g for g in GOOD if g.listed == "big-feed")
    assert runs.site.good_url(last) in runs.articles, "the last of 50,000 items was lost"
    archive = [p for p in runs.hits_first if p.startswith("/archive/")]
    assert archive == [], "items older than the window were fetched"
    assert runs.first["found"] < BIG_FEED_ITEMS


def test_robots_txt_that_times_out_disallows_the_host(runs: Runs) -> None:
    """RFC 9309: a robots.txt that cannot be read disallows the whole host until it can be;
    it is asked with the usual retries, and the listing is a failure row saying why."""
    slow = next(g for g in GOOD if g.listed == "slow")
    assert runs.site.good_url(slow) not in runs.articles
    assert runs.hits_first.get("slow:/robots.txt") == RETRIES + 1
    assert runs.hits_first.get("slow:/feed.xml") is None
    row = runs.failures[runs.site.slow_url + "/feed.xml"]
    assert row.kind == "timeout" and "robots.txt unreachable" in row.detail, row.detail


def test_entities_never_reach_the_database(runs: Runs) -> None:
    text = " ".join(f"{a.title} {a.text}" for a in runs.articles.values())
    assert "root:" not in text and "lollollol" not in text


# --- the second run ------------------------------------------------------------------------


def test_second_run_stores_nothing_twice(runs: Runs) -> None:
    assert runs.second["stored"] == 0, runs.second
    assert runs.articles_after_second == len(runs.articles)
    assert runs.mentions_after_second == runs.mentions
    for good in runs.site.good():
        assert runs.site.hits.get(_key(runs.site, good)) == 1, f"{good.path} fetched again"


def test_second_run_keeps_one_row_per_failure(runs: Runs) -> None:
    assert set(runs.failures_after_second) >= set(runs.failures)
    for url, row in runs.failures_after_second.items():
        if url in runs.failures:
            # a listing fault is now backing off; an article fault was not offered again
            assert row.kind in (runs.failures[url].kind, "feed-backoff"), row.detail
            assert row.attempts <= 2


# --- the digest of what the hostile site published -----------------------------------------


def test_digest_renders_hostile_markup_inert(runs: Runs) -> None:
    html = runs.digest_html
    assert "Kishida and Marcos sign statement" in html, "the hostile article is not in the digest"
    tree = lxml_html.fromstring(html)
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in ("script", "iframe", "object", "embed", "img"), element.tag
        assert not [a for a in element.attrib if a.lower().startswith("on")], element.attrib
        for name in ("href", "src", "action"):
            value = element.get(name)
            if value is not None:
                assert value.startswith(("http://", "https://", "#")), value
    assert "javascript:" not in html.replace("javascript:alert(&#39;link&#39;)", "")
    assert '<script>alert("title")' not in html


def _key(site: HostileSite, good: Good) -> str:
    return ("slow:" if good.listed == "slow" else "") + good.path


"""A feed item that makes its batch raise costs only itself: quarantined, retried with backoff.

Real ingest runs under the Prefect harness against a loopback site, on SQLite and PostgreSQL.
The item is a page whose address the database refuses (a trigger aborts its insert), a real
failure that is not an outage.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select, update

from extractors.article.model import Article
from pactwatch.ingest.records import Extracted, Work
from pactwatch.ingest.store import store_batch
from storage import quarantine
from storage.db import engine_for, transient
from storage.models import ArticleRow, QuarantineRow
from tests.dbs import db_url, pg_database  # noqa: F401 - the session's PostgreSQL
from tests.faults.hostile_site import fault_env
from tests.faults.poison_site import POISON_PILL, REFUSAL, PoisonSite, refuse_poison_pills
from tests.servers import html_page

pytestmark = pytest.mark.slow
PILL = f"/news/2026/11/{POISON_PILL}-article"


@pytest.fixture()
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    for key, value in {**fault_env(), "PACTWATCH_DATABASE_URL": db_url,
                       "PACTWATCH_OUT_DIR": str(tmp_path / "out"),
                       "PACTWATCH_OUTBOX_DIR": str(tmp_path / "outbox")}.items():
        monkeypatch.setenv(key, value)
    return db_url


def _stored(url: str) -> set[str]:
    with Session(engine_for(url)) as session:
        return set(session.exec(select(ArticleRow.url)).all())


def _quarantined(url: str) -> dict[str, QuarantineRow]:
    with Session(engine_for(url)) as session:
        rows = quarantine.quarantined(session)
        for row in rows:
            session.expunge(row)
    return {row.url: row for row in rows}


def test_a_batch_that_raises_quarantines_its_poison_item_and_the_run_goes_on(
    prefect_harness: None, env: str, tmp_path: Path
) -> None:
    from flows.ingest import ingest_flow

    refuse_poison_pills(env)
    with PoisonSite() as site:
        for n in range(3):
            site.add_good(f"/news/2026/11/good-article-number-{n}", f"Talks resume round {n}")
        site.add_poison(PILL, html_page("Refused"), "the database refuses its row")
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")

        first = ingest_flow(sources_file=str(sources))
        assert _stored(env) == {site.url(p) for p in site.good}
        held = _quarantined(env)
        poison = site.url(PILL)
        assert list(held) == [poison]
        assert REFUSAL in held[poison].reason
        assert held[poison].attempts == 1 and held[poison].next_try is not None
        assert held[poison].next_try - held[poison].last_at == quarantine.FIRST_WAIT
        assert first["failed"] >= 1

        # The feed changes, so the poison is listed again: not due, it is not fetched again.
        site.add_good("/news/2026/11/good-article-number-3", "Talks resume round 3")
        fetched = site.hits(PILL)
        second = ingest_flow(sources_file=str(sources))
        assert second["stored"] == 1
        assert site.hits(PILL) == fetched

        # Its wait is over: tried once more (listed or not), and the wait doubles.
        with Session(engine_for(env)) as session, session.begin():
            session.exec(update(QuarantineRow).values(
                next_try=datetime.now(UTC) - timedelta(minutes=1)))
        ingest_flow(sources_file=str(sources))
        again = _quarantined(env)[poison]
        assert site.hits(PILL) > fetched
        assert again.attempts == 2
        assert again.next_try - again.last_at == 2 * quarantine.FIRST_WAIT


def test_backoff_doubles_to_seven_days_then_gives_up() -> None:
    waits = [quarantine.wait_after(n) for n in range(1, 12)]
    assert waits[:3] == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=4)]
    assert timedelta(days=7) in waits
    given_up = waits.index(None)
    assert waits[given_up - 1] == timedelta(days=7)
    assert all(w is not None and w <= timedelta(days=7) for w in waits[:given_up])


def test_a_row_the_database_refuses_is_not_an_outage(db_url: str) -> None:  # noqa: F811
    """The refusal raises out of the store (so the batch raises) and `transient` says it is
    the item's fault, not the database being away: it is quarantined, the run goes on."""
    refuse_poison_pills(db_url)
    url = f"https://news.example/{POISON_PILL}"
    article = Article(url=url, title="Refused", text="Ministers met again.")
    with pytest.raises(DBAPIError) as raised, Session(engine_for(db_url)) as session, \
            session.begin():
        store_batch(session, [Extracted(Work(url, "src"), article, (), None, url)], [], "v1")
    assert REFUSAL in str(raised.value) and not transient(raised.value)
    assert _stored(db_url) == set()

"""A feed item that makes its batch raise costs only itself: quarantined, retried with backoff.

Real ingest runs under the Prefect harness against a loopback site, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select, update

from storage import quarantine
from storage.db import engine_for
from storage.models import ArticleRow, QuarantineRow
from tests.dbs import db_url, pg_database  # noqa: F401 - the session's PostgreSQL
from tests.faults.hostile_site import fault_env
from tests.faults.poison_site import PoisonSite, year_zero_page

pytestmark = pytest.mark.slow


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

    with PoisonSite() as site:
        for n in range(3):
            site.add_good(f"/news/2026/11/good-article-number-{n}", f"Talks resume round {n}")
        site.add_poison("/news/2026/11/year-zero-article", year_zero_page("Year zero"),
                        "a date before year 1 in UTC")
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")

        first = ingest_flow(sources_file=str(sources))
        assert _stored(env) == {site.url(p) for p in site.good}
        held = _quarantined(env)
        poison = site.url("/news/2026/11/year-zero-article")
        assert list(held) == [poison]
        assert "OverflowError" in held[poison].reason
        assert held[poison].attempts == 1 and held[poison].next_try is not None
        assert held[poison].next_try - held[poison].last_at == quarantine.FIRST_WAIT
        assert first["failed"] >= 1

        # The feed changes, so the poison is listed again: not due, it is not fetched again.
        site.add_good("/news/2026/11/good-article-number-3", "Talks resume round 3")
        fetched = site.hits("/news/2026/11/year-zero-article")
        second = ingest_flow(sources_file=str(sources))
        assert second["stored"] == 1
        assert site.hits("/news/2026/11/year-zero-article") == fetched

        # Its wait is over: tried once more (listed or not), and the wait doubles.
        with Session(engine_for(env)) as session, session.begin():
            session.exec(update(QuarantineRow).values(
                next_try=datetime.now(UTC) - timedelta(minutes=1)))
        ingest_flow(sources_file=str(sources))
        again = _quarantined(env)[poison]
        assert site.hits("/news/2026/11/year-zero-article") > fetched
        assert again.attempts == 2
        assert again.next_try - again.last_at == 2 * quarantine.FIRST_WAIT


def test_backoff_doubles_to_seven_days_then_gives_up() -> None:
    waits = [quarantine.wait_after(n) for n in range(1, 12)]
    assert waits[:3] == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=4)]
    assert timedelta(days=7) in waits
    given_up = waits.index(None)
    assert waits[given_up - 1] == timedelta(days=7)
    assert all(w is not None and w <= timedelta(days=7) for w in waits[:given_up])

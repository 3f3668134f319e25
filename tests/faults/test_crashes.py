"""Crashes and restarts: a killed ingest, a database that goes away, SMTP down, two runs at once.

Each test runs the real flows (in-process, or `pactwatch ingest` subprocesses) against the
good part of the hostile site. Its blocking article holds a run in the middle of a batch
until the test has done its damage.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session, func, select

from storage.db import engine_for
from storage.models import ArticleRow, DeliveryRow, DigestRow, MentionRow
from tests.conftest import PG_URL
from tests.dbs import new_pg_schema, pg_database  # noqa: F401 - the session's PostgreSQL
from tests.faults.hostile_site import HostileSite, fault_env
from tests.faults.proxy import TcpProxy

pytestmark = pytest.mark.slow
PACTWATCH = str(Path(sys.executable).parent / "pactwatch")


@pytest.fixture()
def fault_settings(pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """`pipeline_env` plus the fault runs' short timeouts and small retries."""
    for key, value in fault_env().items():
        monkeypatch.setenv(key, value)
    return {**pipeline_env, **fault_env()}


def stored(database_url: str) -> list[tuple[str, str, str | None, int]]:
    """(url, title, watchlist version, mentions) of every stored article."""
    with Session(engine_for(database_url)) as session:
        rows = session.exec(
            select(ArticleRow.url, ArticleRow.title, ArticleRow.watchlist_version,
                   func.count(MentionRow.id))
            .join(MentionRow, MentionRow.article_id == ArticleRow.id, isouter=True)
            .group_by(ArticleRow.id)
        ).all()
    return [tuple(r) for r in rows]


def assert_each_good_article_stored_once(site: HostileSite, database_url: str) -> None:
    rows = stored(database_url)
    urls = [url for url, *_ in rows]
    assert sorted(urls) == sorted(site.good_url(g) for g in site.good()), "missing or extra"
    titles = {url: title for url, title, *_ in rows}
    for good in site.good():
        assert titles[site.good_url(good)] == good.title
    assert all(version and mentions > 0 for _, _, version, mentions in rows), (
        "an article was stored without its tagging"
    )


def subprocess_env(**extra: str) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), **extra}


class Background:
    """Run the ingest flow in a thread; keep its result or its exception."""

    def __init__(self, sources: Path) -> None:
        from flows.ingest import ingest_flow

        self.result: dict[str, Any] | None = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.result = ingest_flow(sources_file=str(sources))
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                self.error = exc

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self, timeout: float = 120) -> dict[str, Any]:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the run did not finish"
        assert self.error is None, f"the run failed: {self.error!r}"
        assert self.result is not None
        return self.result


# --- kill -9 in the middle of a batch --------------------------------------------------------


def test_sigkill_mid_batch_then_rerun_stores_every_article_exactly_once(
    prefect_harness: None, fault_settings: dict[str, str], tmp_path: Path
) -> None:
    from flows.ingest import ingest_flow

    url = fault_settings["PACTWATCH_DATABASE_URL"]
    with HostileSite(faults=False, blocker=True) as site:
        sources = site.sources_yaml(tmp_path / "sources.yaml")
        run = subprocess.Popen(
            [PACTWATCH, "ingest", "--sources", str(sources)],
            env=subprocess_env(PACTWATCH_BATCH_SIZE="2"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            assert site.blocked.wait(120), "the run never reached the blocking article"
        finally:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(30)
        before = stored(url)
        assert 0 < len(before) < len(site.good()), "the kill did not land mid-run"
        site.release.set()
        again = ingest_flow(sources_file=str(sources))
        assert again["stored"] == len(site.good()) - len(before), again
        assert_each_good_article_stored_once(site, url)
        assert ingest_flow(sources_file=str(sources))["stored"] == 0


# --- the database goes away ------------------------------------------------------------------


def test_postgresql_connections_killed_mid_run_the_run_completes(
    prefect_harness: None,
    fault_settings: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pg_database: URL,  # noqa: F811
) -> None:
    """Every connection of the run is terminated (what a server restart does to a client)
    while it waits in the middle of a batch; it reconnects and stores everything once."""
    import psycopg

    url = new_pg_schema(pg_database)
    monkeypatch.setenv("PACTWATCH_DATABASE_URL", url)
    dsn = make_url(url).set(drivername="postgresql").set(query={})
    with HostileSite(faults=False, blocker=True) as site:
        sources = site.sources_yaml(tmp_path / "sources.yaml")
        monkeypatch.setenv("PACTWATCH_BATCH_SIZE", "2")
        run = Background(sources)
        assert site.blocked.wait(120), "the run never reached the blocking article"
        with psycopg.connect(dsn.render_as_string(hide_password=False), autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        assert killed and killed[0] > 0, "the run held no connection to kill"
        site.release.set()
        result = run.join()
        assert result["stored"] == len(site.good())
        assert_each_good_article_stored_once(site, url)


def test_taking_and_giving_back_leases_rides_out_a_database_blip(
    pg_database: URL,  # noqa: F811
) -> None:
    """The database is unreachable for a second just as a batch takes its hosts' leases (how
    the run-level test below once failed): taking the leases waits it out."""
    from pactwatch.ingest import leases

    proxy = TcpProxy(("127.0.0.1", make_url(PG_URL).port or 5432))
    url = make_url(new_pg_schema(pg_database)).set(port=proxy.port)
    url_text = url.render_as_string(hide_password=False)
    hosts = ["https://a.example", "https://b.example"]
    try:
        assert leases.holders(url_text) == {}  # schema made; the pool keeps a connection
        proxy.down()
        threading.Timer(1.0, proxy.up).start()
        with leases.hold(url_text, hosts) as me:
            assert proxy.refused > 0, "the blip never reached the lease"
            assert leases.holders(url_text) == dict.fromkeys(hosts, me)
        assert leases.holders(url_text) == dict.fromkeys(hosts)
    finally:
        proxy.close()


def test_a_batch_whose_commit_answer_is_lost_is_stored_and_counted_once(
    pg_database: URL,  # noqa: F811
) -> None:
    """The connection breaks after PostgreSQL received a batch's COMMIT and before its answer
    (how a CI run once reported 3 of 5 articles stored): the retry finds the batch stored,
    stores nothing twice, and still counts its articles and mentions as new."""
    from extractors.article.model import Article
    from pactwatch.ingest.pipeline import store
    from pactwatch.ingest.records import Extracted, Work
    from storage import repo
    from storage.db import transaction
    from tests.dbs import M

    proxy = TcpProxy(("127.0.0.1", make_url(PG_URL).port or 5432))
    url = make_url(new_pg_schema(pg_database)).set(port=proxy.port)
    url_text = url.render_as_string(hide_password=False)
    batch = [
        Extracted(Work(f"https://example.org/a/{n}", "src"),
                  Article(url=f"https://example.org/a/{n}", title=f"Pact talks, day {n}",
                          text=f"Manila and Tokyo met again on the access agreement ({n})."),
                  (M("raa", 0, 6, "Manila", "Manila and Tokyo met."),))
        for n in range(3)
    ]
    try:
        transaction(url_text, repo.status, "reading")  # tables made, a pooled connection
        proxy.lose_next_commit_answer()
        counts = store(batch, [], url_text, "v1")
        assert proxy.commits_cut == 1, "no COMMIT went through the proxy"
    finally:
        proxy.close()
    assert (counts.new, counts.duplicates, counts.mentions) == (3, 0, 3)
    direct = url.set(port=make_url(PG_URL).port or 5432).render_as_string(hide_password=False)
    assert sorted(u for u, *_ in stored(direct)) == sorted(b.work.url for b in batch)


def test_postgresql_unreachable_for_a_moment_the_run_retries_and_completes(
    prefect_harness: None,
    fault_settings: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pg_database: URL,  # noqa: F811
) -> None:
    """The database is unreachable for 1 s just as the run finishes fetching a batch (its
    connections reset, new ones refused; a TCP proxy stands for the network): the run's
    retries carry it over the gap and everything is stored once."""
    proxy = TcpProxy(("127.0.0.1", make_url(PG_URL).port or 5432))
    url = make_url(new_pg_schema(pg_database)).set(port=proxy.port)
    url_text = url.render_as_string(hide_password=False)
    monkeypatch.setenv("PACTWATCH_DATABASE_URL", url_text)
    try:
        with HostileSite(faults=False, blocker=True) as site:
            sources = site.sources_yaml(tmp_path / "sources.yaml")
            monkeypatch.setenv("PACTWATCH_BATCH_SIZE", "2")
            run = Background(sources)
            assert site.blocked.wait(120), "the run never reached the blocking article"
            proxy.down()
            site.release.set()
            time.sleep(1.0)
            proxy.up()
            result = run.join()
            assert proxy.refused > 0, "the run never noticed the outage"
    finally:
        proxy.close()
    assert result["stored"] == len(site.good())
    direct = url.set(port=make_url(PG_URL).port or 5432)  # the proxy is closed by now
    assert_each_good_article_stored_once(site, direct.render_as_string(hide_password=False))


def test_sqlite_locked_by_another_writer_the_run_waits_and_completes(
    prefect_harness: None, fault_settings: dict[str, str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another process holds SQLite's write lock (BEGIN EXCLUSIVE) for 3 s while the run
    has a batch to store: the run waits for it (busy timeout) and stores everything once."""
    url = fault_settings["PACTWATCH_DATABASE_URL"]
    path = make_url(url).database
    with HostileSite(faults=False, blocker=True) as site:
        sources = site.sources_yaml(tmp_path / "sources.yaml")
        monkeypatch.setenv("PACTWATCH_BATCH_SIZE", "2")
        run = Background(sources)
        assert site.blocked.wait(120), "the run never reached the blocking article"
        other = sqlite3.connect(path, isolation_level=None, timeout=30)
        other.execute("BEGIN EXCLUSIVE")
        site.release.set()
        time.sleep(3)
        assert run.thread.is_alive(), "the run finished while the database was locked"
        other.execute("ROLLBACK")
        other.close()
        result = run.join()
    assert result["stored"] == len(site.good())
    assert_each_good_article_stored_once(site, url)


# --- two runs at once ------------------------------------------------------------------------


def test_two_concurrent_ingest_processes_store_each_article_once(
    prefect_harness: None, fault_settings: dict[str, str], tmp_path: Path
) -> None:
    url = fault_settings["PACTWATCH_DATABASE_URL"]
    engine_for(url)  # schema first, as `pactwatch db upgrade` would
    with HostileSite(faults=False) as site:
        sources = site.sources_yaml(tmp_path / "sources.yaml")
        env = subprocess_env(PACTWATCH_BATCH_SIZE="2")
        runs = [
            subprocess.Popen([PACTWATCH, "ingest", "--sources", str(sources)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=240) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err[-2000:]
    assert_each_good_article_stored_once(site, url)
    # Listing state is saved only after a run's batches are stored (so a killed run loses
    # nothing); two runs that overlap may therefore both fetch a new article, never more.
    for good in site.good():
        assert 1 <= site.hits[good.path] <= 2, f"{good.path} fetched {site.hits[good.path]} times"


# --- SMTP down during the digest -------------------------------------------------------------


def test_smtp_down_the_digest_is_kept_and_the_next_run_delivers_it_once(
    prefect_harness: None, pipeline_env: dict[str, str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aiosmtpd.controller import Controller

    from flows.digest import digest_flow
    from tests.test_digest import seed, write_config
    from tests.test_mail import WEEK, Inbox, free_port

    url = pipeline_env["PACTWATCH_DATABASE_URL"]
    seed(url)
    recipients = [{"address": "a@example.org"}, {"address": "b@example.org"}]
    port = free_port()
    env = write_config(tmp_path, recipients) | {
        "PACTWATCH_SMTP_HOST": "127.0.0.1",
        "PACTWATCH_SMTP_PORT": str(port),
        "PACTWATCH_SMTP_SECURITY": "none",
        "PACTWATCH_SMTP_TIMEOUT": "3",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    from pactwatch.digest.run import DeliveryIncomplete

    with pytest.raises(DeliveryIncomplete) as failed:  # nothing listens: the run fails
        digest_flow(week=WEEK)
    down = failed.value.stats
    assert down["delivered"] == [] and sorted(down["failed"]) == ["a@example.org", "b@example.org"]
    assert Path(down["html_path"]).is_file()
    with Session(engine_for(url)) as session:
        assert session.exec(select(DigestRow).where(DigestRow.week == WEEK)).first()
        assert {d.state for d in session.exec(select(DeliveryRow))} == {"failed"}

    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        up = digest_flow(week=WEEK)
        again = digest_flow(week=WEEK)
    finally:
        server.stop()
    assert sorted(up["delivered"]) == ["a@example.org", "b@example.org"]
    both = ["a@example.org", "b@example.org"]
    assert again["delivered"] == [] and sorted(again["skipped"]) == both
    assert sorted(r for rcpt, _ in inbox.messages for r in rcpt) == both, "sent twice or lost"

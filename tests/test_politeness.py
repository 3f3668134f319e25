"""Per-host limits hold across concurrent runs: leases in the database, counted at the server."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from pactwatch.ingest import fetching, leases, records
from pactwatch.sample_site import SampleSite, server
from storage.db import engine_for
from storage.models import utcnow

HOST = "http://example.test:80"


class InFlight:
    """Counts simultaneous requests at the sample site (each one held a little longer)."""

    def __init__(self, hold: float = 0.15) -> None:
        self.hold, self.now, self.peak, self.total = hold, 0, 0, 0
        self.lock = threading.Lock()

    def wrap(self, serve):  # type: ignore[no-untyped-def]
        def counted(handler, send_body: bool) -> None:  # type: ignore[no-untyped-def]
            if handler.path.endswith("/robots.txt"):
                return serve(handler, send_body)
            with self.lock:
                self.now += 1
                self.total += 1
                self.peak = max(self.peak, self.now)
            try:
                time.sleep(self.hold)
                return serve(handler, send_body)
            finally:
                with self.lock:
                    self.now -= 1

        return counted


@pytest.fixture()
def counted_site(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SampleSite, InFlight]]:
    counter = InFlight()
    monkeypatch.setattr(server._Handler, "_serve", counter.wrap(server._Handler._serve))
    with SampleSite() as site:
        yield site, counter


def _sources(site: SampleSite, path: Path, concurrency: int) -> str:
    data = yaml.safe_load(site.sources_yaml())
    for source in data["sources"]:
        source["concurrency"] = concurrency
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def _two_ingests(sources_file: str) -> list[dict]:
    from flows.ingest import ingest_flow

    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(ingest_flow, sources_file=sources_file) for _ in range(2)]
        return [run.result() for run in runs]


@pytest.mark.slow
def test_two_concurrent_ingests_keep_the_host_limit(
    prefect_harness: None,
    pipeline_env: dict[str, str],
    counted_site: tuple[SampleSite, InFlight],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site, counter = counted_site
    monkeypatch.setenv("PACTWATCH_BATCH_SIZE", "8")
    results = _two_ingests(_sources(site, tmp_path / "sources.yaml", concurrency=2))
    assert sum(r["stored"] for r in results) == len(site.articles)
    assert counter.peak == 2, f"peak {counter.peak} simultaneous requests, limit 2"


@pytest.mark.parametrize("leased", [False, True])
def test_two_fetchers_at_once_exceed_the_limit_only_without_leases(
    counted_site: tuple[SampleSite, InFlight], tmp_path: Path, sqlite_url: str, leased: bool
) -> None:
    """The control: process-local limits alone let two concurrent batches exceed the limit."""
    from extractors.listings.sources import load_sources
    from pactwatch.settings import load_settings

    site, counter = counted_site
    sources = load_sources(_sources(site, tmp_path / "sources.yaml", concurrency=2))
    settings = load_settings({"PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true",
                              "PACTWATCH_DATABASE_URL": sqlite_url})
    work = [records.Work(a.url, a.outlet) for a in site.articles[:8]]
    together = threading.Barrier(2)

    def fetch_batch(_: int) -> int:
        together.wait()
        hold = (leases.hold_for(sqlite_url, [w.url for w in work], fetching.host_policies(sources))
                if leased else contextlib.nullcontext())
        with hold:
            return len(fetching.fetch(work, sources, settings)[0])

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(fetch_batch, range(2))) == [8, 8]
    assert (counter.peak == 2) if leased else (counter.peak > 2), f"peak {counter.peak}"


def test_lease_is_exclusive_and_waits_for_the_delay(sqlite_url: str) -> None:
    order: list[tuple[str, float]] = []

    def hold(name: str) -> None:
        with leases.hold(sqlite_url, [HOST], {HOST: 0.3}):
            order.append((name + "-in", time.monotonic()))
            time.sleep(0.2)
            order.append((name + "-out", time.monotonic()))

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(hold, ["a", "b"]))
    names = [n for n, _ in order]
    assert names in (["a-in", "a-out", "b-in", "b-out"], ["b-in", "b-out", "a-in", "a-out"])
    assert order[2][1] - order[1][1] >= 0.29  # the host's delay between holders
    assert leases.holders(sqlite_url) == {HOST: None}


def test_lease_of_a_dead_process_is_taken_over(sqlite_url: str) -> None:
    code = (
        "import os, sys; from pactwatch.ingest import leases\n"
        f"cm = leases.hold({sqlite_url!r}, [{HOST!r}], ttl=3600); cm.__enter__()\n"
        "os._exit(0)  # dies holding the lease\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ, timeout=60)
    assert leases.holders(sqlite_url)[HOST] is not None
    started = time.monotonic()
    with leases.hold(sqlite_url, [HOST], wait=5):
        pass
    assert time.monotonic() - started < 2


def test_lease_left_behind_by_this_process_is_taken_over(sqlite_url: str) -> None:
    """A lease whose taking failed halfway (the UPDATE committed, the reply lost with the
    connection) carries this live process's id; the next `hold` must not wait for its TTL."""
    import socket

    from sqlalchemy import update

    from storage.leases import host_lease

    with leases.hold(sqlite_url, [HOST]):
        pass
    orphan = f"{socket.gethostname()}:{os.getpid()}:deadbeef"
    with engine_for(sqlite_url).begin() as conn:
        later = utcnow() + timedelta(hours=1)
        conn.execute(update(host_lease).values(holder=orphan, expires=later))
    assert leases.holders(sqlite_url)[HOST] == orphan
    with leases.hold(sqlite_url, [HOST], wait=5) as me:
        assert leases.holders(sqlite_url)[HOST] == me


def test_lease_wait_is_bounded(sqlite_url: str) -> None:
    with leases.hold(sqlite_url, [HOST]):
        with pytest.raises(leases.LeaseTimeout):
            with leases.hold(sqlite_url, [HOST], wait=0.3):
                pass

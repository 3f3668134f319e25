"""Fan-out of one ingest run over the work pool: a real `make server`, `make deploy`, and TWO
`pactwatch worker`s (limit 2 runs each, so both must take shards: the parent holds a slot of
one of them), against loopback sites on several hosts (ports) that count simultaneous requests
per host, into one PostgreSQL database shared by all the runs as on several machines.

Shows: the `ingest` run splits into shards run as flow runs of `ingest-shard`, both workers
store articles of the same run, no host ever gets more requests at once than its source's
`concurrency`, and the parent's summary is the sum of what the shards recorded. Then a shard
killed twice (SIGKILL of its process, and of its retry): the other shards' articles are stored
and counted, and the parent ends Failed naming the killed shard.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import psutil
import pytest
import yaml
from sqlmodel import Session, select

from storage import runs
from storage.db import engine_for
from storage.models import ArticleRow
from tests.dbs import new_pg_schema, pg_database  # noqa: F401 - fixture
from tests.servers import HTML, LoopbackServer, reply
from tests.test_deploy import _api, _stop, _wait_final, _wait_healthy, free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOSTS = 6  # two sources on each: 12 sources, 3 per shard -> 4 shards
CONCURRENCY = 2
ARTICLES = 4  # per source and run
WORDS = ("alliance treaty summit minister defence coast guard exercise port visit patrol "
         "drill logistics pact signing review talks envoy frigate harbour supply rules "
         "shared training forces islands strait agreement cabinet budget radar maritime "
         "security partner dialogue council framework naval air joint staff").split()


@dataclass
class Host:
    """One loopback host: feeds and articles of its sources; counts requests in flight."""

    hold: float = 0.05  # each page answered this much later, so overlapping requests show
    hang: set[str] = field(default_factory=set)  # sources whose articles never answer in time
    now: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?")[0]
        if path == "/robots.txt":
            return reply(request, 200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"})
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(self.hold)
            source, _, page = path.strip("/").partition("/")
            if page.startswith("feed-"):
                body, kind = _feed(self, request, source, page), "application/rss+xml"
            elif source in self.hang:
                time.sleep(30)
                return None
            else:
                body, kind = _article(source, page), HTML
            return reply(request, 200, body, {"Content-Type": kind})
        finally:
            with self.lock:
                self.now -= 1


def _base(request: BaseHTTPRequestHandler) -> str:
    return f"http://127.0.0.1:{request.server.server_address[1]}"


def _feed(host: Host, request: BaseHTTPRequestHandler, source: str, page: str) -> bytes:
    """/<source>/feed-<round>.xml lists ARTICLES pages new to that round."""
    round_ = page.removeprefix("feed-").removesuffix(".xml")
    when = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><title>{source} {round_} {i}</title>"
        f"<link>{_base(request)}/{source}/{round_}-{i}.html</link><pubDate>{when}</pubDate></item>"
        for i in range(ARTICLES)
    )
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>{source}</title>"
            f"<link>{_base(request)}/</link>{items}</channel></rss>").encode()


def _article(source: str, page: str) -> bytes:
    rng = random.Random(f"{source}/{page}")
    title = f"{source} {page}: " + " ".join(rng.choice(WORDS) for _ in range(6))
    text = "".join(f"<p>{' '.join(rng.choice(WORDS) for _ in range(45))}.</p>" for _ in range(6))
    return (f"<!doctype html><html lang='en'><head><title>{title}</title><meta property="
            f"'article:published_time' content='{datetime.now(UTC).isoformat()}'></head>"
            f"<body><article><h1>{title}</h1>{text}</article></body></html>").encode()


@dataclass
class Pool:
    """The server's API, the sites' hosts and where the runs store."""

    api: str
    hosts: list[Host]
    urls: list[str]
    database_url: str
    tmp: Path

    def sources_file(self, name: str, round_: str, hang: str = "") -> str:
        """A sources file of two sources per host, reading feed round `round_`."""
        sources = [
            {"name": f"h{h}-{s}", "feeds": [f"{url}/h{h}-{s}/feed-{round_}.xml"],
             "concurrency": CONCURRENCY, "delay": 0}
            for h, url in enumerate(self.urls) for s in ("a", "b")
        ]
        for h, host in enumerate(self.hosts):
            host.hang = {f"h{h}-a", f"h{h}-b"} if f"h{h}" == hang else set()
        path = self.tmp / name
        path.write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
        return str(path)


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory, pg_database) -> Iterator[Pool]:  # noqa: F811
    tmp = tmp_path_factory.mktemp("fanout")
    port, hosts = free_port(), [Host() for _ in range(HOSTS)]
    api = f"http://127.0.0.1:{port}/api"
    database_url = new_pg_schema(pg_database)
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(LoopbackServer(h.respond)).base_url for h in hosts]
        made = Pool(api, hosts, urls, database_url, tmp)
        env = {**os.environ, "PREFECT_HOME": str(tmp / "prefect-home"), "PREFECT_API_URL": api,
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
               "PREFECT_LOGGING_LEVEL": "INFO", "PREFECT_CLI_PROMPT": "false",
               "PACTWATCH_HOME": str(REPO), "PACTWATCH_INGEST_CRON": "0 0 1 1 *",
               "PACTWATCH_SOURCES_FILE": made.sources_file("sources.yaml", "first"),
               "PACTWATCH_DATABASE_URL": database_url, "PACTWATCH_OUT_DIR": str(tmp / "out"),
               "PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true", "PACTWATCH_SHARD_SOURCES": "3",
               "PACTWATCH_WORKERS": "1", "PACTWATCH_READ_TIMEOUT": "20",
               "PREFECT_WORKER_QUERY_SECONDS": "1"}
        log = (tmp / "server.log").open("w")
        stack.callback(log.close)
        make = ["make", "--no-print-directory", f"PREFECT_PORT={port}", "PREFECT_HOST=127.0.0.1"]
        server = _start([*make, "server"], env, log)
        stack.callback(_stop, server)
        _wait_healthy(api, server, tmp / "server.log")
        done = subprocess.run([*make, "deploy"], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        for name in ("fan-a", "fan-b"):
            worker = _start([str(BIN / "pactwatch"), "worker", "--pool", "pactwatch", "--name",
                             name, "--limit", "2"], env, log)
            stack.callback(_stop, worker)
        yield made


def _start(command: list[str], env: dict[str, str], log) -> subprocess.Popen[bytes]:  # noqa: ANN001
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _run_ingest(pool: Pool, parameters: dict) -> tuple[dict, dict]:
    """Start an `ingest` run as the schedule would; its final state and its artifacts."""
    ingest = _api(pool, "GET", "/deployments/name/ingest/ingest").json()
    run = _api(pool, "POST", f"/deployments/{ingest['id']}/create_flow_run",
               json={"parameters": parameters}).json()
    state = _wait_final(pool, run["id"], timeout=420)
    artifacts = _api(pool, "POST", "/artifacts/filter",
                     json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}}).json()
    return state, {a["key"]: a for a in artifacts}


def _recorded(pool: Pool, flow: str) -> list[dict]:
    with Session(engine_for(pool.database_url)) as session:
        return runs.stats_after(session, flow, 0)


def _stored_urls(pool: Pool) -> set[str]:
    with Session(engine_for(pool.database_url)) as session:
        return set(session.exec(select(ArticleRow.url)).all())


def test_two_workers_share_one_ingest_run_within_each_hosts_limit(pool: Pool) -> None:
    deployed = _api(pool, "GET", "/deployments/name/ingest/ingest-shard").json()
    assert deployed["schedules"] == [] and not deployed.get("concurrency_limit")
    assert deployed["tags"] == ["pactwatch-shard"]  # a retried shard sends no alert
    state, artifacts = _run_ingest(pool, {})
    assert state["type"] == "COMPLETED", state
    shards = _recorded(pool, "ingest-shard")
    assert len(shards) >= 4
    workers = {s["worker"] for s in shards if s["stored"] > 0}
    assert workers == {"fan-a", "fan-b"}, shards  # both stored articles of this run
    parent = _recorded(pool, "ingest")[-1]
    assert {r["flow run"]: r["worker"] for r in parent["shards"]} == {
        s["flow_run_id"]: s["worker"] for s in shards}
    for key in ("found", "new", "stored", "failed"):
        assert parent[key] == sum(s[key] for s in shards), key
    stored = _stored_urls(pool)
    assert parent["stored"] == len(stored) == HOSTS * 2 * ARTICLES
    assert set(parent["sources"]) == {f"h{h}-{s}" for h in range(HOSTS) for s in "ab"}
    peaks = [h.peak for h in pool.hosts]
    assert max(peaks) == CONCURRENCY and min(peaks) >= 1, peaks  # used, never exceeded
    assert "ingest-shards" in artifacts and "ingest-summary" in artifacts


def test_a_shard_that_keeps_crashing_fails_the_run_but_not_the_others(pool: Pool) -> None:
    before = _stored_urls(pool)
    sources = pool.sources_file("second.yaml", "second", hang="h2")
    killed: list[str] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_shards_of, args=(pool, "h2-a", killed, stop))
    killer.start()
    try:
        state, artifacts = _run_ingest(pool, {"sources_file": sources})
    finally:
        stop.set()
        killer.join()
    assert len(killed) == 2  # the shard and its one retry
    assert state["type"] == "FAILED", state
    assert "h2-a, h2-b" in state["message"] and "CRASHED after 2 attempts" in state["message"]
    new = _stored_urls(pool) - before
    expected = {f"{pool.urls[h]}/h{h}-{s}/second-{i}.html"
                for h in range(HOSTS) if h != 2 for s in "ab" for i in range(ARTICLES)}
    assert new == expected
    parent = _recorded(pool, "ingest")[-1]
    assert parent["stored"] == len(expected)
    (failed,) = [r for r in parent["shards"] if r["state"] != "COMPLETED"]
    assert failed["sources"] == "h2-a, h2-b" and failed["flow run"] == killed[-1]
    assert max(h.peak for h in pool.hosts) <= CONCURRENCY


def _kill_shards_of(pool: Pool, source: str, killed: list[str], stop: threading.Event) -> None:
    """SIGKILL every running shard run that ingests `source` (with what it started)."""
    while not stop.is_set():
        found = _api(pool, "POST", "/flow_runs/filter", json={"flow_runs": {
            "state": {"type": {"any_": ["RUNNING"]}}}}).json()
        for run in found:
            if source in (run["parameters"].get("shard") or []) and run["id"] not in killed \
                    and run.get("infrastructure_pid"):
                process = psutil.Process(int(run["infrastructure_pid"]))
                for each in [process, *process.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        each.kill()
                killed.append(run["id"])
        time.sleep(0.3)

"""Ingest speed end to end against trafilatura, side by side on the same pages in one run.

Run: make bench   (= .venv/bin/python bench/bench_ingest.py)
     .venv/bin/python bench/bench_ingest.py --n 500,1000,2000   # scaling run
     .venv/bin/python bench/bench_ingest.py --n 200 --storage-articles 0   # quick, for development

A loopback site (`bench/_corpus_server.py`, its own process) serves N real pages of
../shared/corpus (extraction-benchmark and news-pages, repeated under distinct URLs) through
RSS feeds and news sitemaps. On those pages, each variant in its own subprocess:

  sqlite       pactwatch's ingest flow end to end (discover, fetch, extract, tag, store) into a
               fresh SQLite file, on a Prefect server this script starts once (its start-up is
               printed apart, like a production server that is already up)
  postgresql   the same into a fresh PostgreSQL database (skipped when none answers)
  A: trafilatura CLI   `trafilatura --input-file urls --parallel <cores>` fetching and
               extracting the same URLs (config: no sleep between requests, loopback allowed)
  B: extraction only   trafilatura.bare_extraction with pactwatch's settings over the same
               HTML already in memory, on all cores (a process pool): the extraction limit
  B′: our extraction only   the same with pactwatch's worker function instead (its
               extract_article, tagging and SimHash): pactwatch ÷ B′ is what orchestration,
               fetching and storing cost; B′ ÷ B what pactwatch's extraction adds to trafilatura

Printed: articles/s of each, pactwatch ÷ A and ÷ B, peak memory of each variant's process tree
(RSS summed over the processes, and PSS, which counts shared pages once), and where
pactwatch's time goes: busy seconds per stage, and Prefect overhead = flow wall time minus the
time some task body was running. Then tagging MB/s, the digest for a week of 10,000 articles
with 50 entities, and the digest queries at 1,000,000 stored articles (bench_storage.py).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

PYTHON = sys.executable
PG_URL = os.environ.get("PACTWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TASKS = ("load_states", "discover", "select_new", "record_failures", "process", "save_states",
         "record", "previous_summary", "publish")
VARIANTS = ("sqlite", "postgresql", "cli", "extract", "ours")
LABELS = {
    "sqlite": "pactwatch → SQLite",
    "postgresql": "pactwatch → PostgreSQL",
    "cli": "A: trafilatura CLI",
    "extract": "B: extraction only",
    "ours": "B′: our extraction only",
}
OFFLINE = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
TRAFILATURA_CONFIG = """[DEFAULT]
DOWNLOAD_TIMEOUT = 30
MAX_FILE_SIZE = 20000000
MIN_FILE_SIZE = 10
SLEEP_TIME = 0
USER_AGENTS =
COOKIE =
MAX_REDIRECTS = 2
SSRF_PROTECTION = off
INSECURE_SSL_FALLBACK = off
MIN_EXTRACTED_SIZE = 250
MIN_OUTPUT_SIZE = 1
MIN_OUTPUT_COMM_SIZE = 1
MAX_TREE_SIZE =
EXTRACTION_TIMEOUT = 30
MIN_DUPLCHECK_SIZE = 100
MAX_REPETITIONS = 2
EXTENSIVE_DATE_SEARCH = on
EXTERNAL_URLS = off
"""


# --- memory of a process tree -------------------------------------------------------------


def _tree(pid: int) -> list[tuple[int, int]]:
    """(pid, depth) of `pid` and its descendants."""
    found, todo = [], [(pid, 0)]
    while todo:
        p, depth = todo.pop()
        found.append((p, depth))
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend((int(c), depth + 1) for c in f.read().split())
    return found


def _role(pid: int, depth: int) -> str:
    """main, forkserver, worker or tracker (multiprocessing's resource tracker)."""
    with contextlib.suppress(OSError):
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
        if b"resource_tracker" in cmdline:
            return "tracker"
        if b"forkserver" in cmdline:
            return "forkserver" if depth == 1 else "worker"
        if depth == 0:
            return "main"
        return cmdline.split(b"\0")[0].decode(errors="replace").rsplit("/", 1)[-1]
    return "?"


def _memory(pids: list[int]) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) in bytes of `pids`."""
    rss = pss = 0
    for p in pids:
        with contextlib.suppress(OSError):
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
    return rss, pss


class TreeMemory:
    """Samples a process tree's memory every `every` seconds; keeps the peaks."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.pid, self.every = pid, every
        self.peak_rss = self.peak_pss = 0
        self.at_peak: list[tuple[str, int, int]] = []  # (process, RSS, PSS) at the PSS peak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            tree = _tree(self.pid)
            rss, pss = _memory([p for p, _ in tree])
            if pss > self.peak_pss:
                self.at_peak = [(_role(p, depth), *_memory([p])) for p, depth in tree]
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_measured(cmd: list[str], env: dict[str, str], log: Path) -> tuple[int, float, TreeMemory]:
    """Run `cmd`; return its exit code, wall seconds and the memory peaks of its tree."""
    started = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        memory = TreeMemory(proc.pid)
        code = proc.wait()
    memory.stop()
    return code, time.perf_counter() - started, memory


# --- servers ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """A Prefect server on loopback for the run (what `make server` gives production)."""
    port = _free_port()
    env = {**os.environ, **OFFLINE, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "false",
           "PREFECT_SERVER_API_HOST": "127.0.0.1", "PREFECT_SERVER_API_PORT": str(port)}
    env.pop("PREFECT_API_URL", None)
    cmd = [str(Path(PYTHON).parent / "prefect"), "server", "start", "--host", "127.0.0.1",
           "--port", str(port)]
    with open(home / "server.log", "w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api"
    started = time.perf_counter()
    try:
        while True:
            try:
                urllib.request.urlopen(url + "/health", timeout=2).read()
                break
            except OSError as exc:
                if proc.poll() is not None or time.perf_counter() - started > 180:
                    raise RuntimeError(f"Prefect server did not start: {home}/server.log") from exc
                time.sleep(0.3)
        print(f"Prefect server up in {time.perf_counter() - started:.1f} s (not counted below)")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextlib.contextmanager
def corpus_server(n: int) -> Iterator[str]:
    proc = subprocess.Popen(
        [PYTHON, str(REPO / "bench" / "_corpus_server.py"), "--n", str(n)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


@contextlib.contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database URL (dropped afterwards), or None when there is no server."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"pactwatch_bench_{secrets.token_hex(4)}"
    admin_url = make_url(PG_URL).set(drivername="postgresql", database="postgres")
    try:
        admin = psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True)
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable ({str(exc).splitlines()[0]}); skipping that variant")
        yield None
        return
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- variants (each runs in its own subprocess: `--variant NAME`) -------------------------


def variant_pactwatch(args: argparse.Namespace) -> dict[str, Any]:
    """The ingest flow, with each task body and each step inside a batch timed (by wrapping
    `Task.fn` and the plain functions `pactwatch.ingest.pipeline` calls; nothing else changes)."""
    from flows import ingest
    from pactwatch.ingest import extraction, fetching, pipeline

    spans: list[tuple[str, float, float]] = []  # task bodies
    steps: list[tuple[str, float, float]] = []  # fetch / extract / store inside `process`

    def timed(name: str, fn: Callable[..., Any], into: list) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*a: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                into.append((name, start, time.perf_counter()))

        return wrapper

    for name in TASKS:
        task = getattr(ingest, name)
        task.fn = timed(name, task.fn, spans)
    fetching.fetch = timed("fetch", fetching.fetch, steps)  # type: ignore[method-assign]
    extraction.extract = timed("extract", extraction.extract, steps)  # type: ignore[method-assign]
    pipeline.store = timed("store", pipeline.store, steps)  # type: ignore[method-assign]
    body_started: list[float] = []
    utcnow = ingest.utcnow  # the flow body's first call: marks when the body starts

    def marked_utcnow() -> Any:
        body_started.append(time.perf_counter())
        return utcnow()

    ingest.utcnow = marked_utcnow  # type: ignore[attr-defined]
    started = time.perf_counter()
    totals = ingest.ingest_flow(sources_file=args.sources)
    wall = time.perf_counter() - started
    body = max(e for _, _, e in spans) - body_started[0]  # to the end of the last task
    busy = Counter()
    for name, start, end in spans + steps:
        busy[name] += end - start
    return {
        "wall": wall,
        "articles": totals["stored"] + totals["duplicates"],
        "totals": {k: v for k, v in totals.items() if isinstance(v, int)},
        "busy": dict(busy),
        "in_tasks": _union(spans),
        "tasks": len(spans),
        "flow_body": body,
        "workers": dict(extraction.STAGE_SECONDS),
    }


def _union(spans: list[tuple[str, float, float]]) -> float:
    """Seconds during which at least one span was running."""
    total, end = 0.0, float("-inf")
    for _, s, e in sorted(spans, key=lambda x: x[1]):
        if e > end:
            total += e - max(s, end)
            end = e
    return total


_PAGES: list[bytes] = []


def _load_pages(n: int) -> None:
    from _corpus_server import BenchSite

    site = BenchSite(n)
    _PAGES[:] = [site.html(i) for i in range(min(n, len(site.files)))]


def _load_ours(n: int, watchlist_file: str) -> None:
    from pactwatch.ingest import extraction

    _load_pages(n)
    extraction._init_worker(watchlist_file)


def _extract_ours(i: int, url: str) -> bool:
    from pactwatch.ingest import extraction

    return isinstance(extraction._extract_one((_PAGES[i % len(_PAGES)], url, ())), tuple)


def _extract_page(i: int, url: str) -> bool:
    import trafilatura

    from extractors.article.extract import TRAFILATURA_SETTINGS

    doc = trafilatura.bare_extraction(
        _PAGES[i % len(_PAGES)], url=url, with_metadata=True, **TRAFILATURA_SETTINGS
    )
    return bool(doc and getattr(doc, "text", None))


def variant_extract(args: argparse.Namespace, ours: bool = False) -> dict[str, Any]:
    """Baseline B (B′ with `ours`): extraction of HTML already in memory, a process per core."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from pactwatch.settings import load_settings

    urls = Path(args.urls).read_text().split()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        ["trafilatura", "extractors.article.extract", "extractors.tagging.tagger"]
    )
    cores = os.cpu_count() or 1
    init, initargs = (_load_ours, (len(urls), str(load_settings().watchlist_file))) if ours else (
        _load_pages, (len(urls),))
    with ProcessPoolExecutor(cores, mp_context=context, initializer=init,
                             initargs=initargs) as pool:
        list(pool.map(abs, range(cores * 4)))  # workers up, pages loaded: not timed
        started = time.perf_counter()
        work = _extract_ours if ours else _extract_page
        done = sum(pool.map(work, range(len(urls)), urls, chunksize=4))
        wall = time.perf_counter() - started
    return {"wall": wall, "articles": done}


def run_cli(urls_file: Path, log: Path) -> dict[str, Any]:
    """Baseline A, from the parent: trafilatura's own command line.

    Its documents go to standard output, one JSON object a line, and are counted there:
    with `--output-dir` it names files by a hash of the text, so the corpus pages repeated
    under other URLs (N > 238) would overwrite each other and go uncounted.
    """
    config = log.parent / "trafilatura.cfg"
    config.write_text(TRAFILATURA_CONFIG)
    cmd = [str(Path(PYTHON).parent / "trafilatura"), "--input-file", str(urls_file),
           "--parallel", str(os.cpu_count() or 1), "--config-file", str(config),
           "--no-comments", "--precision", "--with-metadata", "--json"]
    code, wall, memory = run_measured(cmd, dict(os.environ), log)
    done = sum(1 for line in log.read_text(errors="replace").splitlines()
               if line.startswith("{") and '"text"' in line)
    return {"wall": wall, "articles": done, "code": code, "peak_rss": memory.peak_rss,
            "peak_pss": memory.peak_pss}


def run_variant(name: str, args: list[str], env: dict[str, str], tmp: Path) -> dict[str, Any]:
    out, log = tmp / f"{name}.json", tmp / f"{name}.log"
    cmd = [PYTHON, str(Path(__file__).resolve()), "--variant", name, "--out", str(out), *args]
    code, _, memory = run_measured(cmd, env, log)
    if code != 0:
        tail = log.read_text()[-3000:]
        raise RuntimeError(f"variant {name} failed (exit {code}):\n{tail}")
    result = json.loads(out.read_text())
    result.update(peak_rss=memory.peak_rss, peak_pss=memory.peak_pss, at_peak=memory.at_peak)
    return result


# --- one N, all variants -----------------------------------------------------------------


def bench_n(n: int, wanted: list[str], prefect_url: str | None, tmp: Path,
            extra_env: dict[str, str]) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    with corpus_server(n) as base:
        from _corpus_server import BenchSite

        site = BenchSite(n, base)  # its URLs and sources file; the server process serves it
        work = tmp / f"n{n}"
        work.mkdir()
        sources, urls = work / "sources.yaml", work / "urls.txt"
        sources.write_text(site.sources_yaml())
        urls.write_text("\n".join(site.urls()) + "\n")
        env = {**os.environ, **OFFLINE, **extra_env, "PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true",
               "PACTWATCH_OUT_DIR": str(work / "out"), "PREFECT_LOGGING_LEVEL": "WARNING"}
        if prefect_url:
            env["PREFECT_API_URL"] = prefect_url
        for name in wanted:
            print(f"  N={n}: {LABELS[name]} …", flush=True)
            if name == "sqlite":
                env["PACTWATCH_DATABASE_URL"] = f"sqlite:///{work / 'pactwatch.db'}"
                results[name] = run_variant("pactwatch", ["--sources", str(sources)], env, work)
            elif name == "postgresql":
                with postgres_database() as url:
                    if url is None:
                        continue
                    env["PACTWATCH_DATABASE_URL"] = url
                    results[name] = run_variant("pactwatch", ["--sources", str(sources)], env,
                                                work)
            elif name == "cli":
                results[name] = run_cli(urls, work / "cli.log")
            else:
                results[name] = run_variant(name, ["--urls", str(urls)], env, work)
    return results


def print_n(n: int, results: dict[str, dict[str, Any]]) -> None:
    rate = {k: r["articles"] / r["wall"] for k, r in results.items() if r["wall"]}
    print(f"\nN = {n} pages")
    print(f"  {'variant':26} {'articles':>8} {'wall s':>7} {'art/s':>7} {'÷A':>6} {'÷B':>18} "
          f"{'peak RSS MB':>11} {'peak PSS MB':>11}")
    for name, r in results.items():
        ratio_a = f"{rate[name] / rate['cli']:.2f}" if "cli" in rate else "-"
        ratio_b = f"{rate[name] / rate['extract']:.2f}" if "extract" in rate else "-"
        if name != "ours" and "ours" in rate:
            ratio_b += f" (÷B′ {rate[name] / rate['ours']:.2f})"
        rss, pss = r["peak_rss"] / 1e6, r["peak_pss"] / 1e6
        print(f"  {LABELS[name]:26} {r['articles']:>8} {r['wall']:>7.1f} {rate[name]:>7.1f} "
              f"{ratio_a:>6} {ratio_b:>18} {rss:>11.0f} {pss:>11.0f}")
    for name in ("sqlite", "postgresql"):
        if name in results:
            print_profile(LABELS[name], results[name])
    for name, r in results.items():
        procs = ", ".join(f"{p} {pss / 1e6:.0f}" for p, _, pss in r.get("at_peak", []))
        print(f"  {LABELS[name]}: PSS MB per process at the peak: {procs}")


def print_profile(label: str, r: dict[str, Any]) -> None:
    """Where the time went: busy seconds per stage (two batches run at once, so stages
    overlap and their sum exceeds the wall time)."""
    busy, workers, wall = r["busy"], r["workers"], r["wall"]
    extract = busy.get("extract", 0.0)
    cpu = workers.get("extract", 0.0) + workers.get("tag", 0.0) + workers.get("fingerprint", 0.0)
    share = {k: workers.get(k, 0.0) / cpu if cpu else 0.0 for k in ("extract", "tag",
                                                                     "fingerprint")}
    overhead = wall - r["in_tasks"]
    outside = wall - r["flow_body"]
    rows = [
        ("discovery (discover + select_new)", busy.get("discover", 0) + busy.get("select_new", 0)),
        ("fetch", busy.get("fetch", 0.0)),
        ("extract (trafilatura + ours)", extract * share["extract"]),
        ("tag", extract * share["tag"]),
        ("fingerprint (SimHash, in workers)", extract * share["fingerprint"]),
        ("store", busy.get("store", 0.0)),
        ("other tasks (states, record, publish, …)",
         sum(busy.get(k, 0.0) for k in ("load_states", "save_states", "record_failures",
                                        "record", "previous_summary", "publish"))),
        ("Prefect overhead (no task body running)", overhead),
    ]
    cpu_line = ", ".join(f"{k} {workers.get(k, 0.0):.2f} s" for k in share)
    print(f"  where {label}'s {wall:.1f} s went ({r['tasks']} task runs; worker CPU: {cpu_line}):")
    for name, seconds in rows:
        print(f"    {name:42} {seconds:7.2f} s  {seconds / wall:6.1%} of wall")
    print(f"      of which before the flow body and after its last task: {outside:.2f} s")


# --- tagging, digest, storage -------------------------------------------------------------


def tagging_mbps() -> float:
    from bench_tagging import SEED, synthetic_text, time_tag

    from extractors.tagging.tagger import Tagger
    from extractors.tagging.watchlist import default_watchlist_path, load_watchlist

    watchlist = load_watchlist(default_watchlist_path())
    tagger = Tagger(watchlist)
    texts = [synthetic_text(watchlist, n, seed=n) for n in (5_000, 7_500, 10_000, 50_000)]
    if SEED.is_file():
        texts.append(SEED.read_text(encoding="utf-8"))
    size = sum(len(t.encode()) for t in texts)
    seconds = sum(min(time_tag(tagger, t, 20)) for t in texts)
    return size / seconds / 1e6


def digest_timing(articles: int, entities: int) -> dict[str, float]:
    """build_context + render for one week of `articles` articles tagged with `entities`."""
    import random
    from dataclasses import dataclass
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from sqlmodel import Session

    from pactwatch.digest.context import build_context
    from pactwatch.digest.render import render_digest
    from pactwatch.digest.week import week_bounds, week_of
    from storage import migrate
    from storage.db import make_engine
    from storage.models import url_key

    @dataclass(frozen=True)
    class Entity:
        id: str
        kind: str
        label: str

    @dataclass(frozen=True)
    class Watchlist:
        version: str
        entities: tuple[Entity, ...]

    watchlist = Watchlist("bench", tuple(
        Entity(f"entity-{k:02d}", "leader" if k % 2 else "agreement", f"Entity {k:02d}")
        for k in range(entities)
    ))
    tz = ZoneInfo("Asia/Tokyo")
    week = week_of(datetime(2026, 3, 11).date())
    start, end = week_bounds(week, tz)
    rng = random.Random(3)
    weights = [1 / (k + 1) for k in range(entities)]
    with tempfile.TemporaryDirectory(prefix="pactwatch-digest-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'digest.db'}")
        migrate.upgrade(engine)
        step = (end - start) / (articles + 1)
        article_rows, mention_rows = [], []
        for i in range(1, articles + 1):
            published = (start + step * i).astimezone(UTC).replace(tzinfo=None)
            article_rows.append((
                i, (url := f"https://news{i % 20}.example/a/{i}"), url_key(url), f"source-{i % 20}",
                f"Leaders meet on maritime security, report {i // 3}", "[]", published, "en",
                f"News {i % 20}", "text", "[]", f"{i // 3:032x}", 0, f"story-{i // 3}", "bench",
                published, published,
            ))
            for k, entity in enumerate(rng.choices(watchlist.entities, weights, k=3)):
                mention_rows.append((
                    i, entity.id, k * 80, k * 80 + 10, entity.label,
                    f"{entity.label} was discussed at length in Manila on Tuesday, said report "
                    f"{i}, with officials from both sides present.", k == 0,
                ))
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            raw.executemany(
                "INSERT INTO article (id, url, url_key, source, title, authors, published, "
                "language, sitename, text, date_candidates, content_hash, fingerprint, story, "
                "watchlist_version, first_seen, last_fetched) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", article_rows)
            raw.executemany(
                'INSERT OR IGNORE INTO mention (article_id, entity, start, "end", text, '
                "sentence, salient) VALUES (?, ?, ?, ?, ?, ?, ?)", mention_rows)
        times: dict[str, list[float]] = {"context": [], "render": []}
        with Session(engine) as session:
            for _ in range(3):
                t0 = time.perf_counter()
                ctx = build_context(session, week, watchlist, tz)
                t1 = time.perf_counter()
                render_digest(ctx)
                times["context"].append(t1 - t0)
                times["render"].append(time.perf_counter() - t1)
        engine.dispose()
    return {k: min(v) for k, v in times.items()}


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="2000", help="pages; a comma list for a scaling run")
    parser.add_argument("--only", default=",".join(VARIANTS), help=", ".join(VARIANTS))
    parser.add_argument("--batch-size", type=int, default=0,
                        help="PACTWATCH_BATCH_SIZE for the flow (0: the setting's default)")
    parser.add_argument("--digest-articles", type=int, default=10_000)
    parser.add_argument("--digest-entities", type=int, default=50)
    parser.add_argument("--storage-articles", type=int, default=1_000_000,
                        help="digest queries at this many stored articles (SQLite); 0 skips")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--sources", help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.variant:  # a child process: run one variant, write its result
        run = {"pactwatch": variant_pactwatch, "extract": variant_extract,
               "ours": functools.partial(variant_extract, ours=True)}[args.variant]
        result = run(args)
        Path(args.out).write_text(json.dumps(result))
        return

    sizes = [int(x) for x in args.n.split(",")]
    wanted = [v for v in VARIANTS if v in args.only.split(",")]
    print(f"pactwatch ingest benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}: "
          f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    extra_env = {"PACTWATCH_BATCH_SIZE": str(args.batch_size)} if args.batch_size else {}
    tmp = Path(tempfile.mkdtemp(prefix="pactwatch-bench-"))
    everything: dict[int, dict[str, dict[str, Any]]] = {}
    try:
        needs_prefect = any(v in wanted for v in ("sqlite", "postgresql"))
        home = tmp / "prefect"
        home.mkdir()
        with prefect_server(home) if needs_prefect else contextlib.nullcontext() as url:
            for n in sizes:
                everything[n] = bench_n(n, wanted, url, tmp, extra_env)
                print_n(n, everything[n])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if len(sizes) > 1:
        print("\nscaling (articles/s, peak PSS MB):")
        for name in wanted:
            cells = [f"N={n}: {r[name]['articles'] / r[name]['wall']:.1f}/s "
                     f"{r[name]['peak_pss'] / 1e6:.0f} MB" for n, r in everything.items()
                     if name in r]
            print(f"  {LABELS[name]:26} " + "   ".join(cells))

    print(f"\ntagging (default watchlist, one core): {tagging_mbps():.1f} MB/s")
    if args.digest_articles:
        d = digest_timing(args.digest_articles, args.digest_entities)
        print(f"digest, one week of {args.digest_articles:,} articles, {args.digest_entities} "
              f"entities: build_context {d['context']:.2f} s + render {d['render']:.2f} s = "
              f"{d['context'] + d['render']:.2f} s")
    if args.storage_articles:
        import bench_storage

        from extractors.tagging.watchlist import default_watchlist_path, load_watchlist

        entities = [e.id for e in load_watchlist(default_watchlist_path()).entities]
        print(f"digest queries at {args.storage_articles:,} stored articles (SQLite) …",
              flush=True)
        loaded, rows = bench_storage.sqlite_run(args.storage_articles, entities)
        print(f"  loaded in {loaded:.0f} s")
        bench_storage.print_rows(rows)


if __name__ == "__main__":
    main()

"""The fair ingest bench (issue #18): pactwatch against trafilatura's CLI, both as whole processes.

Run: make bench   (= .venv/bin/python bench/bench_ingest.py, N = 2,000)
     .venv/bin/python bench/bench_ingest.py --n 1000,2000   # and memory flat in N
     make bench-quick                                       # N = 200, for development

A loopback site of four hosts (`bench/_corpus_server.py`, its own process) serves N real pages
of ../shared/corpus (238 distinct pages, repeated under new URLs past that) through one RSS
feed per host, `delay: 0`. On the same URLs, each timed as a whole process from start to exit
and as steady state (items after the first ÷ first → last completion; bench/_fair.py):

  A: trafilatura CLI    `trafilatura --input-file urls --parallel <cores> --no-comments
                        --precision --with-metadata --json`, config: no sleep, SSRF guard off,
                        duplicate filter out of reach (MIN_DUPLCHECK_SIZE huge). The bench
                        FAILS (exit 1) if A returns fewer documents than trafilatura extracts
                        from the same pages' HTML in memory with the same options.
  pactwatch ingest      `pactwatch ingest --sources FILE` with no PREFECT_API_URL: Prefect's
                        temporary server is started by it, inside the time and the memory
  pactwatch deployment  as production runs it (bench/_production.py): a Prefect server up,
                        `make deploy`, `pactwatch worker` idle; a run started through the API,
                        its flow-run process timed; then a second run that finds nothing new

Printed per N: documents, seconds, documents/s and ÷A both ways, first stored batch, peak PSS
of each process tree and of each process, first-batch latency, the no-op run; then PASS/FAIL
per target of issue #18 (reported, not asserted). Options add: `--postgresql` (the CLI into
PostgreSQL too), `--profile` (pactwatch's flow in-process with its tasks wrapped: where the
time goes), `--baselines-b` (B: trafilatura.bare_extraction on all cores over HTML in memory;
B′: pactwatch's own extraction worker the same way), `--storage-articles` (digest queries at
that many stored articles). Tagging MB/s and the digest timing are always printed (seconds).
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
import subprocess
import sys
import tempfile
import time
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
B_LABELS = {"extract": "B: extraction only", "ours": "B′: our extraction only",
            "profile": "pactwatch flow in-process (profile)"}


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


def run_variant(name: str, args: list[str], env: dict[str, str], tmp: Path) -> dict[str, Any]:
    """One of the optional variants in a child process (`--variant NAME`), its tree watched."""
    from _measure import TreeWatch

    out, log = tmp / f"{name}.json", tmp / f"{name}.log"
    cmd = [PYTHON, str(Path(__file__).resolve()), "--variant", name, "--out", str(out), *args]
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, env=env, stdout=f, stderr=subprocess.STDOUT, cwd=REPO)
        watch = TreeWatch(proc.pid)
        code = proc.wait()
    watch.stop()
    if code != 0:
        tail = log.read_text()[-3000:]
        raise RuntimeError(f"variant {name} failed (exit {code}):\n{tail}")
    return json.loads(out.read_text()) | {"peaks": watch.peaks}


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



# --- one N --------------------------------------------------------------------------------


@contextlib.contextmanager
def corpus_server(n: int) -> Iterator[Any]:
    """The four-host site in a process of its own; yields its BenchSite (URLs, sources)."""
    from _corpus_server import BenchSite

    proc = subprocess.Popen(
        [PYTHON, str(REPO / "bench" / "_corpus_server.py"), "--n", str(n)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        yield BenchSite(n, proc.stdout.readline().split())
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


class Bench:
    """Everything run at one N, in a fixed order, each in a fresh database."""

    def __init__(self, args: argparse.Namespace, production: Any, tmp: Path) -> None:
        self.args, self.production, self.tmp = args, production, tmp
        self.extractable: list[bool] | None = None  # per distinct page, computed once
        self.extra_env = ({"PACTWATCH_BATCH_SIZE": str(args.batch_size)}
                          if args.batch_size else {})

    def env(self, work: Path, database_url: str) -> dict[str, str]:
        return {**os.environ, **self.extra_env, "PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true",
                "PACTWATCH_OUT_DIR": str(work / "out"), "PACTWATCH_DATABASE_URL": database_url,
                "PACTWATCH_SOURCES_FILE": str(work / "sources.yaml")}

    def run(self, n: int) -> dict[str, dict[str, Any]]:
        import _fair

        work = self.tmp / f"n{n}"
        work.mkdir()
        with corpus_server(n) as site:
            (work / "sources.yaml").write_text(site.sources_yaml())
            urls = site.urls()
            (work / "urls.txt").write_text("\n".join(urls) + "\n")
            if self.extractable is None:
                print("  which pages trafilatura extracts in memory …", flush=True)
                every = range(len(site.files))  # all 238, whatever N: in memory only
                self.extractable = _fair.extractable([site.html(i) for i in every],
                                                     [site.url(i) for i in every], work)
            out: dict[str, dict[str, Any]] = {}
            self.step(n, "A: trafilatura CLI")
            out["A"] = _fair.run_trafilatura(work / "urls.txt", work)
            out["A"]["expected"] = sum(self.extractable[i % len(site.files)] for i in range(n))
            self.step(n, "pactwatch ingest (CLI, temporary Prefect server)")
            env = self.env(work, f"sqlite:///{work / 'cli.db'}")
            out["cli"] = _fair.run_pactwatch_cli(work / "sources.yaml", urls, env, work)
            if self.args.postgresql:
                with postgres_database() as url:
                    if url is not None:
                        self.step(n, "pactwatch ingest (CLI) into PostgreSQL")
                        out["cli_pg"] = _fair.run_pactwatch_cli(
                            work / "sources.yaml", urls, self.env(work, url), work, "cli_pg")
            self.deployment(n, work, urls, out)
            self.optional(n, work, out)
        return out

    def step(self, n: int, what: str) -> None:
        print(f"  N={n}: {what} … (load {os.getloadavg()[0]:.1f})", flush=True)

    def deployment(self, n: int, work: Path, urls: list[str], out: dict[str, Any]) -> None:
        database_url = f"sqlite:///{work / 'deploy.db'}"
        self.step(n, "pactwatch deployment (worker idle, run started through the API)")
        with self.production.worker(self.env(work, database_url), f"n{n}") as watch:
            out["deploy"] = self.production.run(watch, urls, database_url)
            self.step(n, "pactwatch deployment, again: nothing new")
            out["noop"] = self.production.run(watch, urls, database_url)

    def optional(self, n: int, work: Path, out: dict[str, Any]) -> None:
        env = {**self.env(work, f"sqlite:///{work / 'profile.db'}"),
               "PREFECT_API_URL": self.production.api, "PREFECT_LOGGING_LEVEL": "WARNING",
               "PREFECT_HOME": self.production.env["PREFECT_HOME"]}
        if self.args.profile:
            self.step(n, B_LABELS["profile"])
            out["profile"] = run_variant(
                "pactwatch", ["--sources", str(work / "sources.yaml")], env, work)
        if self.args.baselines_b:
            for name in ("extract", "ours"):
                self.step(n, B_LABELS[name])
                out[name] = run_variant(name, ["--urls", str(work / "urls.txt")], env, work)


def print_extras(results: dict[str, dict[str, Any]]) -> None:
    from _report import rates

    whole_a = rates(results["A"])[0]
    for name in ("extract", "ours"):
        if name in results:
            r = results[name]
            rate = r["articles"] / r["wall"]
            print(f"  {B_LABELS[name]}: {r['articles']} docs in {r['wall']:.1f} s = "
                  f"{rate:.1f}/s (÷A {rate / whole_a:.2f}), tree PSS "
                  f"{r['peaks'].total / 1e6:.0f} MB")
    if "profile" in results:
        r = results["profile"]
        print(f"  {B_LABELS['profile']}: {r['articles']} articles, flow {r['wall']:.1f} s")
        print_profile(B_LABELS["profile"], r)


# --- main ---------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="2000", help="URLs; a comma list to see N's effect")
    parser.add_argument("--batch-size", type=int, default=0,
                        help="PACTWATCH_BATCH_SIZE for pactwatch (0: the setting's default)")
    parser.add_argument("--postgresql", action="store_true",
                        help="also run the CLI variant into a fresh PostgreSQL database")
    parser.add_argument("--profile", action="store_true",
                        help="also run the flow in-process with its tasks wrapped, and print "
                        "where its time goes")
    parser.add_argument("--baselines-b", action="store_true",
                        help="also run B and B′ (extraction only, HTML in memory, all cores)")
    parser.add_argument("--digest-articles", type=int, default=10_000, help="0 skips")
    parser.add_argument("--digest-entities", type=int, default=50)
    parser.add_argument("--storage-articles", type=int, default=0,
                        help="digest queries at this many stored articles (SQLite); 0 skips")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--sources", help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    return parser.parse_args()


def run_child(args: argparse.Namespace) -> None:
    """A child process: run one optional variant, write its result."""
    run = {"pactwatch": variant_pactwatch, "extract": variant_extract,
           "ours": functools.partial(variant_extract, ours=True)}[args.variant]
    Path(args.out).write_text(json.dumps(run(args)))


def main() -> None:
    args = parse_args()
    if args.variant:
        run_child(args)
        return
    import _report
    from _production import Production

    sizes = [int(x) for x in args.n.split(",")]
    print(f"pactwatch fair ingest bench, {time.strftime('%Y-%m-%d %H:%M %Z')}: "
          f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} (a shared machine: timings are noisy)",
          flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="pactwatch-bench-"))
    everything: dict[int, dict[str, dict[str, Any]]] = {}
    try:
        with Production(tmp).up() as production:
            bench = Bench(args, production, tmp)
            for n in sizes:
                loads = [os.getloadavg()[0]]
                everything[n] = bench.run(n)
                loads.append(os.getloadavg()[0])
                load = f"{min(loads):.1f}–{max(loads):.1f}"
                _report.print_n(n, len(bench.extractable or ()), load, everything[n])
                print_extras(everything[n])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _report.print_targets(everything)
    print_more(args)
    unfair = [n for n, r in everything.items() if r["A"]["articles"] < r["A"]["expected"]]
    if unfair:
        print(f"\nFAIL: baseline A returned fewer documents than trafilatura extracts from the "
              f"same pages at N = {unfair}: the comparison is not fair (see its log)")
        sys.exit(1)


def print_more(args: argparse.Namespace) -> None:
    """Tagging, digest and (optionally) storage: quick figures of other parts."""
    from _extras import digest_timing, tagging_mbps

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

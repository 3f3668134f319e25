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
Both pactwatch runs store into a new database whose schema is made before the timed run, as an
hourly run finds it (the time a first run ever adds is printed apart).

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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

PYTHON = sys.executable
PG_URL = os.environ.get("PACTWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


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
    """Everything run at one N, in a fixed order, each in a new database (schema made first)."""

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
            out["A"] = self.done(_fair.run_trafilatura(work / "urls.txt", work))
            out["A"]["expected"] = sum(self.extractable[i % len(site.files)] for i in range(n))
            self.step(n, "pactwatch ingest (CLI, temporary Prefect server)")
            env = self.env(work, f"sqlite:///{work / 'cli.db'}")
            out["cli"] = self.done(_fair.run_pactwatch_cli(work / "sources.yaml", urls, env, work))
            if self.args.postgresql:
                with postgres_database() as url:
                    if url is not None:
                        self.step(n, "pactwatch ingest (CLI) into PostgreSQL")
                        out["cli_pg"] = self.done(_fair.run_pactwatch_cli(
                            work / "sources.yaml", urls, self.env(work, url), work, "cli_pg"))
            self.deployment(n, work, urls, out)
            self.optional(n, work, out)
        return out

    def step(self, n: int, what: str) -> None:
        self.load_at_start = os.getloadavg()[0]
        print(f"  N={n}: {what} … (load {self.load_at_start:.1f})", flush=True)

    def done(self, result: dict[str, Any]) -> dict[str, Any]:
        """`result` with the 1-minute load average at its start and end: on a shared machine
        a side run in a busier minute looks slower, and the table shows it."""
        return result | {"load": (self.load_at_start, os.getloadavg()[0])}

    def deployment(self, n: int, work: Path, urls: list[str], out: dict[str, Any]) -> None:
        import _fair

        database_url = f"sqlite:///{work / 'deploy.db'}"
        _fair.make_schema(self.env(work, database_url))
        self.step(n, "pactwatch deployment (worker idle, run started through the API)")
        with self.production.worker(self.env(work, database_url), f"n{n}") as watch:
            out["deploy"] = self.done(self.production.run(watch, urls, database_url))
            self.step(n, "pactwatch deployment, again: nothing new")
            out["noop"] = self.production.run(watch, urls, database_url)

    def optional(self, n: int, work: Path, out: dict[str, Any]) -> None:
        from _optional import B_LABELS, run_variant

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
    from _optional import variant_extract, variant_pactwatch

    run = {"pactwatch": variant_pactwatch, "extract": variant_extract,
           "ours": functools.partial(variant_extract, ours=True)}[args.variant]
    Path(args.out).write_text(json.dumps(run(args)))


def main() -> None:
    args = parse_args()
    if args.variant:
        run_child(args)
        return
    import _report
    from _optional import print_extras
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

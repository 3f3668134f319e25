"""The optional variants of the ingest bench: `--profile` and `--baselines-b`.

`--profile` runs pactwatch's flow in a child process against the bench's Prefect server with
each task body and each step inside a batch timed by wrapping them (so it depends on the
flow's internals, and is never a headline figure); `--baselines-b` runs B (trafilatura's
`bare_extraction` over HTML already in memory, one process per core) and B′ (pactwatch's own
extraction worker the same way). Each runs as `bench_ingest.py --variant NAME` in a process
of its own, its tree watched like the others'.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
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

    page = _PAGES[i % len(_PAGES)]  # no Content-Encoding: as it is
    return isinstance(extraction._extract_one(("", page, url, ())), tuple)


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
    cmd = [PYTHON, str(REPO / "bench" / "bench_ingest.py"), "--variant", name,
           "--out", str(out), *args]
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



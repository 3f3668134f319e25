"""Both sides of the fair bench timed the same way: whole processes, from outside.

Each side is a process started here and timed from start to exit (`clock()` before the fork,
after `wait`), with its tree's memory sampled through /proc. Steady state is measured from
the outside too, as items done after the first completion ÷ seconds from the first completion
to the last: for trafilatura's CLI a completion is a JSON line arriving on its standard output
(stamped as it arrives; the child's output is unbuffered), for pactwatch a stored batch, read
from the database afterwards (`discovered_url.first_seen`, one time per stored batch, for the
URLs given).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _measure import TreeWatch, clock

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
OFFLINE = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
# trafilatura's CLI as fast as it goes on loopback: no sleep between requests to a host, the
# SSRF guard off (the pages are on 127.0.0.1), and the cross-document duplicate filter out of
# reach (it only looks at texts longer than MIN_DUPLCHECK_SIZE and seen MAX_REPETITIONS times),
# so pages repeated under new URLs are all extracted and counted.
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
MIN_DUPLCHECK_SIZE = 1000000000
MAX_REPETITIONS = 1000000000
EXTENSIVE_DATE_SEARCH = on
EXTERNAL_URLS = off
"""
TRAFILATURA_ARGS = ["--no-comments", "--precision", "--with-metadata", "--json"]


BATCH_SPREAD = 0.5  # seconds: pactwatch stamps a batch once per source, within milliseconds


def steady_rate(stamps: Iterable[float], spread: float = 0.0) -> float | None:
    """Items completed after the first completion ÷ seconds from the first to the last.

    Stamps within `spread` of the first belong to the first completion (a stored batch is
    stamped once per source it holds, a few milliseconds apart). None when there is only one.
    """
    times = sorted(stamps)
    if len(times) < 2 or times[-1] <= times[0] + spread:
        return None
    return sum(1 for t in times if t > times[0] + spread) / (times[-1] - times[0])


# --- A: trafilatura's command line ----------------------------------------------------------


def _extracts(args: tuple[bytes, str, str]) -> bool:
    import trafilatura
    from trafilatura.settings import use_config

    html, url, config = args
    doc = trafilatura.extract(html, url=url, output_format="json", include_comments=False,
                              favor_precision=True, with_metadata=True,
                              config=use_config(config))
    return bool(doc)


def extractable(pages: list[bytes], urls: list[str], work: Path) -> list[bool]:
    """Whether trafilatura, given each distinct page's HTML in memory with the CLI's options
    and config, returns a document: what A owes for that page under any URL."""
    config = work / "trafilatura.cfg"
    config.write_text(TRAFILATURA_CONFIG)
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        jobs = [(html, url, str(config)) for html, url in zip(pages, urls, strict=False)]
        return list(pool.map(_extracts, jobs, chunksize=8))


def run_trafilatura(urls_file: Path, work: Path) -> dict[str, Any]:
    """Baseline A: `trafilatura --input-file` over the URLs, `--parallel <cores>`."""
    config = work / "trafilatura.cfg"
    config.write_text(TRAFILATURA_CONFIG)
    cmd = [str(BIN / "trafilatura"), "--input-file", str(urls_file), "--parallel",
           str(os.cpu_count() or 1), "--config-file", str(config), *TRAFILATURA_ARGS]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    stamps: list[float] = []
    with open(work / "trafilatura.log", "wb") as log:
        started = clock()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=log, cwd=work)
        watch = TreeWatch(proc.pid)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(b"{") and b'"text"' in line:
                stamps.append(clock())
        code = proc.wait()
        wall = clock() - started
    watch.stop()
    return {"wall": wall, "articles": len(stamps), "code": code,
            "steady": steady_rate(stamps), "first": stamps[0] - started if stamps else None,
            "peaks": watch.peaks}


# --- pactwatch from the command line ------------------------------------------------------


def stored_stamps(database_url: str, urls: list[str]) -> list[float]:
    """When each of `urls` was stored (seconds on the UTC epoch), from pactwatch's database:
    the time its batch remembered it as discovered (an article or a copy of one)."""
    from sqlmodel import Session, select

    from storage.db import make_engine
    from storage.models import DiscoveredUrlRow, url_key

    wanted = {url_key(u) for u in urls}
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.exec(select(DiscoveredUrlRow.url_key, DiscoveredUrlRow.first_seen))
            return [_epoch(when) for key, when in rows if key in wanted and when is not None]
    finally:
        engine.dispose()


def _epoch(when: datetime | str) -> float:
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _first_batch_from_prefect_db(home: Path) -> float | None:
    """Flow run start → first `process` task run start, from the temporary server's own
    database (it is gone with the process; its SQLite file stays in PREFECT_HOME)."""
    path = home / "prefect.db"
    if not path.is_file():
        return None
    with sqlite3.connect(path) as db:
        flow = db.execute("SELECT min(start_time) FROM flow_run").fetchone()[0]
        task = db.execute("SELECT min(start_time) FROM task_run WHERE name LIKE 'process%'"
                          ).fetchone()[0]
    return _epoch(task) - _epoch(flow) if flow and task else None


def run_pactwatch_cli(sources: Path, urls: list[str], env: dict[str, str], work: Path,
                      label: str = "cli") -> dict[str, Any]:
    """`pactwatch ingest --sources FILE` as a user runs it: no PREFECT_API_URL, so Prefect
    starts a temporary server of its own (in the tree measured, and in the time), on the
    Prefect database of the user's PREFECT_HOME (created before, untimed: see below)."""
    home = work / f"prefect-{label}"
    home.mkdir()
    env = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120", **env, **OFFLINE,
           "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    created = _create_prefect_database(env) + make_schema(env)
    cmd = [str(BIN / "pactwatch"), "ingest", "--sources", str(sources)]
    with open(work / f"{label}.out", "w") as out, open(work / f"{label}.log", "w") as log:
        started, wall_started = clock(), datetime.now(UTC).timestamp()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=log, cwd=REPO)
        watch = TreeWatch(proc.pid, aside=("prefect server",))
        code = proc.wait()
        wall = clock() - started
    watch.stop()
    if code != 0:
        tail = (work / f"{label}.log").read_text()[-3000:]
        raise RuntimeError(f"pactwatch ingest failed (exit {code}):\n{tail}")
    totals = json.loads((work / f"{label}.out").read_text().strip().splitlines()[-1])
    stamps = stored_stamps(env["PACTWATCH_DATABASE_URL"], urls)
    return {"wall": wall, "articles": len(stamps), "totals": totals,
            "steady": steady_rate(stamps, BATCH_SPREAD),
            "first": min(stamps) - wall_started if stamps else None,
            "first_batch": _first_batch_from_prefect_db(home), "peaks": watch.peaks,
            "prefect_database": created}


def make_schema(env: dict[str, str]) -> float:
    """Make pactwatch's schema in PACTWATCH_DATABASE_URL before a timed run, as every run
    after a user's first finds it (`make demo`, `pactwatch db upgrade` or the first run made
    it); returns what it took. Migrating a new database imports Alembic into the run's
    process (~9 MB of its peak on the tenth session's runs), once in the life of a database."""
    started = clock()
    subprocess.run([str(BIN / "pactwatch"), "db", "upgrade"], env=env, check=True,
                   capture_output=True)
    return clock() - started


def _create_prefect_database(env: dict[str, str]) -> float:
    """Create Prefect's database in PREFECT_HOME before the timed run, as every run after a
    user's first finds it (an hourly `pactwatch ingest`); returns what creating it took, the
    extra of a first run ever, reported apart."""
    started = clock()
    subprocess.run([str(BIN / "prefect"), "server", "database", "upgrade", "-y"], env=env,
                   check=True, capture_output=True)
    return clock() - started

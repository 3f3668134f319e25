"""`pactwatch demo`: the whole pipeline on the embedded defaults, against the sample site.

Serves the bundled sample news site on 127.0.0.1, writes a sources file pointing at it, runs
the ingest flow and the weekly digest flow (last complete ISO week), and prints a summary.
The site keeps one port (PACTWATCH_DEMO_PORT, default 8642) so a second run sees the same
URLs and stores nothing twice.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pactwatch import preflight
from pactwatch.sample_site import SampleSite
from pactwatch.settings import load_settings

DEFAULT_PORT = 8642


def free_or_default(port: int) -> int:
    """`port` if it can be bound on 127.0.0.1, else 0 (any free port)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return 0
    return port


def run_demo() -> None:
    os.environ["PACTWATCH_ALLOW_PRIVATE_ADDRESSES"] = "true"
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    settings = load_settings()
    preflight.check(settings, watchlist=True, recipients=True)
    wanted = int(os.environ.get("PACTWATCH_DEMO_PORT", DEFAULT_PORT))
    port = free_or_default(wanted)
    if port != wanted:
        print(f"port {wanted} is busy; serving the sample site on a free port instead")
    with SampleSite(port=port) as site:
        sources_file = Path(settings.out_dir) / "demo-sources.yaml"
        sources_file.parent.mkdir(parents=True, exist_ok=True)
        sources_file.write_text(site.sources_yaml(), encoding="utf-8")
        print(f"sample site: {site.base_url}/ ({len(site.articles)} articles)")

        from flows.digest import digest_flow
        from flows.ingest import ingest_flow

        ingested = ingest_flow(sources_file=str(sources_file))
        digest = digest_flow(week=None, send=True)
    print_summary(ingested, digest, settings.database_url)


def print_summary(ingested: dict, digest: dict, database_url: str) -> None:
    from sqlmodel import Session

    from storage import repo
    from storage.db import engine_for

    with Session(engine_for(database_url)) as session:
        stored = repo.status(session)
    print()
    print("pactwatch demo")
    print(f"  articles found:   {ingested['found']} ({ingested['new']} new this run)")
    print(f"  articles stored:  {ingested['stored']} this run, {stored['articles']} in all")
    print(f"  mentions tagged:  {ingested['mentions']} this run")
    print(f"  fetch failures:   {ingested['failed']}")
    print("  mentions per entity (all stored articles):")
    for entity, n in sorted(stored["mentions"].items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"    {entity:40} {n}")
    print(
        f"  digest {digest['week']}: {digest['articles']} articles, {digest['entities']} entities"
    )
    print(f"    html:   {digest['html_path']}")
    for path in digest.get("outbox", []) or []:
        print(f"    outbox: {path}")
    print(f"  database: {database_url}")

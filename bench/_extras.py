"""Tagging speed and digest timing, printed after the ingest side-by-side (bench_ingest.py).

Both run in the bench's own process, after the ingest variants, so they time nothing else.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

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



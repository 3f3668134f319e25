"""A 2,000-article week stays readable (issue 17): at most STORY_CAP stories per entity in the
mailed digest, a pointer to the full list, and the full list written beside it with every story.
Render time is measured by hand (docs/digest.md), never asserted here."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from sqlmodel import Session

from pactwatch.digest.context import STORY_CAP, build_context
from pactwatch.digest.developments import TOP_DEVELOPMENTS
from pactwatch.digest.render import render_digest
from pactwatch.digest.run import full_list_names, write
from storage.db import ensure_schema, make_engine
from tests.briefing_week import TOKYO, WEEK, busy_week, store, tagger, watchlist


def test_a_busy_week_is_capped_and_the_full_list_is_written(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = make_engine(sqlite_url)
    ensure_schema(engine)
    try:
        with Session(engine) as s, s.begin():
            store(s, busy_week(2000), tagger())
        with Session(engine) as s:
            ctx = build_context(s, WEEK, watchlist(), TOKYO)
    finally:
        engine.dispose()
    assert ctx.articles_scanned == 2000
    assert 0 < len(ctx.developments) <= TOP_DEVELOPMENTS
    assert ctx.capped and all(len(s.stories) > STORY_CAP for s in ctx.sections)
    file, key = full_list_names(ctx.week)
    mailed = render_digest(replace(ctx, full_list=f"{file}; Prefect artifact {key}"))
    complete = render_digest(replace(ctx, story_cap=None))
    for section in mailed.html.split('class="cell section"')[2:-1]:  # entity sections
        assert len(re.findall(r'<li class="story"', section)) == STORY_CAP
        assert re.search(r"more stories in the full list \(digest-2026-W47-full\.html", section)
    biggest = max(ctx.developments, key=lambda d: len(d.coverage))
    cap = 2  # copies and followers are capped like stories
    assert len(biggest.coverage) > cap and len(biggest.followers) > cap
    small = render_digest(replace(ctx, story_cap=cap, full_list=file)).html
    block = small.split(f'id="development-{biggest.number}"')[1].split("</li>")[0]
    assert block.count("<a ") == cap + 1  # the headline and `cap` copies
    assert f"… and {len(biggest.coverage) - cap} more copies in the full list." in block
    assert f"and {len(biggest.followers) - cap} more outlet" in block
    shown = len(re.findall(r'<li class="story"', complete.html))
    assert shown == sum(len(s.stories) for s in ctx.sections)
    assert "in the full list" not in complete.html
    html_path, _ = write(tmp_path, ctx.week, mailed, complete)
    assert Path(html_path).read_text(encoding="utf-8") == mailed.html
    assert (tmp_path / file).read_text(encoding="utf-8") == complete.html

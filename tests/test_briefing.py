"""The briefing (issue 17) on the week of tests/briefing_week.py: top developments grouped across
outlets and languages, in order, with who published first; entity sections that refer to
them; spike lines; a recipient's filter applied to every section."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score
from sqlmodel import Session

from pactwatch.digest.cluster import METHOD, cluster
from pactwatch.digest.context import DigestContext, _week_rows, build_context, for_entities
from pactwatch.digest.developments import _doc
from pactwatch.digest.render import render_digest
from pactwatch.digest.week import week_bounds
from storage.db import make_engine
from storage.queries import week_articles, week_mentions
from tests.briefing_week import EXPECTED, TOKYO, WEEK, Item, seed, watchlist
from tests.dbs import db_url, pg_database  # noqa: F401  (fixtures)
from tests.test_digest import CHROMIUM, _Tags

NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture()
def week(db_url: str) -> tuple[DigestContext, dict[int, Item]]:  # noqa: F811
    items = seed(db_url)
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            return build_context(s, WEEK, watchlist(), TOKYO, now=NOW), items
    finally:
        engine.dispose()


def test_developments_come_in_order_with_the_first_outlet(
    week: tuple[DigestContext, dict[int, Item]],
) -> None:
    ctx, items = week
    got = [
        (
            {items[a].event for a in d.article_ids},
            d.first.source,
            {c.source for c in d.coverage},
            set(d.languages),
        )
        for d in ctx.developments
    ]
    assert got == [({key}, first, outlets, langs) for key, first, outlets, langs in EXPECTED]
    acsa = ctx.developments[0]
    assert [f.source for f in acsa.followers] == ["yahoo", "nhk", "inquirer", "the-diplomat"]
    assert acsa.first.published == datetime(2026, 11, 17, 9, tzinfo=TOKYO)
    assert len(acsa.coverage) == 5 and all(c.url for c in acsa.coverage)  # every copy linked
    assert acsa.labels == (
        "Ferdinand Marcos Jr.",
        "Reciprocal Access Agreement — Japan–Philippines",
    )
    # the headline comes from an article in the language most of the coverage is in
    assert {d.number: d.source for d in ctx.developments}[2] in ("the-diplomat", "kyodo")
    assert acsa.lead.startswith(("Japan and", "Manila and", "The Acquisition"))
    assert acsa.lead.count(".") <= 3  # one or two sentences, not the article


def test_the_chosen_method_finds_the_events_and_simpler_ones_do_not(db_url: str) -> None:  # noqa: F811
    """Adjusted Rand index against the fixture's events: 1.0 for the default; text alone misses
    the other-language write-ups, entities alone join another Marcos story of the same day."""
    items = seed(db_url)
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            articles = week_articles(s, *week_bounds(WEEK, TOKYO))
            mentions = week_mentions(s, [a.id for a in articles])
            rows = _week_rows(s, articles, mentions, {e.id: e.label for e in watchlist().entities})
    finally:
        engine.dispose()
    members: dict[int, list[int]] = {}
    for article_id, story in rows.stories.items():
        members.setdefault(story, []).append(article_id)
    tagged = sorted({rows.stories[a] for a in rows.mentions})
    docs = [_doc(rows, members[story]) for story in tagged]
    gold = [items[members[story][0]].event or f"alone-{story}" for story in tagged]

    def score(**change: object) -> float:
        labels, _ = cluster(docs, replace(METHOD, **change))  # type: ignore[arg-type]
        return float(adjusted_rand_score(gold, labels))

    assert score() == 1.0
    assert score(text_weight=1.0, per_language=False) < 0.9
    assert score(text_weight=0.0) < 0.9


def test_sections_refer_to_developments_and_spikes_are_called_out(
    week: tuple[DigestContext, dict[int, Item]],
) -> None:
    ctx, _ = week
    by_id = {s.id: s for s in ctx.sections}
    marcos = by_id["ferdinand-marcos-jr"]
    assert [i.title for i in marcos.stories] == ["Marcos inspects coast guard station in Bataan"]
    assert marcos.developments == ((1, 4), (4, 2))  # stories, not copies: kyodo+yahoo is one
    assert (marcos.baseline, marcos.spike, marcos.ratio) == (2.0, True, "4.0×")
    assert (by_id["quad"].baseline, by_id["quad"].spike) == (1.0, True)
    assert by_id["fumio-kishida"].spike is False  # one article is no spike
    text = " ".join(render_digest(ctx).text.split())
    assert "In the top developments: 1 (4 stories), 4 (2 stories)." in text
    assert "Spike: 8 articles against 2.0 a week over the previous four weeks (4.0×)." in text
    assert text.index("Top developments of the week") < text.index("== Ferdinand Marcos Jr. ==")
    assert "kyodo (en): Japan, Philippines sign ACSA supply pact https://kyodo.example/" in text
    assert "nhk (ja): 日比が物品役務相互提供協定に署名" in text  # every copy, with its title
    parser = _Tags()  # e-mail safe: nothing active, links only to the web or within the page
    parser.feed(render_digest(ctx).html)
    assert not {t for t, _ in parser.tags} & {"script", "img", "iframe", "object", "link"}
    for _, attrs in parser.tags:
        assert not any(k.startswith("on") for k in attrs), attrs
        assert (attrs.get("href") or "#").startswith(("https://", "#")), attrs


def test_a_recipient_filter_applies_to_the_developments(
    week: tuple[DigestContext, dict[int, Item]],
) -> None:
    ctx, _ = week
    only = for_entities(ctx, ["official-security-assistance", "raa-japan-philippines"])
    assert [(d.number, d.first.source) for d in only.developments] == [
        (1, "kyodo"),
        (2, "inquirer"),
        (3, "rappler"),
    ]
    assert only.developments[0].labels == ("Reciprocal Access Agreement — Japan–Philippines",)
    raa = next(s for s in only.sections if s.id == "raa-japan-philippines")
    assert raa.developments == ((1, 4), (3, 2))
    html = render_digest(only).html
    assert "Quad" not in html and "Marcos Jr." not in html
    assert 'href="#development-3"' in html and 'id="development-3"' in html


FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" style="border:0;width:{width}px;height:4000px" srcdoc="{page}"></iframe>
<script>document.getElementById('f').addEventListener('load', function () {{
  var doc = this.contentDocument;
  document.body.setAttribute('data-scroll-width', doc.documentElement.scrollWidth);
  document.body.setAttribute('data-inner-width', this.contentWindow.innerWidth);
}});</script></body></html>"""


@pytest.mark.slow
@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs headless Chromium at /usr/bin/chromium"
)
@pytest.mark.parametrize("width", [600, 375])
def test_the_briefing_fits_a_phone_and_a_desktop_in_headless_chromium(
    sqlite_url: str, tmp_path: Path, width: int
) -> None:
    """Developments, spike lines, references and suggestions do not widen the page. Headless
    Chromium keeps windows at least 500 px wide, so the digest is laid out in an iframe of
    `width` px (a test-only page: the digest itself carries no script)."""
    seed(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as s:
            ctx = build_context(s, WEEK, watchlist(), TOKYO, now=NOW)
    finally:
        engine.dispose()
    html = render_digest(replace(ctx, story_cap=1, full_list="digest-2026-W47-full.html")).html
    assert "<script" not in html and "Top developments of the week" in html
    frame = tmp_path / "frame.html"
    frame.write_text(FRAME.format(width=width, page=escape(html, quote=True)), encoding="utf-8")
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={max(width, 600)},4000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    shot = tmp_path / "digest.png"
    subprocess.run([*flags, f"--screenshot={shot}", frame.as_uri()], check=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = subprocess.run(
        [*flags, "--dump-dom", frame.as_uri()],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    inner = re.search(r'data-inner-width="(\d+)"', dom)
    scroll = re.search(r'data-scroll-width="(\d+)"', dom)
    assert inner is not None and scroll is not None, dom[:300]
    assert int(inner.group(1)) == width
    assert int(scroll.group(1)) <= width

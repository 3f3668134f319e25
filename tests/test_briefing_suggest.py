"""'Not on your watchlist yet' (issue 17): rising names the watchlist does not cover, in the
digest and as `pactwatch suggest`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session

from pactwatch.digest.context import build_context, for_entities
from pactwatch.digest.render import render_digest
from pactwatch.digest.suggest import Suggestion, candidates, suggest
from storage.db import make_engine
from tests.briefing_week import PLANTED, STEADY, TOKYO, WEEK, seed, tagger, watchlist
from tests.dbs import db_url, pg_database  # noqa: F401  (fixtures)

BIN = Path(sys.executable).parent / "pactwatch"


@pytest.fixture()
def found(db_url: str) -> tuple[Suggestion, ...]:  # noqa: F811
    seed(db_url)
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            return suggest(s, WEEK, watchlist(), TOKYO)
    finally:
        engine.dispose()


def test_the_planted_names_are_suggested_and_no_tracked_entity(
    found: tuple[Suggestion, ...],
) -> None:
    names = [x.name for x in found]
    agreement, grouping = PLANTED
    assert f"{agreement} (ACSA)" in names and grouping in names
    by_name = {x.name: x for x in found}
    acsa = by_name[f"{agreement} (ACSA)"]
    assert (acsa.kind, acsa.articles, acsa.baseline) == ("agreement", 4, 0.0)
    assert "ACSA" in acsa.example and acsa.example.endswith(".")
    assert by_name[grouping].kind == "grouping"
    assert not any(steady in name for steady in STEADY for name in names)  # not rising
    tag = tagger()
    for x in found:  # the tagger finds no tracked entity in any suggested name
        assert not tag.entity_ids(x.name), x.name
        assert not any(e.name.casefold() in x.name.casefold() for e in watchlist().entities)


def test_candidates_in_every_form() -> None:
    text = (
        "Officials praised the Reciprocal Access Agreement (RAA) and the Blue Pacific "
        "Partnership. Defense Secretary Gilberto Teodoro attended. "
        "日本とフィリピンの物品役務相互提供協定が発効した。日米比海洋対話も開かれた。"
        "한일 상호군수지원협정 체결. 한미일 안보협의체 출범."
    )
    assert candidates(text) == [
        ("Reciprocal Access Agreement", "agreement", "RAA"),
        ("Blue Pacific Partnership", "grouping", ""),
        ("Gilberto Teodoro", "name", ""),
        ("物品役務相互提供協定", "agreement", ""),
        ("日米比海洋対話", "grouping", ""),
        ("상호군수지원협정", "agreement", ""),
        ("안보협의체", "grouping", ""),
    ]


def test_the_digest_shows_them_and_a_recipient_filter_applies(db_url: str) -> None:  # noqa: F811
    seed(db_url)
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            ctx = build_context(s, WEEK, watchlist(), TOKYO)
    finally:
        engine.dispose()
    text = " ".join(render_digest(ctx).text.split())
    assert "== Not on your watchlist yet ==" in text
    assert "Manila Maritime Dialogue (grouping) · 2 articles, 0.0 a week before" in text
    acsa = next(x for x in ctx.suggestions if x.name.startswith(PLANTED[0]))
    assert acsa.entities == {"ferdinand-marcos-jr", "raa-japan-philippines"}
    assert for_entities(ctx, ["quad"]).suggestions == ()
    only_osa = for_entities(ctx, ["official-security-assistance"])
    assert [x.name for x in only_osa.suggestions if "Dialogue" in x.name] == [PLANTED[1]]
    assert "Not on your watchlist yet" in render_digest(only_osa).html


def test_pactwatch_suggest_prints_them(sqlite_url: str) -> None:
    seed(sqlite_url)
    env = {**os.environ, "PACTWATCH_DATABASE_URL": sqlite_url}
    result = subprocess.run(
        [str(BIN), "suggest", "--week", "2026-W47"], capture_output=True, env=env, timeout=300
    )
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert out.startswith("2026-W47: not on your watchlist yet")
    assert f"{PLANTED[0]} (ACSA)  [agreement]  4 articles, 0.0/week before" in out
    bad = subprocess.run([str(BIN), "suggest", "--week", "2026-W99"], capture_output=True, env=env)
    assert bad.returncode == 1 and "week" in bad.stderr.decode()
    assert "Traceback" not in bad.stderr.decode()

"""What the operator reads: backfill coverage (this run's counts, the coverage map), the quiet
ingest's one line, the digest artifact's text, and `pactwatch status` as tables.

The same reports produced by deployed runs on a real server and worker: tests/test_deploy.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session

from pactwatch.digest.render import render_digest
from pactwatch.ingest import reports
from storage import repo
from storage.db import engine_for
from tests.test_digest import ctx  # noqa: F401  (fixture)

D1, D2, D3 = date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)


def _chunk(source: str, day: date, state: str = "done", **counts: int) -> dict:
    return {"source": source, "day": day, "state": state, **counts}


def test_a_repeat_reports_what_this_run_did_not_what_earlier_runs_stored() -> None:
    recorded = [_chunk("a", D1, discovered=4, new=4, stored=4), _chunk("a", D2)]
    expected = [("a", D1), ("a", D2)]
    rows = reports.coverage_rows(recorded, expected, done_before=expected)
    assert [r["stored"] for r in rows] == [0, 0]
    assert rows[0]["note"] == "done by an earlier run (4 stored then)"
    summary = reports.coverage_markdown(rows, {"source-days skipped (done before)": 2})
    assert "This run: discovered 0, new 0, stored 0, failed 0" in summary
    first = reports.coverage_rows(recorded, expected)
    assert [r["stored"] for r in first] == [4, 0] and first[1]["note"] == "nothing found"


def test_the_coverage_map_shows_holes_at_a_glance() -> None:
    recorded = [
        _chunk("harbour-times", D1, discovered=2, stored=2), _chunk("harbour-times", D2),
        _chunk("harbour-times", D3, "failed", discovered=1, failed=1),
        _chunk("ledger", D1, discovered=1, stored=0, new=0), _chunk("ledger", D3),
    ]
    expected = [(s, d) for s in ("harbour-times", "ledger") for d in (D1, D2, D3)]
    picture = reports.coverage_heatmap(recorded, expected)
    grid = picture.split("```")[1].strip("\n").splitlines()
    assert grid[0].strip() == "2024-03-01 … 2024-03-03"
    assert grid[1].endswith("000") and grid[2].endswith("123")
    assert grid[3] == "harbour-times  ▇░✗"
    assert grid[4] == "ledger         ▇·░"  # day 2 never recorded: its discovery failed
    assert "2 sources × 3 days; 4 source-days without articles" in picture


def test_a_quiet_ingest_says_nothing_new_instead_of_an_empty_table() -> None:
    assert reports.ingest_table({}) == []
    line = reports.nothing_new_markdown({"found": 0, "failed": 0})
    assert line.startswith("Nothing new") and line.count("\n") == 1


def test_digest_markdown_is_escaped_once(ctx) -> None:  # noqa: F811
    section = ctx.sections[0]
    story = dataclasses.replace(section.stories[0], title="Japan's \"pact\" & <b>Manila</b>")
    changed = dataclasses.replace(ctx, sections=[
        dataclasses.replace(section, stories=[story, *section.stories[1:]]), *ctx.sections[1:]])
    md = render_digest(changed).markdown
    assert "Japan's \"pact\" \\& \\<b\\>Manila\\</b\\>" in md
    assert "&#39;" not in md and "&#34;" not in md and "&amp;" not in md and "<b>" not in md


def test_status_prints_tables_and_keeps_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'status.db'}"
    stats = {"found": 21, "new": 3, "stored": 3, "duplicates": 0, "mentions": 7, "failed": 1,
             "sources": {"harbour-times": {"discovered": 9, "new": 3, "stored": 3, "failed": 1,
                                           "failed_by_kind": {"http-status": 1}}},
             "health": []}
    with Session(engine_for(url)) as session, session.begin():
        repo.record_run(session, "ingest", datetime(2026, 11, 27, 9, tzinfo=UTC), stats)
    env = {**os.environ, "PACTWATCH_DATABASE_URL": url, "COLUMNS": "120"}
    pactwatch = str(Path(sys.executable).parent / "pactwatch")
    shown = subprocess.run([pactwatch, "status"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "{" not in shown.stdout  # no raw JSON
    lines = shown.stdout.splitlines()
    assert any(line.startswith("Last runs") for line in lines)
    (ingest,) = [line for line in lines if "│ ingest" in line]
    assert "found 21" in ingest and "stored 3" in ingest and "sources 1" not in ingest
    (source,) = [line for line in lines if "│ harbour-times" in line]
    assert [c.strip() for c in source.split("│")[2:6]] == ["9", "3", "3", "1"]
    as_json = subprocess.run([pactwatch, "status", "--json"], env=env, capture_output=True,
                             text=True, timeout=120)
    assert json.loads(as_json.stdout)["last_runs"]["ingest"]["stats"]["found"] == 21

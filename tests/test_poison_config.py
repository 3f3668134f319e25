"""A broken or hostile configuration file: every command prints one line naming the file, the
line and the problem, exits non-zero, and starts no flow (no Prefect ERROR, no traceback).
Runs the real `pactwatch` console script in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "pactwatch"
REPO = Path(__file__).resolve().parents[1]

BOMB_LEVELS = "".join(
    f"  {name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)
BAD = {
    # kind: (YAML text, the line the message must name, a word of the problem)
    "syntax": ("{top}:\n  - name: x\n    feeds: [one, two\n  - name: y\n", "line 4", "expected"),
    "python-tag": ("{top}: !!python/object/apply:os.system ['echo pwned']\n", "line 1",
                   "constructor"),
    "anchor-bomb": ("lol:\n  a: &a [x, x, x, x, x, x, x, x, x]\n" + BOMB_LEVELS + "{top}: *i\n",
                    "line ", "anchor bomb"),
}
# command line, the setting naming its file, and the file's top-level key
COMMANDS = {
    "ingest": (["ingest"], "PACTWATCH_SOURCES_FILE", "sources"),
    "backfill": (["backfill", "--start", "2026-11-01", "--end", "2026-11-02"],
                 "PACTWATCH_SOURCES_FILE", "sources"),
    "digest": (["digest", "--week", "2026-W47"], "PACTWATCH_RECIPIENTS_FILE", "recipients"),
    "digest-watchlist": (["digest", "--week", "2026-W47"], "PACTWATCH_WATCHLIST_FILE",
                         "entities"),
    "retag": (["retag"], "PACTWATCH_WATCHLIST_FILE", "entities"),
    "tag": (["tag", "-"], "PACTWATCH_WATCHLIST_FILE", "entities"),
    "demo": (["demo"], "PACTWATCH_WATCHLIST_FILE", "entities"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_bad_config_is_one_line_naming_file_and_line(
    command: str, kind: str, tmp_path: Path
) -> None:
    args, variable, top = COMMANDS[command]
    text, line, problem = BAD[kind]
    bad = tmp_path / f"{kind}.yaml"
    bad.write_text(text.format(top=top), encoding="utf-8")
    env = {
        **os.environ,
        "PACTWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "PACTWATCH_OUT_DIR": str(tmp_path / "out"),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        variable: str(bad),
    }
    result = subprocess.run([str(BIN), *args], input=b"Fumio Kishida", capture_output=True,
                            env=env, timeout=300, cwd=tmp_path)
    err = result.stderr.decode()
    assert result.returncode != 0
    assert len(err.strip().splitlines()) == 1, err
    assert str(bad) in err and line in err and problem in err.lower(), err
    assert "Traceback" not in err and "ERROR" not in err
    assert not (tmp_path / "db.sqlite").exists(), "a command ran despite the bad file"

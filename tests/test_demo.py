"""The README's demo command, run as a user runs it, twice: the second run stores nothing."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent / "pactwatch"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_twice(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PACTWATCH_")},
        "PACTWATCH_DEMO_PORT": str(free_port()),
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
    }

    def demo() -> str:
        result = subprocess.run(
            [str(BIN), "demo"], cwd=tmp_path, env=env, capture_output=True, timeout=600
        )
        assert result.returncode == 0, result.stderr.decode()[-3000:]
        return result.stdout.decode()

    def articles() -> int:
        out = subprocess.run(
            [str(BIN), "status", "--json"], cwd=tmp_path, env=env, capture_output=True, timeout=120
        )
        return json.loads(out.stdout)["articles"]

    first = demo()
    assert "articles stored" in first and "fumio-kishida" in first
    assert list((tmp_path / "out" / "outbox").glob("*.eml"))
    assert list((tmp_path / "out").glob("*.html"))
    assert (tmp_path / "data" / "pactwatch.db").is_file()
    count = articles()
    assert count >= 15
    demo()
    assert articles() == count

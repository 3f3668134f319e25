"""Prefect analytics are off in every entry point, with no variable set by the caller."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
READ = (
    "import os, prefect.settings as s; "
    "print(s.get_current_settings().server.analytics_enabled, os.environ.get('DO_NOT_TRACK'))"
)


@pytest.mark.parametrize("entry", ["flows.ingest", "flows.digest", "flows.backfill",
                                   "pactwatch.cli", "pactwatch.demo"])
def test_importing_an_entry_point_turns_prefect_analytics_off(entry: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK")}
    env["PREFECT_HOME"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", f"import {entry}; {READ}"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "1"]


def test_an_operator_choice_is_kept(tmp_path: Path) -> None:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "true",
           "PREFECT_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", f"import flows.ingest; {READ}"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.stdout.split()[0] == "True", result.stderr

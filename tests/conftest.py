"""Shared fixtures: real servers on loopback, real databases, one Prefect harness per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PG_URL = os.environ.get("PACTWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test harness (temporary database, ephemeral API) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pactwatch.db'}"


@pytest.fixture()
def pipeline_env(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """PACTWATCH_* variables for a run into a temporary database and outbox."""
    env = {
        "PACTWATCH_DATABASE_URL": sqlite_url,
        "PACTWATCH_OUT_DIR": str(tmp_path / "out"),
        "PACTWATCH_OUTBOX_DIR": str(tmp_path / "out" / "outbox"),
        "PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env

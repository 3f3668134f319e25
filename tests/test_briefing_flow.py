"""The weekly-digest flow on the briefing week (issue 17): the full list is written and
published, each recipient's copy is narrowed in every section, and delivery stays once."""

from __future__ import annotations

import asyncio
import email
from email import policy
from pathlib import Path

import pytest
import yaml

from tests.briefing_week import PLANTED, seed


def _artifact(key: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def read() -> str:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )
            return str(found[0].data) if found else ""

    return asyncio.run(read())


def test_the_flow_publishes_the_full_list_and_narrows_each_copy(
    prefect_harness: None,
    pipeline_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.digest import digest_flow

    seed(pipeline_env["PACTWATCH_DATABASE_URL"])
    recipients = tmp_path / "recipients.yaml"
    people = [{"address": "all@example.org"}, {"address": "quad@example.org", "entities": ["quad"]}]
    recipients.write_text(yaml.safe_dump({"recipients": people}), encoding="utf-8")
    monkeypatch.setenv("PACTWATCH_RECIPIENTS_FILE", str(recipients))

    result = digest_flow(week="2026-W47")
    assert sorted(result["delivered"]) == ["all@example.org", "quad@example.org"]
    out = Path(pipeline_env["PACTWATCH_OUT_DIR"])
    full = (out / "digest-2026-W47-full.html").read_text(encoding="utf-8")
    assert "Top developments of the week" in full and "in the full list" not in full
    assert "Marcos inspects coast guard station in Bataan" in full
    markdown = _artifact("weekly-digest-full-2026-w47")
    assert "## Top developments of the week" in markdown and PLANTED[1] in markdown

    outbox = Path(pipeline_env["PACTWATCH_OUTBOX_DIR"])
    quad = email.message_from_bytes(
        (outbox / "2026-W47-quad-at-example-org.eml").read_bytes(), policy=policy.default
    )
    text = " ".join(quad.get_body(("plain",)).get_content().split())
    assert "== Top developments of the week == 1. Quad" in text  # renumbered: its only one
    assert "ACSA" not in text and "Ferdinand Marcos" not in text  # other items' sections
    assert "Not on your watchlist yet" not in text  # nothing new near the Quad this week
    everyone = email.message_from_bytes(
        (outbox / "2026-W47-all-at-example-org.eml").read_bytes(), policy=policy.default
    )
    assert PLANTED[1] in " ".join(everyone.get_body(("plain",)).get_content().split())

    again = digest_flow(week="2026-W47")
    assert again["delivered"] == [] and sorted(again["skipped"]) == sorted(result["delivered"])

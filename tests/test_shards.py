"""Shard planning and adding shards up (`pactwatch.ingest.shards`), the worker's name passed to
its runs (`pactwatch.worker`), and when an ingest fans out (`flows.shards.shard_plan`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from extractors.listings.sources import Source, load_sources
from pactwatch.ingest import shards
from pactwatch.worker import run_environment, worker_command, worker_name


def _source(name: str, *feeds: str) -> Source:
    return Source(name=name, feeds=feeds)


def test_a_hosts_sources_stay_in_one_shard_and_shards_stay_even() -> None:
    sources = [_source(f"s{i}", f"http://host{i % 4}.test/s{i}.xml") for i in range(12)]
    planned = shards.plan(sources, per_shard=3)
    assert len(planned) == 4
    assert sorted(n for names in planned for n in names) == sorted(s.name for s in sources)
    for names in planned:  # each shard is one host's three sources
        assert len({int(n[1:]) % 4 for n in names}) == 1 and len(names) == 3


def test_a_source_on_two_hosts_joins_their_groups() -> None:
    sources = [_source("a", "http://one.test/f"), _source("b", "http://two.test/f"),
               _source("bridge", "http://one.test/g", "http://two.test:8080/g"),
               _source("c", "http://two.test:8080/h"), _source("d", "http://three.test/f")]
    assert shards.host_groups(sources) == [["a", "bridge", "c"], ["b"], ["d"]]
    planned = shards.plan(sources, per_shard=2)
    assert ["a", "bridge", "c"] in planned and sorted(map(len, planned)) == [1, 1, 3]


@pytest.mark.parametrize("per_shard", [0, 5, 50])
def test_few_sources_or_zero_never_fan_out(per_shard: int) -> None:
    sources = [_source(f"s{i}", f"http://h{i}.test/f") for i in range(5)]
    assert shards.plan(sources, per_shard) == []


def test_the_demo_config_never_fans_out_by_default() -> None:
    from pactwatch.settings import REPO_ROOT, load_settings

    configured = load_sources(REPO_ROOT / "config" / "sources.yaml")
    assert shards.plan(configured, load_settings({}).shard_sources) == []


def test_combine_adds_the_shards_up() -> None:
    one = shards.ShardResult("r1", "w1", ["a"], {"found": 3, "stored": 2, "mentions": 1},
                             {"a": {"stored": 2}})
    two = shards.ShardResult("r2", "w2", ["b", "c"], {"found": 5, "stored": 4, "failed": 1},
                             {"b": {"stored": 4}, "c": {"stored": 0}})
    totals, summary = shards.combine([two, one])
    assert totals == {"found": 8, "new": 0, "stored": 6, "duplicates": 0, "mentions": 1,
                      "failed": 1, "deferred": 0}
    assert list(summary) == ["a", "b", "c"]


def test_a_shard_is_read_back_from_its_ingest_record() -> None:
    """A shard's run record is the ordinary ingest record plus `identity`."""
    recorded = {"found": 3, "new": 3, "stored": 2, "duplicates": 0, "mentions": 1,
                "failed": 0, "deferred": {}, "sources": {"a": {"stored": 2}}, "health": [],
                **shards.identity("r1", "w1", ["a"])}
    read = shards.ShardResult.from_stats(recorded)
    assert read == shards.ShardResult(
        "r1", "w1", ["a"],
        {"found": 3, "new": 3, "stored": 2, "duplicates": 0, "mentions": 1, "failed": 0,
         "deferred": {}},
        {"a": {"stored": 2}})


def test_the_failure_message_names_the_failed_shard() -> None:
    rows = shards.shard_rows(
        [["a"], ["b", "c"]],
        [{"id": "r1", "state": "COMPLETED", "attempts": 1},
         {"id": "r9", "state": "CRASHED", "attempts": 2}],
        {"r1": shards.ShardResult("r1", "w1", ["a"], {"stored": 2})},
    )
    assert rows[0]["worker"] == "w1" and rows[0]["stored"] == 2
    assert shards.failure_message(rows) == (
        "shard 2 (b, c) ended CRASHED after 2 attempts (last flow run r9)")


def test_the_worker_passes_its_name_to_its_runs() -> None:
    named = worker_command("pactwatch", ["--name", "east-1", "--limit", "2"])
    assert worker_name(named) == "east-1" and named.count("--name") == 1
    assert run_environment(named, {"A": "1"}) == {"A": "1", "PACTWATCH_WORKER_NAME": "east-1"}
    assert worker_name(["--name=west"]) == "west"
    default = worker_command("pactwatch")
    assert (worker_name(default) or "").startswith("pactwatch-")


def test_an_ingest_outside_a_deployment_never_fans_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.shards import shard_plan
    from pactwatch.settings import load_settings

    path = tmp_path / "many.yaml"
    many = [_source(f"s{i}", f"http://h{i}.test/f") for i in range(10)]
    entries = [s.model_dump(mode="json", exclude_defaults=True) for s in many]
    path.write_text(yaml.safe_dump({"sources": entries}), encoding="utf-8")
    monkeypatch.setenv("PACTWATCH_SHARD_SOURCES", "2")
    settings = load_settings()
    # `pactwatch ingest`, `make demo`: no deployment
    assert shard_plan(load_sources(path), settings) == []

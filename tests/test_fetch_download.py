"""Large files through the fetch boundary: `Fetcher.download` (a backfill's WARC files)."""

from __future__ import annotations

import asyncio
import gzip
import os
from datetime import date
from pathlib import Path

import pytest

from extractors.errors import FetchFailed
from extractors.fetch.client import Fetcher, make_client
from extractors.fetch.options import FetchOptions
from pactwatch.ingest.archive import index_warcs, local_copy
from pactwatch.settings import load_settings
from tests.servers import Route, loopback

OPTIONS = FetchOptions(allow_private_addresses=True, retry_backoff=0.01, read_timeout=2)


def download(url: str, target: Path, options: FetchOptions = OPTIONS, guard=None) -> Path:
    async def go() -> Path:
        async with make_client(options) as client:
            return await Fetcher(client, options, guard=guard).download(url, target)

    return asyncio.run(go())


def test_download_streams_to_a_file_decoding_and_capping(tmp_path: Path) -> None:
    data = os.urandom(200_000)
    routes = {
        "/plain.warc": Route(200, data, {"Content-Type": "application/warc"}),
        "/coded.warc": Route(200, gzip.compress(data), {"Content-Encoding": "gzip"}),
    }
    with loopback(routes) as site:
        assert download(site.url("/plain.warc"), tmp_path / "a").read_bytes() == data
        assert download(site.url("/coded.warc"), tmp_path / "b").read_bytes() == data
        small = FetchOptions(allow_private_addresses=True, max_download_bytes=100_000)
        with pytest.raises(FetchFailed) as refused:
            download(site.url("/coded.warc"), tmp_path / "c", small)
    assert refused.value.kind == "too-large"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no partial file left


def test_a_warc_url_whose_name_is_private_gets_no_request(tmp_path: Path) -> None:
    """`localhost` resolves to 127.0.0.1: refused where the connection is made, before any
    request (robots.txt included); the failure is a row of the backfill's index."""
    strict = load_settings({"PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "false"})
    with loopback({"/news.warc": Route(200, b"WARC/1.0")}) as site:
        url = site.url("/news.warc").replace("127.0.0.1", "localhost")
        with pytest.raises(FetchFailed) as refused:
            local_copy(url, strict, tmp_path)
        day = date(2026, 11, 27)
        records, failures = index_warcs([url], [], day, day, strict, tmp_path)
        assert site.hits == {}, "a request reached the private address"
    assert refused.value.kind == "forbidden-address"
    assert records == [] and len(failures) == 1 and "non-public address" in failures[0].reason


def test_a_warc_url_that_rebinds_to_a_private_address_gets_no_request(tmp_path: Path) -> None:
    """DNS rebinding: whatever a check before the request saw (here a guard that passes every
    URL stands for a lookup that answered a public address), the connection layer resolves
    and vets the name itself, and connects only to what it vetted."""
    strict = FetchOptions(allow_private_addresses=False)
    with loopback({"/news.warc": Route(200, b"WARC/1.0")}) as site:
        with pytest.raises(FetchFailed) as refused:
            download(site.url("/news.warc"), tmp_path / "x", strict, guard=lambda url: None)
        assert site.hits == {}
    assert refused.value.kind == "forbidden-address"
    assert "resolves to non-public address 127.0.0.1" in refused.value.reason


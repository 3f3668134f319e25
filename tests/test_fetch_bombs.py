"""Bounded decompression of listings (issue 19.3): a gzipped sitemap that inflates to 2 GiB
is cut at the cap while it is inflated, whether gzip is its Content-Encoding or its file
format, and discovery records it as `too-large`."""

from __future__ import annotations

import gzip
import resource
import struct
import zlib
from datetime import UTC, datetime
from functools import cache

import pytest

from extractors.errors import FetchFailed
from extractors.inflate import gunzip
from extractors.listings.sources import Source
from pactwatch.ingest import discovery
from pactwatch.settings import load_settings
from tests.faults.hostile_site import fault_env
from tests.servers import Route, loopback

INFLATED = 2 << 30  # 2 GiB of zeros
MIB = 1 << 20


@cache
def gzip_of_zeros(size: int = INFLATED) -> bytes:
    """A valid gzip file of `size` zeros, about 1 KB per MiB, built without inflating it:
    after a full flush, deflate starts afresh, so every MiB of zeros compresses to the
    same bytes; CRC-32 and length are computed over the zeros a MiB at a time."""
    zeros = bytes(MIB)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // MIB):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return header + block * (size // MIB) + deflate.flush() + trailer


def test_the_crafted_gzip_is_what_it_claims() -> None:
    small = gzip_of_zeros(8 * MIB)
    assert gzip.decompress(small) == bytes(8 * MIB)
    assert gunzip("u", small, 8 * MIB) == bytes(8 * MIB)
    with pytest.raises(FetchFailed) as refused:
        gunzip("u", small, 8 * MIB - 1)
    assert refused.value.kind == "too-large"
    with pytest.raises(FetchFailed) as cut:
        gunzip("u", small[:-100], 8 * MIB)
    assert cut.value.kind == "bad-encoding"


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def test_a_sitemap_that_inflates_to_2_gib_is_refused_while_inflating() -> None:
    bomb = gzip_of_zeros()
    assert len(bomb) < 3 * MIB  # small on the wire, under the 6 MB body cap of fault_env
    routes = {
        "/sitemap.xml.gz": Route(200, bomb, {"Content-Type": "application/gzip"}),
        "/sitemap.xml": Route(200, bomb, {"Content-Type": "application/xml",
                                          "Content-Encoding": "gzip"}),
    }
    settings = load_settings(fault_env())
    before = peak_rss_bytes()
    with loopback(routes) as site:
        source = Source(name="bomb", sitemaps=tuple(site.url(p) for p in routes), delay=0)
        found = discovery.discover([source], settings, datetime.now(UTC), states={})
    growth = peak_rss_bytes() - before
    assert {(f.url.rsplit("/", 1)[1], f.kind) for f in found.failures} == {
        ("sitemap.xml.gz", "too-large"), ("sitemap.xml", "too-large")
    }
    assert found.work == []
    assert growth < 400 * MIB, f"peak memory grew by {growth / MIB:.0f} MiB"

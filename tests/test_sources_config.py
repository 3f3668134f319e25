"""The shipped source lists validate, and every real outlet is labelled with its language and
country; the labels are optional and checked when present."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from extractors.errors import ConfigError
from extractors.listings.sources import load_sources

CONFIG = Path(__file__).resolve().parents[1] / "config"


@pytest.mark.parametrize("name", ["sources.yaml", "sources-real.yaml"])
def test_a_shipped_sources_file_validates_and_labels_every_outlet(name: str) -> None:
    sources = load_sources(CONFIG / name)
    assert sources
    for source in sources:
        assert source.language and source.country, source.name
        for url in (source.homepage, *source.feeds, *source.sitemaps):
            if url:
                assert urlsplit(url).scheme == "https" and urlsplit(url).hostname, url


def test_the_real_list_covers_the_region_in_its_languages() -> None:
    sources = load_sources(CONFIG / "sources-real.yaml")
    assert len(sources) >= 20
    assert {"JP", "KR", "PH", "AU", "IN", "US"} <= {s.country for s in sources}
    assert {"en", "ja", "ko"} <= {s.language for s in sources}


def test_labels_are_optional_and_checked(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("sources:\n  - name: a\n    feeds: [https://a.example/feed]\n")
    (source,) = load_sources(plain)
    assert source.language is None and source.country is None
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - name: a\n    feeds: [https://a.example/feed]\n"
                   "    country: Japan\n")
    with pytest.raises(ConfigError, match="country"):
        load_sources(bad)

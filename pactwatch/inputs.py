"""Reading what a user hands the CLI: saved pages (plain or gzipped), URLs, text or HTML."""

from __future__ import annotations

import gzip
from pathlib import Path

from extractors.errors import ConfigError, ExtractionFailed


def read_target(target: str, url: str | None) -> tuple[bytes, str]:
    """Return (page bytes, address) for a saved file or an http(s) URL."""
    if target.startswith(("http://", "https://")):
        return _download(target), target
    path = Path(target)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{target}: {exc.strerror}") from None
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError) as exc:
            raise ExtractionFailed(target, f"bad gzip file: {exc}") from None
    return body, url or path.resolve().as_uri()


def _download(url: str) -> bytes:
    """The page at `url`, through the fetch boundary like every request (FetchFailed if not)."""
    import asyncio

    from extractors.fetch.client import Fetcher, make_client
    from pactwatch.settings import load_settings

    options = load_settings().fetch_options()

    async def get() -> bytes:
        async with make_client(options) as client:
            return (await Fetcher(client, options).fetch(url, require_html=True)).body

    return asyncio.run(get())


def text_of(raw: bytes) -> tuple[str, str]:
    """(text, title) of raw input: HTML goes through extraction, anything else is text."""
    head = raw[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in raw[:4096].lower():
        from extractors.article.extract import extract_article

        article = extract_article(raw, "file:///input.html")
        return article.text, article.title
    return raw.decode("utf-8", errors="replace"), ""

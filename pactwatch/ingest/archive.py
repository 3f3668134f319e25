"""Historical discovery beyond feeds and sitemaps: archive pages and WARC files.

Archive pages: a source that declares `archive` (a URL pattern with `{day}`, formatted like a
date, e.g. `https://example.com/archive/{day:%Y/%m/%d}/`) lists a day's articles on one page;
its links become `Work` dated that day (hint origin "archive", the least trusted date).

WARC files (e.g. CC-NEWS), given as local paths or http(s) URLs: `index_warcs` notes where
each HTML response of a configured source and of the requested days sits in the file; the
backfill reads those records batch by batch with `read_records` (the archive's bytes stand in
for a fetch, so nothing is requested from the publisher). The day of a WARC record is the day
it was captured (WARC-Date, UTC). URLs are downloaded once into a cache folder.

Failures are rows (`Failure` kinds "archive-page" and "warc"), never exceptions.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from extractors.article.model import DateCandidate
from extractors.errors import FetchFailed
from extractors.fetch.client import Fetcher, make_client
from extractors.fetch.options import FetchOptions
from extractors.listings.discover import parse_homepage
from extractors.listings.sources import Source
from pactwatch.ingest.fetching import host_policies
from pactwatch.ingest.records import Discovery, Failure, Fetched, Work
from pactwatch.settings import Settings

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class WarcRecord:
    """Where one archived article page of a source sits in a local WARC file."""

    url: str
    source: str
    day: date
    path: str
    offset: int


def archive_urls(pattern: str, days: Sequence[date]) -> list[tuple[date, str]]:
    """The archive page of each day: `pattern.format(day=day)`."""
    return [(day, pattern.format(day=day)) for day in days]


def discover_archives(
    sources: Sequence[Source], days: Sequence[date], settings: Settings
) -> Discovery:
    """Read the archive page of every day for the sources that declare one."""
    return asyncio.run(_discover_archives(sources, days, settings))


async def _discover_archives(
    sources: Sequence[Source], days: Sequence[date], settings: Settings
) -> Discovery:
    result = Discovery()
    pages = [
        (source, day, url)
        for source in sources
        if (pattern := source.archive)
        for day, url in archive_urls(pattern, days)
    ]
    options = settings.fetch_options()
    async with make_client(options) as client:
        fetcher = Fetcher(client, options, host_policies(sources))

        async def one(source: Source, day: date, url: str) -> None:
            try:
                page = await fetcher.fetch(url)
            except FetchFailed as exc:
                result.failures.append(Failure(url, source.name, "archive-page", exc.reason))
                return
            hint = DateCandidate(origin="archive", value=datetime.combine(day, time(12), UTC))
            links = parse_homepage(page.body, page.final_url).candidates
            result.listed += len(links)
            result.work.extend(Work(c.url, source.name, (hint,)) for c in links)

        await asyncio.gather(*(one(*page) for page in pages))
    return result


def source_of(url: str, sources: Sequence[Source]) -> str | None:
    """The source a URL belongs to: longest matching homepage prefix, else a unique host."""
    prefixes = sorted(
        ((s.homepage, s.name) for s in sources if s.homepage), key=lambda p: -len(p[0])
    )
    for prefix, name in prefixes:
        if url.startswith(prefix):
            return name
    netloc = urlsplit(url).netloc
    owners = {
        s.name
        for s in sources
        for u in (s.homepage, *s.feeds, *s.sitemaps)
        if u and urlsplit(u).netloc == netloc
    }
    return owners.pop() if len(owners) == 1 else None


def index_warcs(
    locations: Sequence[str],
    sources: Sequence[Source],
    start: date,
    end: date,
    settings: Settings,
    cache_dir: Path,
) -> tuple[list[WarcRecord], list[Failure]]:
    """Find the HTML responses of `sources` captured between `start` and `end` (inclusive)."""
    records: list[WarcRecord] = []
    failures: list[Failure] = []
    for location in locations:
        try:
            path = local_copy(location, settings, cache_dir)
            records.extend(_index_one(path, sources, start, end))
        except (OSError, ArchiveLoadFailed, FetchFailed) as exc:
            failures.append(Failure(location, "warc", "warc", f"{type(exc).__name__}: {exc}"))
    return records, failures


def _index_one(
    path: Path, sources: Sequence[Source], start: date, end: date
) -> list[WarcRecord]:
    found: list[WarcRecord] = []
    with path.open("rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            if record.rec_type != "response" or record.http_headers is None:
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            status = record.http_headers.get_statuscode()
            kind = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip()
            captured = _warc_date(record.rec_headers.get_header("WARC-Date") or "")
            source = source_of(url, sources)
            if (
                source
                and status == "200"
                and kind.lower() in HTML_TYPES
                and captured is not None
                and start <= captured <= end
            ):
                offset = iterator.get_record_offset()
                found.append(WarcRecord(url, source, captured, str(path), offset))
    return found


def _warc_date(value: str) -> date | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).date()
    except ValueError:
        return None


def read_records(records: Sequence[WarcRecord]) -> tuple[list[Fetched], list[Failure]]:
    """Read the archived pages of `records`, as if they had just been fetched."""
    fetched: list[Fetched] = []
    failures: list[Failure] = []
    for rec in records:
        try:
            with open(rec.path, "rb") as stream:
                stream.seek(rec.offset)
                record = next(iter(ArchiveIterator(stream)))
                body = record.content_stream().read()
        except (OSError, StopIteration, ArchiveLoadFailed) as exc:
            failures.append(Failure(rec.url, rec.source, "warc", f"{type(exc).__name__}: {exc}"))
            continue
        fetched.append(Fetched(Work(rec.url, rec.source), rec.url, body))
    return fetched, failures


def local_copy(location: str, settings: Settings, cache_dir: Path) -> Path:
    """A local path for a WARC path or URL (downloaded once into `cache_dir`).

    A URL is downloaded through the fetch boundary (`Fetcher.download`): every hop vetted,
    the address checked where the connection is made, the size capped. Raises FetchFailed
    for a download that failed (with its kind), OSError for a file that cannot be read or
    written.
    """
    if not location.startswith(("http://", "https://")):
        path = Path(location)
        if not path.is_file():
            raise FileNotFoundError(f"no such WARC file: {location}")
        return path
    target = cache_dir / (hashlib.sha256(location.encode()).hexdigest()[:20] + ".warc")
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_download(location, target, settings.fetch_options()))


async def _download(url: str, target: Path, options: FetchOptions) -> Path:
    async with make_client(options) as client:
        return await Fetcher(client, options).download(url, target)

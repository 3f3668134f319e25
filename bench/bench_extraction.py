"""Measure extraction quality on the shared corpus: body F1, title, publication day, authors.

Run from the repository root:

    .venv/bin/python bench/bench_extraction.py            # every method, both corpora
    .venv/bin/python bench/bench_extraction.py --misses   # also list pactwatch's misses

Reads `../shared/corpus/` in place (never copies it). Two corpora:

- extraction-benchmark/: body precision, recall and F1 with the article-extraction-benchmark
  scoring (4-token shingles of `\\w+` tokens, per-page normalised counts, means over pages).
- news-pages/: exact title (whitespace collapsed), publication day (the date part in the
  expected value's own UTC offset), authors (set equality, case-insensitive), body F1 against
  the expected paragraphs.

Methods compared: trafilatura's default `extract`, trafilatura's best measured settings, and
pactwatch's `extract_article`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import trafilatura

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpus"

from extractors.article.extract import extract_article  # noqa: E402
from extractors.errors import ExtractionFailed  # noqa: E402

TOKEN = re.compile(r"\w+")
BEST_SETTINGS = {"include_comments": False, "favor_precision": True}


@dataclass(frozen=True)
class Page:
    """One corpus page and what a correct extraction yields (None where not scored)."""

    name: str
    url: str
    html: bytes
    body: str
    title: str | None = None
    published: str | None = None
    authors: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Result:
    title: str = ""
    published: str | None = None  # ISO date or datetime
    authors: tuple[str, ...] = ()
    text: str = ""


@dataclass
class Score:
    """Running totals for one method on one corpus."""

    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    title: list[bool] = field(default_factory=list)
    day: list[bool] = field(default_factory=list)
    authors: list[bool] = field(default_factory=list)
    millis: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def f1(self) -> tuple[float, float, float]:
        p = statistics.fmean(self.precision) if self.precision else 0.0
        r = statistics.fmean(self.recall) if self.recall else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# --- scoring ------------------------------------------------------------------------------


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of n-token shingles; a text shorter than n tokens is one short shingle."""
    tokens = TOKEN.findall(text or "")
    return Counter(
        shingle
        for i in range(max(1, len(tokens) - n + 1))
        if (shingle := tuple(tokens[i : i + n]))
    )


def shingle_match(truth: str, prediction: str) -> tuple[float, float, float]:
    """(TP, FP, FN) normalised to sum to 1, so each page weighs the same."""
    true, pred = shingles(truth), shingles(prediction)
    tp = sum((true & pred).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def add_body(score: Score, truth: str, prediction: str) -> float:
    tp, fp, fn = shingle_match(truth, prediction)
    if tp + fp:
        score.precision.append(tp / (tp + fp))
    if tp + fn:
        score.recall.append(tp / (tp + fn))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def same_day(expected: str, found: str | None) -> bool:
    """Compare the date part, reading `found` in the expected value's own UTC offset."""
    if not found:
        return False
    want = datetime.fromisoformat(expected)
    try:
        got = datetime.fromisoformat(found)
    except ValueError:
        return False
    if got.tzinfo is not None and want.tzinfo is not None:
        got = got.astimezone(want.tzinfo)
    return got.date() == want.date()


def norm(text: str | None) -> str:
    return " ".join((text or "").split())


def same_authors(expected: Iterable[str], found: Iterable[str]) -> bool:
    return {norm(a).casefold() for a in expected} == {norm(a).casefold() for a in found}


# --- corpora ------------------------------------------------------------------------------


def benchmark_pages(root: Path = CORPUS / "extraction-benchmark") -> list[Page]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(key, item["url"], gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes()),
             item["articleBody"])
        for key, item in sorted(truth.items())
    ]


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


def _strings(value: object) -> list[str]:
    """Flatten a paragraph, a list of them, or a list of lists."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def news_pages(root: Path = CORPUS / "news-pages") -> list[Page]:
    """Pair `<Publisher>_<date>.html.gz` with the versions of `<Publisher>.json`, both in order."""
    pages = []
    for expected_file in sorted(root.glob("*/*.json")):
        folder, publisher = expected_file.parent, expected_file.stem
        info = json.loads((folder / "meta.info").read_text(encoding="utf-8"))
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        files = sorted(folder.glob(f"{publisher}_*.html.gz"))
        versions = sorted(expected, key=_version_key)
        if len(files) != len(versions):
            raise SystemExit(f"{expected_file}: {len(files)} pages, {len(versions)} versions")
        for path, version in zip(files, versions, strict=True):
            want = expected[version]
            body = want.get("body") or {}
            paragraphs = _strings(body.get("summary"))
            for section in body.get("sections") or []:
                paragraphs += _strings(section.get("headline"))
                paragraphs += _strings(section.get("paragraphs"))
            pages.append(Page(
                f"{folder.name}/{path.name}", info[path.name]["url"],
                gzip.decompress(path.read_bytes()), "\n".join(paragraphs),
                want.get("title"), want.get("publishing_date"),
                tuple(want.get("authors") or ()),
            ))
    return pages


# --- methods ------------------------------------------------------------------------------


def trafilatura_method(**settings: object) -> Callable[[Page], Result]:
    def run(page: Page) -> Result:
        doc = trafilatura.bare_extraction(
            page.html, url=page.url, with_metadata=True, **settings  # type: ignore[arg-type]
        )
        if doc is None:
            return Result()
        authors = tuple(a.strip() for a in (doc.author or "").split(";") if a.strip())
        text = doc.text or ""
        if settings.get("include_comments", True) and doc.comments:
            text += "\n" + doc.comments  # what extract() returns: text, then comments
        return Result(doc.title or "", doc.date, authors, text)

    return run


def pactwatch_method(page: Page) -> Result:
    try:
        article = extract_article(page.html, page.url)
    except ExtractionFailed:
        return Result()
    stamp = article.published.isoformat() if article.published else None
    return Result(article.title, stamp, article.authors, article.text)


METHODS: dict[str, Callable[[Page], Result]] = {
    "trafilatura default": trafilatura_method(),
    "trafilatura best": trafilatura_method(**BEST_SETTINGS),
    "pactwatch": pactwatch_method,
}


def measure(method: Callable[[Page], Result], pages: list[Page]) -> Score:
    score = Score()
    for page in pages:
        start = time.perf_counter()
        result = method(page)
        score.millis.append((time.perf_counter() - start) * 1000)
        f1 = add_body(score, page.body, result.text)
        if f1 < 0.8:
            score.misses.append(f"{page.name}: body F1 {f1:.2f}")
        if page.title is not None:
            score.title.append(norm(page.title) == norm(result.title))
            if not score.title[-1]:
                score.misses.append(f"{page.name}: title {result.title!r} != {page.title!r}")
        if page.published is not None:
            score.day.append(same_day(page.published, result.published))
            if not score.day[-1]:
                score.misses.append(f"{page.name}: date {result.published} != {page.published}")
        if page.authors is not None:
            score.authors.append(same_authors(page.authors, result.authors))
            if not score.authors[-1]:
                score.misses.append(f"{page.name}: authors {result.authors} != {page.authors}")
    return score


def _rate(values: list[bool]) -> str:
    return f"{sum(values) / len(values):.3f}" if values else "-"


def table(rows: dict[str, tuple[Score, Score]]) -> str:
    lines = [
        "| method | bench P | bench R | bench F1 | ms/page (median) | news body F1 "
        "| title exact | pub. day | authors | ms/page (median) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, (bench, news) in rows.items():
        p, r, f1 = bench.f1()
        lines.append(
            f"| {name} | {p:.3f} | {r:.3f} | {f1:.3f} | {statistics.median(bench.millis):.1f} "
            f"| {news.f1()[2]:.3f} | {_rate(news.title)} | {_rate(news.day)} "
            f"| {_rate(news.authors)} | {statistics.median(news.millis):.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", nargs="*", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--misses", action="store_true", help="list pactwatch's misses")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")
    bench, news = benchmark_pages(), news_pages()
    rows = {name: (measure(METHODS[name], bench), measure(METHODS[name], news))
            for name in args.methods}
    print(f"{len(bench)} extraction-benchmark pages, {len(news)} news pages, "
          f"{date.today().isoformat()}, trafilatura {trafilatura.__version__}\n")
    print(table(rows))
    if args.misses and "pactwatch" in rows:
        print("\npactwatch misses:")
        for line in rows["pactwatch"][0].misses + rows["pactwatch"][1].misses:
            print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

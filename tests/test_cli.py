"""Every CLI subcommand on real input, run as a user runs it: the console script, a subprocess."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import html_page

BIN = Path(sys.executable).parent / "pactwatch"


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [str(BIN), *args], input=stdin, capture_output=True, env=full_env, timeout=300
    )


def assert_clean_error(result: subprocess.CompletedProcess, needle: str) -> None:
    err = result.stderr.decode()
    assert result.returncode != 0
    assert needle in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_tag_stdin_counts_mentions() -> None:
    text = (
        "Prime Minister Fumio Kishida welcomed President Ferdinand Marcos Jr. to Tokyo. "
        "Kishida and Marcos discussed the Reciprocal Access Agreement between Japan and the "
        "Philippines."
    )
    result = run("tag", "-", stdin=text.encode())
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["entities"]["fumio-kishida"] == 2
    assert out["entities"]["ferdinand-marcos-jr"] == 2
    assert "raa-japan-philippines" in out["entities"]
    first = out["mentions"][0]
    assert text[first["start"] : first["end"]] == first["text"]


def test_tag_html_file(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_bytes(html_page("Joe Biden hosts the Quad leaders"))
    body = b"<p>President Joe Biden hosted the Quad leaders at the White House.</p>" * 3
    page.write_bytes(page.read_bytes().replace(b"</article>", body + b"</article>"))
    out = json.loads(run("tag", str(page)).stdout)
    assert out["entities"].get("joe-biden", 0) >= 3


def test_extract_saved_gzip_page(tmp_path: Path) -> None:
    path = tmp_path / "saved.html.gz"
    path.write_bytes(gzip.compress(html_page("Access deal takes effect")))
    result = run("extract", str(path), "--url", "https://news.example/a/access-deal")
    assert result.returncode == 0, result.stderr
    article = json.loads(result.stdout)
    assert article["url"] == "https://news.example/a/access-deal"
    assert article["title"] == "Access deal takes effect"
    assert article["published"].startswith("2026-11-20T")
    assert "shared rules for visiting forces" in article["text"]
    assert set(article) == {"url", "title", "authors", "published", "language", "sitename", "text"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("tag", "/no/such/file"), "No such file"),
        (("extract", "/no/such/page.html"), "No such file"),
        (("backfill", "--start", "2024-13-01", "--end", "2024-01-02"), "not a date"),
        (("backfill", "--start", "2024-02-01", "--end", "2024-01-02"), "before"),
        (("ingest", "--since", "yesterday"), "not a date"),
        (("ingest", "--sources", "/no/such.yaml"), "no such file"),
        (("digest", "--week", "2024-W99"), "week"),
    ],
)
def test_bad_input_is_one_clean_line(args: tuple[str, ...], needle: str) -> None:
    assert_clean_error(run(*args), needle)


def test_extract_unreachable_url_is_clean() -> None:
    result = run(
        "extract", "http://127.0.0.1:9/nothing", env={"PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true"}
    )
    assert_clean_error(result, "connection")


def test_status_json_on_empty_database(tmp_path: Path) -> None:
    env = {"PACTWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    result = run("status", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["articles"] == 0 and data["mentions"] == {} and data["failures"] == {}


def test_commands_without_flows_do_not_import_prefect(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pactwatch.cli import app\n"
        "for argv in (['status', '--json'], ['tag', '-']):\n"
        "    sys.argv = ['pactwatch', *argv]\n"
        "    try:\n"
        "        app()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('PREFECT' if 'prefect' in sys.modules else 'NO-PREFECT')\n"
    )
    env = {**os.environ, "PACTWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'y.db'}"}
    result = subprocess.run(
        [sys.executable, "-c", code], input=b"Kishida", capture_output=True, env=env, timeout=120
    )
    assert result.stdout.decode().strip().endswith("NO-PREFECT"), result.stderr


def test_retag_updates_stored_mentions_without_fetching(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from sqlmodel import Session, select

    from extractors.article.model import Article
    from storage import repo
    from storage.db import ensure_schema, make_engine
    from storage.models import ArticleRow, MentionRow

    url = f"sqlite:///{tmp_path / 'r.db'}"
    engine = make_engine(url)
    ensure_schema(engine)
    text = "Prime Minister Fumio Kishida met President Joe Biden. Kishida spoke first."
    article = Article(url="https://news.example/a/1", title="Talks", text=text,
                      published=datetime(2026, 11, 20, tzinfo=UTC))
    with Session(engine) as s, s.begin():
        ids = repo.insert_articles(s, [repo.article_values(article, "src")])
        repo.replace_mentions(s, ids[article.url], [], "old-version")
    engine.dispose()
    result = run("retag", env={"PACTWATCH_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["articles"] == 1 and out["mentions"] == 3
    with Session(make_engine(url)) as s:
        entities = sorted(m.entity for m in s.exec(select(MentionRow)))
        version = s.exec(select(ArticleRow.watchlist_version)).one()
    assert entities == ["fumio-kishida", "fumio-kishida", "joe-biden"]
    assert version == out["watchlist_version"] != "old-version"
    again = json.loads(run("retag", env={"PACTWATCH_DATABASE_URL": url}).stdout)
    assert again["articles"] == 0

"""The weekly digest: week math, context, rendering, and the flow writing to the outbox.

A fixed database for 2024-W10 (Mon 4 – Sun 10 March 2024, Asia/Tokyo):

    entity                  W10 mentions (articles)   W09      shown
    raa-japan-philippines   7 (3)                     1 (1)    first, ▲ +6
    fumio-kishida           5 (4)                     6 (3)    second, ▼ -1
    quad                    2 (2)                     2 (1)    third, = no change
    reciprocal-access-agreement, raa-japan-australia  —        quiet this week

Syndication: a1/a2 share a content hash, a4/a6 a story id, a8/a9 a title. Articles are stored
through `store_batch`, so the stories the digest shows are the ones stored.
"""

from __future__ import annotations

import email
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import update
from sqlmodel import Session

from extractors.article.model import Article
from extractors.errors import ConfigError
from extractors.tagging.watchlist import Watchlist, parse_watchlist
from pactwatch.digest.context import DigestContext, build_context, for_entities, snippet
from pactwatch.digest.mail import MailOptions, build_message
from pactwatch.digest.recipients import Recipient, load_recipients
from pactwatch.digest.render import render_digest
from pactwatch.digest.week import IsoWeek, last_complete_week, parse_week, week_bounds
from pactwatch.ingest.records import Extracted, Work
from pactwatch.ingest.store import store_batch
from storage.db import ensure_schema, make_engine
from storage.models import ArticleRow
from storage.repo import article_ids_of

TOKYO = ZoneInfo("Asia/Tokyo")
W10 = IsoWeek(2024, 10)
WATCHLIST = {
    "schema": 1,
    "countries": {
        "JP": {"name": "Japan", "names": ["Japan"]},
        "PH": {"name": "Philippines", "names": ["Philippines"]},
        "AU": {"name": "Australia", "names": ["Australia"]},
    },
    "entities": [
        {
            "id": "reciprocal-access-agreement",
            "kind": "agreement",
            "name": "Reciprocal Access Agreement",
            "aliases": ["Reciprocal Access Agreement"],
        },
        {
            "id": "raa-japan-philippines",
            "kind": "agreement",
            "name": "Reciprocal Access Agreement",
            "variant_of": "reciprocal-access-agreement",
            "parties": ["JP", "PH"],
        },
        {
            "id": "raa-japan-australia",
            "kind": "agreement",
            "name": "Reciprocal Access Agreement",
            "variant_of": "reciprocal-access-agreement",
            "parties": ["JP", "AU"],
        },
        {
            "id": "fumio-kishida",
            "kind": "leader",
            "name": "Fumio Kishida",
            "surname": "Kishida",
            "given": ["Fumio"],
            "country": "JP",
        },
        {
            "id": "quad",
            "kind": "framework",
            "name": "Quad",
            "aliases": ["Quadrilateral Security Dialogue"],
        },
    ],
}
RAA_PH = "Reciprocal Access Agreement — Japan–Philippines"


@dataclass(frozen=True)
class M:
    """A mention as the tagger would produce it."""

    entity: str
    text: str
    sentence: str
    start: int
    salient: bool = False

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def jst(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, tzinfo=TOKYO)


def add(
    s: Session,
    url: str,
    source: str,
    title: str,
    published: datetime,
    text: str,
    mentions: list[M],
    story: str | None = None,
    sitename: str | None = None,
) -> int:
    article = Article(url=url, title=title, published=published, text=text, sitename=sitename)
    store_batch(s, [Extracted(Work(url, source), article, tuple(mentions), None, url)], [], "test")
    article_id = article_ids_of(s, [url])[url]
    if story:
        s.execute(update(ArticleRow).where(ArticleRow.id == article_id).values(story=story))
    return article_id


SIGNED = "Japan and the Philippines signed the Reciprocal Access Agreement in Manila on Tuesday."
LONG_WORD = "Kishida-" + "x" * 180  # one unbreakable word, to test overflow at 600 px


def seed(url: str) -> None:
    """Fill a fresh database at `url` with the fixed weeks described in the module docstring."""
    engine = make_engine(url)
    ensure_schema(engine)
    raa = "raa-japan-philippines"
    body = (
        f"{SIGNED} The Reciprocal Access Agreement lets forces train."
        " Reciprocal Access Agreement again."
    )
    with Session(engine) as s, s.begin():
        raa3 = [
            M(raa, "Reciprocal Access Agreement", SIGNED, 40, True),
            M(
                raa,
                "Reciprocal Access Agreement",
                "The Reciprocal Access Agreement lets forces train.",
                95,
            ),
            M(raa, "Reciprocal Access Agreement", "Reciprocal Access Agreement again.", 140),
        ]
        add(
            s,
            "https://japan-forward.com/raa-signed",
            "japan-forward",
            "Japan and Philippines sign Reciprocal Access Agreement",
            jst(5),
            body,
            [*raa3, M("fumio-kishida", "Kishida", "Prime Minister Kishida attended.", 300)],
        )
        add(
            s,
            "https://thediplomat.com/raa-signed",
            "the-diplomat",
            "Japan & Philippines sign Reciprocal Access Agreement | The Diplomat",
            jst(6),
            body,
            raa3,
            sitename="The Diplomat",
        )
        evil = 'Kishida said <img src=x onerror=alert(1)> the pact "matters" & more.'
        add(
            s,
            "javascript:alert(1)//x",
            "nhk-world",
            "Kishida visits Manila <script>alert(1)</script>",
            jst(7),
            f"{evil} Kishida again. Later the Reciprocal Access Agreement came up.",
            [
                M("fumio-kishida", "Kishida", evil, 0, True),
                M("fumio-kishida", "Kishida", "Kishida again.", 70),
                M(
                    raa,
                    "Reciprocal Access Agreement",
                    "Later the Reciprocal Access Agreement came up.",
                    500,
                ),
            ],
        )
        add(
            s,
            "https://thediplomat.com/quad",
            "the-diplomat",
            "Quad leaders to meet in Delhi",
            jst(8),
            "The Quadrilateral Security Dialogue will meet.",
            [
                M(
                    "quad",
                    "Quadrilateral Security Dialogue",
                    "The Quadrilateral Security Dialogue will meet.",
                    4,
                    True,
                )
            ],
            story="quad-summit",
        )
        add(
            s,
            "https://japan-forward.com/weather",
            "japan-forward",
            "Weather in Tokyo",
            jst(9),
            "Sunny with a chance of rain.",
            [],
        )
        add(
            s,
            "https://www3.nhk.or.jp/quad",
            "nhk-world",
            "Delhi to host leaders' meeting",
            jst(8, 12),
            "Leaders of the Quadrilateral Security Dialogue gather in Delhi next month.",
            [
                M(
                    "quad",
                    "Quadrilateral Security Dialogue",
                    "Leaders of the Quadrilateral Security Dialogue gather.",
                    12,
                )
            ],
            story="quad-summit",
        )
        kishida_au = "Kishida says Japan will deepen ties with Australia"
        add(
            s,
            "https://kyodonews.net/kishida-au",
            "kyodo",
            kishida_au,
            jst(10, 23, 30),
            "Fumio Kishida spoke in Tokyo.",
            [M("fumio-kishida", "Fumio Kishida", "Fumio Kishida spoke in Tokyo.", 0, True)],
        )
        add(
            s,
            "https://japan-forward.com/kishida-au",
            "japan-forward",
            kishida_au + ".",
            jst(6),
            f"Fumio Kishida spoke at length about {LONG_WORD}.",
            [
                M(
                    "fumio-kishida",
                    "Fumio Kishida",
                    f"Fumio Kishida spoke at length about {LONG_WORD}.",
                    0,
                )
            ],
        )
        # just outside the week: Monday 00:30 in Tokyo (still Sunday in UTC)
        add(
            s,
            "https://kyodonews.net/late",
            "kyodo",
            "Late news",
            jst(11, 0, 30),
            "Kishida late.",
            [M("fumio-kishida", "Kishida", "Kishida late.", 0)],
        )
        # the previous week, 2024-W09
        add(
            s,
            "https://kyodonews.net/w09-a",
            "kyodo",
            "Kishida week nine",
            jst(1),
            "Kishida x4.",
            [M("fumio-kishida", "Kishida", "Kishida.", i * 10) for i in range(4)],
        )
        add(
            s,
            "https://kyodonews.net/w09-b",
            "kyodo",
            "Kishida and the RAA",
            jst(2),
            "Kishida RAA.",
            [M("fumio-kishida", "Kishida", "Kishida.", 0), M(raa, "RAA", "RAA.", 10)],
        )
        add(
            s,
            "https://kyodonews.net/w09-c",
            "kyodo",
            "Kishida and the Quad",
            jst(3),
            "Kishida Quad.",
            [
                M("fumio-kishida", "Kishida", "Kishida.", 0),
                M("quad", "Quad", "Quad.", 10),
                M("quad", "Quad", "Quad.", 20),
            ],
        )
    engine.dispose()


def watchlist() -> Watchlist:
    return parse_watchlist(WATCHLIST)


def write_config(tmp_path: Path, recipients: list[dict[str, object]]) -> dict[str, str]:
    """Watchlist and recipients files for a flow run; returns their PACTWATCH_* variables."""
    wl, rc = tmp_path / "watchlist.yaml", tmp_path / "recipients.yaml"
    wl.write_text(yaml.safe_dump(WATCHLIST, allow_unicode=True), encoding="utf-8")
    rc.write_text(yaml.safe_dump({"recipients": recipients}), encoding="utf-8")
    return {"PACTWATCH_WATCHLIST_FILE": str(wl), "PACTWATCH_RECIPIENTS_FILE": str(rc)}


@pytest.fixture()
def ctx(sqlite_url: str) -> DigestContext:
    seed(sqlite_url)
    engine = make_engine(sqlite_url)
    with Session(engine) as s:
        built = build_context(s, W10, watchlist(), TOKYO, now=datetime(2024, 3, 11, tzinfo=UTC))
    engine.dispose()
    return built


# --- weeks -----------------------------------------------------------------------------------


def test_parse_week_accepts_iso_weeks_and_rejects_the_rest() -> None:
    assert str(parse_week("2024-W10")) == "2024-W10"
    assert parse_week("2020w53") == IsoWeek(2020, 53)
    for bad in ("2024-10", "2024-W54", "2021-W53", "last week", ""):
        with pytest.raises(ConfigError, match="week"):
            parse_week(bad)


def test_last_complete_week_is_taken_in_the_schedule_zone() -> None:
    monday_morning = datetime(2024, 3, 11, 8, 0, tzinfo=TOKYO)
    assert last_complete_week(monday_morning, TOKYO) == W10
    # Monday 00:30 in Tokyo is still Sunday in UTC: W10 is complete in Tokyo, not in UTC
    just_after = datetime(2024, 3, 11, 0, 30, tzinfo=TOKYO)
    assert last_complete_week(just_after, TOKYO) == W10
    assert last_complete_week(just_after, ZoneInfo("UTC")) == IsoWeek(2024, 9)
    assert last_complete_week(datetime(2025, 1, 1, tzinfo=UTC), TOKYO) == IsoWeek(2024, 52)
    start, end = week_bounds(W10, TOKYO)
    assert (start, end) == (jst(4, 0), jst(11, 0))
    assert end - start == timedelta(days=7)


# --- context ---------------------------------------------------------------------------------


def test_sections_are_ordered_by_activity_with_counts_and_trend(ctx: DigestContext) -> None:
    assert [s.id for s in ctx.sections] == ["raa-japan-philippines", "fumio-kishida", "quad"]
    raa, kishida, quad = ctx.sections
    assert (raa.label, raa.articles, raa.mentions, raa.prev_mentions) == (RAA_PH, 3, 7, 1)
    assert (raa.trend, raa.delta) == ("▲", 6)
    assert (kishida.articles, kishida.mentions, kishida.prev_mentions, kishida.trend) == (
        4,
        5,
        6,
        "▼",
    )
    assert (quad.mentions, quad.prev_mentions, quad.trend) == (2, 2, "=")
    assert [q.id for q in ctx.quiet] == ["reciprocal-access-agreement", "raa-japan-australia"]
    assert (ctx.articles_scanned, ctx.sources_scanned) == (8, 4)
    assert ctx.subject == "pactwatch weekly — 2024-W10: 7 articles on 3 tracked items"
    assert [b.mentions for b in raa.bars] == [0, 3, 3, 1, 0, 0, 0]
    assert [b.mentions for b in kishida.bars] == [0, 1, 1, 2, 0, 0, 1]  # Sunday 23:30 counts


def test_syndicated_copies_are_shown_once(ctx: DigestContext) -> None:
    """Copies in two outlets are a top development (issue 17); the entity's section refers to
    it instead of repeating the story."""
    raa, kishida, quad = ctx.sections
    by_title = {d.headline: d for d in ctx.developments}
    signed = by_title["Japan and Philippines sign Reciprocal Access Agreement"]
    assert [c.source for c in signed.coverage] == ["japan-forward", "the-diplomat"]  # a1 + a2
    assert (signed.source, signed.first.source) == ("japan-forward", "japan-forward")
    shown = [i.title for s in ctx.sections for i in s.stories] + list(by_title)
    assert shown.count("Japan and Philippines sign Reciprocal Access Agreement") == 1
    assert [i.source for i in raa.stories] == ["nhk-world"]  # a3
    assert raa.developments == ((signed.number, 1),)
    quad_dev = by_title["Quad leaders to meet in Delhi"]  # same story id
    assert [c.source for c in quad_dev.coverage] == ["the-diplomat", "nhk-world"]
    assert (quad.stories, quad.developments) == ((), ((quad_dev.number, 1),))
    shared = next(d for d in ctx.developments if d.headline.startswith("Kishida says"))
    assert [c.source for c in shared.coverage] == ["japan-forward", "kyodo"]  # a8/a9: a title
    assert [i.source for i in kishida.stories] == ["nhk-world"]
    assert kishida.developments == tuple(sorted([(shared.number, 1), (signed.number, 1)]))


def test_unsafe_links_are_dropped_and_mentions_split_for_highlighting(ctx: DigestContext) -> None:
    kishida = ctx.sections[1]
    evil = next(i for i in kishida.stories if i.source == "nhk-world")
    assert evil.url is None
    assert evil.snippet.match == "Kishida"
    assert evil.snippet.after.startswith(" said <img")


def test_snippets_and_titles_are_trimmed_around_the_mention() -> None:
    long = ("word " * 100) + "the Reciprocal Access Agreement was signed " + ("more " * 100)
    cut = snippet(long, "Reciprocal Access Agreement", limit=120)
    assert cut.match == "Reciprocal Access Agreement"
    assert cut.before.startswith("…") and cut.after.endswith("…")
    assert len(cut.before + cut.match + cut.after) <= 122
    assert snippet("no mention here", "Quad").match == ""


def test_a_filtered_recipient_gets_only_their_sections(ctx: DigestContext) -> None:
    only = for_entities(ctx, ["raa-japan-philippines", "raa-japan-australia"])
    assert [s.id for s in only.sections] == ["raa-japan-philippines"]
    assert [q.id for q in only.quiet] == ["raa-japan-australia"]
    assert only.subject == "pactwatch weekly — 2024-W10: 3 articles on 1 tracked item"
    text = render_digest(only).text
    assert RAA_PH in text and "Fumio Kishida" not in text
    assert "2 of 5 items followed" in " ".join(text.split())


# --- rendering -------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_has_every_section_in_order_and_nothing_active(ctx: DigestContext) -> None:
    html = render_digest(ctx).html
    headings = re.findall(r"<h2[^>]*>([^<]*)</h2>", html)
    assert headings == [
        "Top developments of the week",
        RAA_PH,
        "Fumio Kishida",
        "Quad",
        "Quiet this week",
    ]
    assert "▲ +6" in html and "▼ -1" in html and "= no change" in html
    assert "First: <strong>japan-forward</strong>" in html
    assert 'the-diplomat: <a href="https://thediplomat.com/raa-signed"' in html
    assert re.search(r"<mark[^>]*>Reciprocal Access Agreement</mark> came up", html)
    parser = _Tags()
    parser.feed(html)
    tags = {t for t, _ in parser.tags}
    assert not tags & {"script", "img", "iframe", "object", "link"}
    for _, attrs in parser.tags:
        assert not any(k.startswith("on") for k in attrs), attrs
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("https://", "http://", "#")), href
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html
    assert "<style" not in html or "@media" in html  # CSS is inlined
    assert 'style="' in html


def test_text_version_has_the_same_information(ctx: DigestContext) -> None:
    text = render_digest(ctx).text
    assert text.startswith("pactwatch weekly — 2024-W10\n4–10 March 2024 (Asia/Tokyo)\n")
    assert "8 articles from 4 sources scanned" in text
    order = [
        text.index(f"== {label} ==")
        for label in (RAA_PH, "Fumio Kishida", "Quad", "Quiet this week")
    ]
    assert order == sorted(order)
    assert "▲ +6" in text and "▼ -1" in text
    assert "followed by the-diplomat 2024-03-06 10:00" in " ".join(text.split())
    assert "*Reciprocal Access Agreement*" in text
    assert text.count("Japan & Philippines") == 1  # the copy: in its development's list only
    assert "&amp;" not in text and "&lt;" not in text  # plain text is not escaped
    assert "https://japan-forward.com/raa-signed" in text and "javascript:" not in text
    assert "Reciprocal Access Agreement — Japan–Australia" in text.split("== Quiet")[1]
    assert (
        max(
            len(line)
            for line in text.splitlines()
            if "http" not in line and "Kishida-x" not in line
        )
        <= 80
    )


def test_markdown_escapes_links_and_markup(ctx: DigestContext) -> None:
    md = render_digest(ctx).markdown
    assert "## Reciprocal Access Agreement — Japan–Philippines" in md
    assert (
        "[Japan and Philippines sign Reciprocal Access Agreement](<https://japan-forward.com/raa-signed>)"
        in md
    )
    assert "<script>" not in md and "javascript:" not in md


def test_header_text_cannot_inject_headers(ctx: DigestContext) -> None:
    options = MailOptions(
        sender="pactwatch <digest@example.org>\r\nBcc: x@evil.test",
        outbox_dir=Path("."),
        unsubscribe_url="https://x.test/u\r\nBcc: y",
    )
    recipient = Recipient(address="a@example.org", name="Ann\r\nBcc: z@evil.test")
    msg = build_message(
        "Sub\r\nBcc: w@evil.test",
        "t",
        "<p>h</p>",
        recipient,
        options,
        "<id@example.org>",
        datetime(2024, 3, 11, tzinfo=UTC),
    )
    raw = msg.as_bytes()
    assert b"\nBcc:" not in raw
    assert "List-Unsubscribe" not in msg  # a URL with spaces is not a URL


def test_recipients_file_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "recipients:\n  - analyst@example.org\n  - address: raa@example.org\n"
        "    entities: [raa-japan-uk, raa-japan-australia]\n"
    )
    a, b = load_recipients(path)
    assert (a.audience, b.audience) == ("all", "raa-japan-australia,raa-japan-uk")
    assert b.slug == "raa-at-example-org"
    for body, reason in [
        ("recipients:\n  - address: not-an-address\n", "not an email address"),
        ("recipients:\n  - address: a@b.org\n    entities: []\n", "empty entity list"),
        ("recipients:\n  - a@b.org\n  - A@b.org\n", "listed twice"),
        ("recipients:\n  - address: a@b.org\n    colour: red\n", "colour"),
        ("people: []\n", "top-level 'recipients:'"),
    ]:
        path.write_text(body)
        with pytest.raises(ConfigError, match=re.escape(reason)):
            load_recipients(path)
    repo_default = load_recipients(
        Path(__file__).resolve().parents[1] / "config" / "recipients.yaml"
    )
    assert [r.address for r in repo_default] == ["analyst@example.org"]


# --- the flow --------------------------------------------------------------------------------


def test_flow_writes_files_and_outbox_once(
    prefect_harness: None,
    pipeline_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.digest import digest_flow

    seed(pipeline_env["PACTWATCH_DATABASE_URL"])
    env = write_config(
        tmp_path,
        [
            {"address": "analyst@example.org"},
            {
                "address": "raa@example.org",
                "name": "RAA desk",
                "entities": ["raa-japan-philippines", "raa-japan-australia"],
            },
        ],
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = digest_flow(week="2024-W10")
    assert result["week"] == "2024-W10"
    assert (result["articles"], result["entities"]) == (7, 3)
    assert sorted(result["delivered"]) == ["analyst@example.org", "raa@example.org"]
    assert result["skipped"] == [] and result["failed"] == {}
    assert Path(result["html_path"]).name == "digest-2024-W10.html"
    assert "Quiet this week" in Path(result["text_path"]).read_text(encoding="utf-8")
    outbox = Path(pipeline_env["PACTWATCH_OUTBOX_DIR"])
    files = sorted(p.name for p in outbox.iterdir())
    assert files == ["2024-W10-analyst-at-example-org.eml", "2024-W10-raa-at-example-org.eml"]
    assert sorted(Path(p).name for p in result["outbox"]) == files
    msg = email.message_from_bytes((outbox / files[1]).read_bytes(), policy=policy.default)
    assert msg["Subject"] == "pactwatch weekly — 2024-W10: 3 articles on 1 tracked item"
    assert "Fumio Kishida" not in msg.get_body(("plain",)).get_content()
    mtime = (outbox / files[0]).stat().st_mtime_ns

    again = digest_flow(week="2024-W10")
    assert again["delivered"] == [] and sorted(again["skipped"]) == sorted(result["delivered"])
    assert (outbox / files[0]).stat().st_mtime_ns == mtime


def test_flow_rejects_a_malformed_week(prefect_harness: None, pipeline_env: dict[str, str]) -> None:
    from flows.digest import digest_flow

    with pytest.raises(ConfigError, match="expected an ISO week like 2024-W10"):
        digest_flow(week="2024-10")


# --- the screenshot --------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PROBE = """<script>document.addEventListener('DOMContentLoaded', function () {
  document.body.setAttribute('data-scroll-width', document.documentElement.scrollWidth);
});</script>"""


@pytest.mark.slow
@pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="needs headless Chromium (Debian package `chromium`) at /usr/bin/chromium",
)
def test_html_fits_600px_in_headless_chromium(ctx: DigestContext, tmp_path: Path) -> None:
    html = render_digest(ctx).html
    page, probe = tmp_path / "digest.html", tmp_path / "probe.html"
    page.write_text(html, encoding="utf-8")
    # the probe is a test-only copy: the digest itself carries no script
    probe.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--window-size=600,3000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    shot = tmp_path / "digest.png"
    subprocess.run(
        [*flags, f"--screenshot={shot}", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(shot.read_bytes()[16:20], "big") == 600
    dom = subprocess.run(
        [*flags, "--dump-dom", probe.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
        text=True,
    ).stdout
    width = re.search(r'data-scroll-width="(\d+)"', dom)
    assert width is not None, dom[:500]
    assert int(width.group(1)) <= 600


def test_the_footer_reports_unhealthy_sources_from_the_last_ingest(sqlite_url: str) -> None:
    from storage.repo import record_run

    seed(sqlite_url)
    engine = make_engine(sqlite_url)
    problem = {"source": "harbour-times", "problem": "403s", "detail": "12 of 20 pages refused"}
    with Session(engine) as s, s.begin():
        record_run(s, "ingest", datetime(2024, 3, 10, tzinfo=UTC), {"health": []})
        record_run(s, "ingest", datetime(2024, 3, 11, tzinfo=UTC), {"health": [problem]})
    with Session(engine) as s:
        built = build_context(s, W10, watchlist(), TOKYO, now=datetime(2024, 3, 11, tzinfo=UTC))
    engine.dispose()
    rendered = render_digest(built)
    for body in (rendered.html, rendered.text, rendered.markdown):
        assert "harbour-times" in body and "12 of 20 pages refused" in body


def test_a_healthy_last_ingest_adds_no_health_line(ctx: DigestContext) -> None:
    assert ctx.source_health == ()
    assert "Source health" not in render_digest(ctx).text

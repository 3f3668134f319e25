"""A week written for the briefing (issue 17): 2026-W47, Mon 16 – Sun 22 November 2026, Tokyo.

Articles are tagged by the real tagger with config/watchlist.yaml and stored through
`store_batch`, as ingestion would. Four developments, each covered by several outlets in
English and another language:

    order  event                                         outlets (first seen first)        langs
    1      Japan and the Philippines sign an ACSA        kyodo, nhk, inquirer, diplomat,   en ja
           (Tue 17; Marcos, RAA Japan-Philippines)       yahoo (a copy of kyodo's story)
    2      Quad foreign ministers meet in Delhi (Thu 19) nhk, yonhap, diplomat, kyodo      ja ko en
    3      OSA radars for the Philippine Navy (Fri 20);  inquirer, nhk, rappler            en ja
           the Manila Maritime Dialogue named
    4      Senate hearing on the RAA (Sun 22): the same  rappler, inquirer                 en
           entities as 1, another event, five days on

Beside them: Marcos at a coast guard station on the day of the ACSA (one outlet, another
event with an entity of 1), a single-outlet article about Kishida, articles without tracked
mentions, a figure-skating "quad" (not the grouping). Planted for "not on your watchlist yet": the
Acquisition and Cross-Servicing Agreement (ACSA, 物品役務相互提供協定) and the Manila Maritime
Dialogue, both new this week; the Philippine Coast Guard and the Department of National Defense
are named every week before (steady, not rising).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session

from extractors.article.model import Article
from extractors.tagging.tagger import Tagger
from extractors.tagging.watchlist import Watchlist, default_watchlist_path, load_watchlist
from pactwatch.digest.week import IsoWeek
from pactwatch.ingest.records import Extracted, Work
from pactwatch.ingest.store import store_batch
from storage.db import ensure_schema, make_engine
from storage.models import ArticleRow
from storage.repo import article_ids_of

TOKYO = ZoneInfo("Asia/Tokyo")
WEEK = IsoWeek(2026, 47)

# The expected developments, best first: (key, first outlet, outlets, languages).
EXPECTED = [
    ("acsa", "kyodo", {"kyodo", "nhk", "inquirer", "the-diplomat", "yahoo"}, {"en", "ja"}),
    ("quad", "nhk", {"nhk", "yonhap", "the-diplomat", "kyodo"}, {"en", "ja", "ko"}),
    ("osa", "inquirer", {"inquirer", "nhk", "rappler"}, {"en", "ja"}),
    ("senate", "rappler", {"rappler", "inquirer"}, {"en"}),
]
PLANTED = ("Acquisition and Cross-Servicing Agreement", "Manila Maritime Dialogue")
STEADY = ("Philippine Coast Guard", "Department of National Defense")


@dataclass(frozen=True)
class Item:
    """One article of the fixture; `event` is the development it belongs to ("" for none)."""

    event: str
    source: str
    lang: str
    when: datetime
    title: str
    text: str
    story: str | None = None


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TOKYO)


ACSA_EN = (
    "Japan and the Philippines signed an Acquisition and Cross-Servicing Agreement (ACSA) in "
    "Manila on Tuesday, letting their forces share fuel, food and ammunition. President "
    "Ferdinand Marcos Jr. said the pact builds on the Reciprocal Access Agreement between Japan "
    "and the Philippines. Forces will use it in drills."
)
WEEK_ITEMS = [
    Item(
        "acsa",
        "kyodo",
        "en",
        at(17, 9),
        "Japan, Philippines sign ACSA supply pact",
        ACSA_EN,
        story="acsa-kyodo",
    ),
    Item(
        "acsa",
        "yahoo",
        "en",
        at(17, 9, 40),
        "Japan, Philippines sign ACSA supply pact",
        ACSA_EN,
        story="acsa-kyodo",
    ),
    Item(
        "acsa",
        "nhk",
        "ja",
        at(17, 10, 30),
        "日比が物品役務相互提供協定に署名",
        "日本とフィリピンは17日、マニラで物品役務相互提供協定（ACSA）に署名した。"
        "マルコス大統領は、日本とフィリピンの円滑化協定を補完すると述べた。"
        "自衛隊とフィリピン軍の間で燃料や食料を融通できるようになる。",
    ),
    Item(
        "acsa",
        "inquirer",
        "en",
        at(17, 14),
        "PH, Japan seal Acquisition and Cross-Servicing Agreement",
        "Manila and Tokyo sealed the Acquisition and Cross-Servicing Agreement on "
        "Tuesday, allowing Japanese and Philippine troops to swap supplies. Marcos welcomed the "
        "deal as the next step after the Reciprocal Access Agreement between Japan and the "
        "Philippines.",
    ),
    Item(
        "acsa",
        "the-diplomat",
        "en",
        at(18, 8),
        "What the Japan-Philippines ACSA Means",
        "The Acquisition and Cross-Servicing Agreement signed by Japan and the Philippines on "
        "Tuesday lets the two militaries exchange fuel and supplies. President Marcos tied it "
        "to the Reciprocal Access Agreement between Japan and the Philippines.",
    ),
    Item(
        "quad",
        "nhk",
        "ja",
        at(19, 11),
        "日米豪印外相会合、デリーで開催",
        "日米豪印4カ国の外相がデリーで会合を開き、インド太平洋での海洋安全保障について協議した。"
        "クアッドの外相は共同声明を発表した。",
    ),
    Item(
        "quad",
        "yonhap",
        "ko",
        at(19, 15),
        "쿼드 외교장관 회의 델리서 개최",
        "미국, 일본, 호주, 인도 등 쿼드 4개국 외교장관들이 델리에서 회의를 열고 인도태평양 해양 "
        "안보를 논의했다. 쿼드 외교장관들은 공동성명을 발표했다.",
    ),
    Item(
        "quad",
        "the-diplomat",
        "en",
        at(19, 18),
        "Quad Foreign Ministers Meet in Delhi",
        "Foreign ministers of the Quad met in Delhi on Thursday and agreed on maritime security "
        "steps in the Indo-Pacific. The Quad foreign ministers issued a joint statement.",
    ),
    Item(
        "quad",
        "kyodo",
        "en",
        at(19, 21),
        "Quad foreign ministers vow maritime cooperation",
        "Quad foreign ministers meeting in Delhi on Thursday pledged maritime security "
        "cooperation across the Indo-Pacific in a joint statement.",
    ),
    Item(
        "osa",
        "inquirer",
        "en",
        at(20, 10),
        "Japan hands over coastal radars under OSA",
        "Japan handed coastal radars to the Philippine Navy on Friday under its Official "
        "Security Assistance programme. Officials said the radars would feed the new Manila "
        "Maritime Dialogue, which brings the Philippine Navy together with Japanese officials.",
    ),
    Item(
        "osa",
        "nhk",
        "ja",
        at(20, 13),
        "フィリピン海軍にレーダー引き渡し　OSA",
        "日本政府は20日、政府安全保障能力強化支援（OSA）でフィリピン海軍に沿岸レーダーを"
        "引き渡した。マニラ海洋対話の枠組みでも活用される。",
    ),
    Item(
        "osa",
        "rappler",
        "en",
        at(20, 17),
        "Philippine Navy gets Japanese radars",
        "The Philippine Navy received coastal radars from Japan on Friday, funded by Official "
        "Security Assistance. The radars will be discussed at the Manila Maritime Dialogue.",
    ),
    Item(
        "senate",
        "rappler",
        "en",
        at(22, 9),
        "Senate grills defense officials on RAA costs",
        "Philippine senators on Sunday questioned the Department of National Defense on the "
        "cost of hosting Japanese troops under the Reciprocal Access Agreement between Japan "
        "and the Philippines. Marcos did not attend the Senate hearing.",
    ),
    Item(
        "senate",
        "inquirer",
        "en",
        at(22, 12),
        "Senators question RAA hosting costs",
        "Senators questioned the Department of National Defense on Sunday about the costs of "
        "the Reciprocal Access Agreement between Japan and the Philippines, which Marcos backs. "
        "The Senate hearing will resume next week.",
    ),
    Item(
        "",
        "inquirer",
        "en",
        at(17, 16),
        "Marcos inspects coast guard station in Bataan",
        "President Marcos inspected a Philippine Coast Guard station in Bataan on Tuesday and "
        "promised new patrol boats for the Department of National Defense.",
    ),
    Item(
        "",
        "japan-forward",
        "en",
        at(18, 15),
        "Kishida publishes memoir",
        "Former prime minister Fumio Kishida published a memoir on Wednesday about his years "
        "in office.",
    ),
    Item(
        "",
        "kyodo",
        "en",
        at(16, 12),
        "Tokyo stocks close higher",
        "Tokyo stocks closed higher on Monday as exporters gained.",
    ),
    Item("", "nhk", "ja", at(21, 9), "紅葉が見頃", "京都では紅葉が見頃を迎えた。"),
    Item(
        "",
        "the-diplomat",
        "en",
        at(21, 12),
        "Skater lands quad jump",
        "A Japanese figure skater landed a quad jump in the Grand Prix final on Saturday.",
    ),
]


def earlier_items() -> list[Item]:
    """The four weeks before: the Philippine Coast Guard and the Department of National Defense
    named twice a week beside Marcos; one Quad article a week."""
    items = []
    for weeks_back in range(1, 5):
        day = at(18, 10) - timedelta(weeks=weeks_back)
        for n, source in enumerate(("inquirer", "rappler")):
            items.append(
                Item(
                    "",
                    source,
                    "en",
                    day + timedelta(days=n),
                    f"Marcos visits coast guard station {weeks_back}-{n}",
                    f"President Marcos visited the Philippine Coast Guard in port {n} with "
                    "the Department of National Defense.",
                )
            )
        items.append(
            Item(
                "",
                "the-diplomat",
                "en",
                day + timedelta(hours=5),
                f"Quad outlook {weeks_back}",
                "The Quad foreign ministers will meet soon, officials said.",
            )
        )
    return items


def tagger() -> Tagger:
    return Tagger(watchlist())


def watchlist() -> Watchlist:
    return load_watchlist(default_watchlist_path())


def store(session: Session, items: list[Item], tag: Tagger) -> dict[int, Item]:
    """Tag and store `items` in one batch; return them by article id."""
    batch, urls = [], []
    for n, item in enumerate(items):
        url = f"https://{item.source}.example/{item.when:%Y%m%d%H%M}-{n}"
        article = Article(
            url=url, title=item.title, published=item.when, text=item.text, language=item.lang
        )
        mentions = tuple(tag.tag(item.text, item.title, item.when))
        batch.append(Extracted(Work(url, item.source), article, mentions, None, url))
        urls.append(url)
    store_batch(session, batch, [], "briefing")
    ids = article_ids_of(session, urls)
    for url, item in zip(urls, items, strict=True):
        if item.story:
            session.execute(
                update(ArticleRow).where(ArticleRow.id == ids[url]).values(story=item.story)
            )
    return {ids[url]: item for url, item in zip(urls, items, strict=True)}


def seed(url: str) -> dict[int, Item]:
    """Fill the database at `url` with the week and the four weeks before it."""
    engine = make_engine(url)
    ensure_schema(engine)
    try:
        with Session(engine) as s, s.begin():
            return store(s, [*earlier_items(), *WEEK_ITEMS], tagger())
    finally:
        engine.dispose()


SUBJECTS = [
    ("President Marcos", "Ferdinand Marcos Jr."),
    ("the Quad", "Quad foreign ministers"),
    ("Official Security Assistance", "OSA radars"),
    ("Prime Minister Albanese", "Anthony Albanese"),
    ("Prime Minister Modi", "Narendra Modi"),
    ("the Reciprocal Access Agreement between Japan and Australia", "the Japan-Australia RAA"),
]
VERBS = ["visits", "meets", "signs", "debates", "reviews", "funds", "inspects", "praises"]
PLACES = ["Manila", "Delhi", "Canberra", "Tokyo", "Hanoi", "Jakarta", "Seoul", "Bangkok"]


def busy_week(n: int) -> list[Item]:
    """`n` articles over 2026-W47 from 30 outlets: every fifth a copy of the one before in
    another outlet, the rest about one of six tracked subjects, varied by verb and place."""
    items: list[Item] = []
    for i in range(n):
        when = at(16, 0) + timedelta(minutes=(i * 7 * 24 * 60) // n)
        source = f"outlet-{i % 30:02d}"
        if i % 5 == 4:
            prev = items[-1]
            items.append(replace(prev, source=source, when=when))
            continue
        subject, other = SUBJECTS[i % len(SUBJECTS)]
        verb, place = VERBS[(i // 6) % len(VERBS)], PLACES[(i // 48) % len(PLACES)]
        title = f"{other} {verb} partners in {place} ({i})"
        text = (
            f"{subject} {verb} partners in {place} on day {i % 7}, report {i}. "
            f"Officials said the talks on item {i} would continue."
        )
        items.append(Item("", source, "en", when, title, text, story=f"busy-{i}"))
    return items

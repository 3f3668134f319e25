"""Not on your watchlist yet: names the coverage of tracked entities starts using this week.

Candidates come from the text (not the title: titles are in title case) of articles with a
tracked mention: acronyms after their expansion ("Reciprocal Access Agreement (RAA)"),
capitalised names ending in Agreement, Dialogue, Initiative, Partnership, Framework and kin,
other capitalised name sequences (people, offices: titles such as "President" are dropped), and
CJK terms ending in 協定/協議/対話/협정/협의체. A candidate is covered when a watchlist name of
an entity (name, alias, acronym, native or per-language name, surname) is in it or it is in one.
It is suggested when at least MIN_ARTICLES articles name it this week and that is at least
RISE times its weekly average over the previous four weeks. Only counts and one example
sentence are kept; `pactwatch suggest` prints them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import ahocorasick
from sqlmodel import Session

from extractors.tagging.watchlist import load_watchlist
from pactwatch.digest.week import IsoWeek, last_complete_week, parse_week, week_bounds, zone
from pactwatch.settings import Settings
from storage.db import make_engine
from storage.models import utcnow
from storage.queries import tagged_texts

MIN_ARTICLES = 2
RISE = 2.0
BASELINE_WEEKS = 4
LIMIT = 12
EXAMPLE_CHARS = 240
TEXT_CHARS = 1500  # of each article scanned: new names come early; scanning runs at ~6 MB/s

_WORD = r"[A-Z][\w’'.-]*[\w]"  # a capitalised word: "Cross-Servicing", "Jr."
_KEYWORDS = {
    "agreement": ("Agreement", "Pact", "Treaty", "Accord", "Arrangement", "Declaration"),
    "grouping": ("Dialogue", "Partnership", "Framework", "Forum", "Group", "Alliance",
                 "Council", "Mechanism", "Coalition"),
    "programme": ("Initiative", "Programme", "Program", "Corridor", "Compact", "Fund"),
}  # fmt: skip
_KIND = {word: kind for kind, words in _KEYWORDS.items() for word in words}
_SMALL = r"(?:of|and|for|on|the|in|de|to)"
# Acronyms and institutions are found from their cheap end ("(RAA)", "Agreement"), then the
# capitalised run before it in a window: a forward scan of every capital costs five times more.
_ACRONYM = re.compile(r"[(（](?P<acr>[A-Z][A-Z0-9&-]{1,9})[)）]")
_BEFORE_ACRONYM = re.compile(rf"{_WORD}(?:\s+(?:{_SMALL}\s+)*{_WORD}){{1,8}}\s*\Z")
_KEYWORD = re.compile(rf"\b(?:{'|'.join(_KIND)})\b")
_BEFORE_KEYWORD = re.compile(rf"{_WORD}(?:\s+(?:{_SMALL}\s+)*{_WORD}){{0,7}}\s+\Z")
WINDOW = 200  # characters before an acronym or keyword searched for its name
_NAME = re.compile(rf"(?P<name>{_WORD}(?:\s+(?:of\s+|for\s+)?{_WORD}){{1,4}})")
_CJK = re.compile(r"(?P<name>[\u4e00-\u9fff\u30a0-\u30ff・ー]{2,20}(?:協定|協議|対話|對話|对话))")
_HANGUL = re.compile(r"(?P<name>[가-힣·]{2,15}(?:협정|협의체))")
_LEADING = re.compile(
    r"^(?:(?:The|A|An|This|That|New|Former|Then|President|Prime|Minister|Defense|Defence|"
    r"Foreign|Secretary|Senator|Mr|Ms|Mrs|Dr|General|Gen|Admiral|Chief|Vice|Deputy|Ambassador|"
    r"On|In|At|For|But|And|When|While|After|Before|Under)\.?\s+)+"
)
_SENTENCE = re.compile(r"[^.!?。！？]*[.!?。！？]?")


@dataclass(frozen=True)
class Suggestion:
    """A name the coverage starts using that the watchlist does not cover."""

    name: str  # with its acronym when one was seen: "Mutual Logistics Agreement (MLA)"
    kind: str  # agreement, grouping, programme, name
    articles: int  # this week
    baseline: float  # articles a week over the previous four weeks
    example: str  # one sentence naming it
    entities: frozenset[str]  # tracked entities in the same articles (for recipient filters)


@dataclass
class _Seen:
    kind: str
    acronym: str
    example: str
    articles: set[int] = field(default_factory=set)


def candidates(text: str) -> list[tuple[str, str, str]]:
    """(name, kind, acronym) for every candidate name in `text`, in order of appearance."""
    found: list[tuple[int, str, str, str]] = []
    taken: list[tuple[int, int]] = []
    for start, end, raw, acronym, kind_of in _matches(text):
        if any(start < e and s < end for s, e in taken):
            continue
        name = _LEADING.sub("", raw).strip(" .")
        if len(name) < 2 or (kind_of != "latin" and " " not in name and name.isascii()):
            continue
        kind = _KIND.get(name.rsplit(" ", 1)[-1], "name") if kind_of == "latin" else kind_of
        kind = _cjk_kind(name) if kind_of == "cjk" else kind
        found.append((start, name, kind, acronym))
        taken.append((start, end))
    return [(name, kind, acr) for _, name, kind, acr in sorted(found)]


def _matches(text: str) -> Iterator[tuple[int, int, str, str, str]]:
    """(start, end, name, acronym, how to tell its kind) in order of precedence: acronyms
    with their expansion, institutions, CJK and Hangul terms, other capitalised names."""
    for mark in _ACRONYM.finditer(text):
        before = _BEFORE_ACRONYM.search(text, max(0, mark.start() - WINDOW), mark.start())
        if before:
            yield before.start(), mark.end(), before.group().rstrip(), mark.group("acr"), "latin"
    for mark in _KEYWORD.finditer(text):
        before = _BEFORE_KEYWORD.search(text, max(0, mark.start() - WINDOW), mark.start())
        if before:
            yield before.start(), mark.end(), text[before.start() : mark.end()], "", "latin"
    for pattern in (_CJK, _HANGUL):
        for match in pattern.finditer(text):
            yield match.start(), match.end(), match.group(), "", "cjk"
    for match in _NAME.finditer(text):
        yield match.start(), match.end(), match.group(), "", "name"


def _cjk_kind(name: str) -> str:
    return "agreement" if name.endswith(("協定", "협정")) else "grouping"


@dataclass(frozen=True)
class Forms:
    """The watchlist's entity names, case-folded, ready to test candidates against."""

    exact: frozenset[str]
    words: re.Pattern[str]  # Latin names of 4+ characters, as whole words
    wide: tuple[str, ...]  # names in other scripts, as substrings


def known_forms(watchlist: object) -> Forms:
    """Every name of every watchlist entity (Latin ones of 3 characters or fewer only as
    whole candidates: "Lee", "RAA")."""
    found: set[str] = set()
    for entity in getattr(watchlist, "entities", ()):
        for attr in ("name", "surname", "aliases", "acronyms", "native", "nicknames",
                     "qualified", "ambiguous", "names", "surnames"):  # fmt: skip
            found.update(_strings(getattr(entity, attr, ())))
        found.add(entity.label)
    folded = {f.casefold() for f in found if f}
    latin = sorted((f for f in folded if f.isascii() and len(f) > 3), key=len, reverse=True)
    words = "|".join(re.escape(f) for f in latin) or "(?!)"
    return Forms(
        exact=frozenset(folded),
        words=re.compile(rf"(?<!\w)(?:{words})(?!\w)"),
        wide=tuple(f for f in folded if not f.isascii()),
    )


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from ([item[1]] if isinstance(item, tuple) else _strings(item))


def covered(name: str, forms: Forms) -> bool:
    """The watchlist already names this candidate (or a part of it, or it is part of one)."""
    folded = name.casefold()
    if folded in forms.exact or forms.words.search(folded):
        return True
    if any(form in folded or folded in form for form in forms.wide):
        return True
    return len(folded) > 3 and any(folded in form for form in forms.exact)


def suggest(
    session: Session,
    week: IsoWeek,
    watchlist: object,
    tz: ZoneInfo,
    mentioned: dict[int, frozenset[str]] | None = None,
    limit: int = LIMIT,
) -> tuple[Suggestion, ...]:
    """The week's rising names not covered by `watchlist`, most risen first.

    This week's articles are scanned for candidates (their first TEXT_CHARS characters); the
    four weeks before are only searched for the names found (an article counts when it holds
    the name). `mentioned` maps article ids to their tracked entities (empty when not given).
    """
    this_week = _seen_in(tagged_texts(session, *week_bounds(week, tz), chars=TEXT_CHARS))
    forms = known_forms(watchlist)
    fresh = {
        key: seen
        for key, seen in this_week.items()
        if len(seen.articles) >= MIN_ARTICLES
        and not covered(key, forms)
        and not (seen.acronym and covered(seen.acronym, forms))
    }
    earlier = _earlier_counts(session, week, tz, list(fresh))
    entities = mentioned if mentioned is not None else {}
    found = []
    for key, seen in fresh.items():
        baseline = earlier.get(key, 0) / BASELINE_WEEKS
        if len(seen.articles) < RISE * baseline:
            continue
        tracked = frozenset().union(*(entities.get(a, frozenset()) for a in seen.articles))
        found.append(
            Suggestion(
                _display(key, seen), seen.kind, len(seen.articles), baseline, seen.example, tracked
            )
        )
    found.sort(key=lambda s: (-(s.articles - s.baseline), -s.articles, s.name.casefold()))
    return tuple(found[:limit])


def _earlier_counts(
    session: Session, week: IsoWeek, tz: ZoneInfo, names: list[str]
) -> dict[str, int]:
    """Articles holding each name in the BASELINE_WEEKS weeks before `week` (Aho-Corasick)."""
    counts: dict[str, int] = defaultdict(int)
    if not names:
        return counts
    automaton = ahocorasick.Automaton()
    for name in names:
        automaton.add_word(name, name)
    automaton.make_automaton()
    for _ in range(BASELINE_WEEKS):
        week = week.previous()
        for _, _, _, text in tagged_texts(session, *week_bounds(week, tz), chars=TEXT_CHARS):
            for name in {found for _, found in automaton.iter(text)}:
                counts[name] += 1
    return counts


def _seen_in(rows: Sequence[tuple[int, datetime, str, str]]) -> dict[str, _Seen]:
    """Candidates by name: their kind, acronym, articles and a first example sentence."""
    seen: dict[str, _Seen] = {}
    for article_id, _, _, text in rows:
        for name, kind, acronym in candidates(text):
            entry = seen.get(name)
            if entry is None:
                entry = seen[name] = _Seen(kind, acronym, _example(text, name))
            entry.articles.add(article_id)
            entry.acronym = entry.acronym or acronym
    return seen


def _display(name: str, seen: _Seen) -> str:
    return f"{name} ({seen.acronym})" if seen.acronym else name


def _example(text: str, name: str) -> str:
    """The first sentence of `text` naming `name`, trimmed to EXAMPLE_CHARS."""
    for match in _SENTENCE.finditer(" ".join(text.split())):
        sentence = match.group().strip()
        if name in sentence:
            return (
                sentence if len(sentence) <= EXAMPLE_CHARS else sentence[: EXAMPLE_CHARS - 1] + "…"
            )
    return ""


def suggest_week(settings: Settings, week: str | None = None) -> tuple[str, tuple[Suggestion, ...]]:
    """(week, suggestions) for `week` ("2026-W47"; default: the last complete week in
    settings.timezone), read from settings.database_url with settings.watchlist_file.

    Raises ConfigError for a malformed week, an unknown time zone or a bad watchlist.
    """
    tz = zone(settings.timezone)
    iso = parse_week(week) if week else last_complete_week(utcnow(), tz)
    watchlist = load_watchlist(settings.watchlist_file)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            return str(iso), suggest(session, iso, watchlist, tz, limit=LIMIT * 4)
    finally:
        engine.dispose()


def format_suggestions(week: str, found: Sequence[Suggestion]) -> str:
    """Plain text for the terminal: one block per suggestion."""
    if not found:
        return f"{week}: no rising name outside the watchlist.\n"
    lines = [f"{week}: not on your watchlist yet ({len(found)})", ""]
    for x in found:
        lines.append(f"{x.name}  [{x.kind}]  {x.articles} articles, {x.baseline:.1f}/week before")
        if x.example:
            lines.append(f"    {x.example}")
    return "\n".join(lines) + "\n"

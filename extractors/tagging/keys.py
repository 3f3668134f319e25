"""Compile a Watchlist into Aho-Corasick automata (one pass over the text, two for non-ASCII).

Every phrase the tagger cares about is a key of the automaton (ASCII keys) or of the wide
one, tagged with its role:
aliases, surnames, acronyms, `not` phrases, context words and country names. One scan of the
normalised text yields all of them; the rules in `tagger_rules` then decide what counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

import ahocorasick

from extractors.tagging.text import cased_form, key_forms, normalize
from extractors.tagging.watchlist import Entity, Watchlist

# Roles of a key for one entity (or a country).
FULL = 0  # alias, built full name, nickname, native name: counts on its own
SURNAME = 1  # surname alone: counts when distinctive or licensed by a full reference
ACRONYM = 2  # case-sensitive; counts with its expansion or context
QUALIFIED = 3  # counts when the entity's parties are named in the same sentence
AMBIGUOUS = 4  # common word ("Quad"): counts only in the tracked sense
NOT = 5  # looks like a mention but is not: suppresses overlapping hits of the entity
CONTEXT = 6  # shows the tracked sense of the entity in the sentence
COUNTRY = 7  # names a country (ref is the ISO code)
TITLED = 8  # surname + title in a script without spaces (岸田首相, 윤 대통령): counts, licenses
SENSE = 9  # another sense of the entity's acronym/common word: none counts in that article

# Thai, kana, CJK, Hangul: scripts written without spaces, so their keys are not padded.
_NO_SPACES_SCRIPT = re.compile(
    r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
_SHORT_CAPS = re.compile(r"^[A-Z][A-Z.]{0,7}$")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z]")


class Entry(NamedTuple):
    """One role of one key: `ref` is an entity index, a country code, or (CONTEXT) a tuple of
    entity indexes; `cased` the exact letter-case forms accepted (None = any case)."""

    role: int
    ref: int | str | tuple[int, ...]
    cased: frozenset[str] | None


@dataclass
class Hit:
    """One automaton hit that survived the case check. `end` may grow when an acronym in
    parentheses is folded into its expansion."""

    start: int
    end: int
    role: int
    entity: int


@dataclass
class Scan:
    """Everything one pass over an article found, before the rules decide what counts."""

    text: str
    norm: str
    hits: list[Hit] = field(default_factory=list)
    countries: list[tuple[int, int, str]] = field(default_factory=list)
    nots: list[tuple[int, int, int]] = field(default_factory=list)
    context: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)  # (offset, entities)
    senses: set[int] = field(default_factory=set)  # entities shown in another sense


@dataclass(frozen=True)
class Compiled:
    """The automaton plus per-entity lookups the rules need."""

    automaton: ahocorasick.Automaton  # ASCII keys
    wide: ahocorasick.Automaton  # keys with other characters
    entities: tuple[Entity, ...]
    index: dict[str, int]
    titles: tuple[tuple[str, ...], ...]  # per entity: normalised " title " suffixes
    title_ends: tuple[re.Pattern[str] | None, ...]  # per entity: " (title|...) $" or None
    variants: dict[int, tuple[int, ...]]  # generic entity index -> variant indexes
    country_of: tuple[str, ...]  # per entity: leader country code or ""
    country_words: frozenset[str]  # normalised country names/demonyms


def compile_watchlist(watchlist: Watchlist) -> Compiled:
    """Build the automaton once per watchlist (a few ms for the default, ~1 s for 5,000)."""
    keys: dict[str, list[Entry]] = {}
    entities = watchlist.entities
    for i, entity in enumerate(entities):
        for phrase, role, cased in _phrases(entity):
            _add(keys, phrase, Entry(role, i, cased))
    for country in watchlist.countries:
        for phrase in country.names:
            _add(keys, phrase, Entry(COUNTRY, country.code, _caps(phrase)))
    for phrase, codes in watchlist.joint_names:
        for code in codes:
            _add(keys, phrase, Entry(COUNTRY, code, None))
    # Non-ASCII keys (岸田, 쿼드, Japón) slow the automaton on plain English ~3x, so they get
    # their own, run only on text whose normalised form is not ASCII.
    automaton, wide = ahocorasick.Automaton(), ahocorasick.Automaton()
    for key, entries in keys.items():
        bare = bool(_NO_SPACES_SCRIPT.search(key))
        # Acronyms are also found glued to CJK text (協定(RAA)は, 日比RAA): stored unpadded and
        # checked for Latin letters/digits beside them in the scan instead.
        checked = not bare and all(e.role == ACRONYM for e in entries)
        stored = key if bare or checked else f" {key} "
        # Offsets back to the original text: start = end - delta_start, stop = end - delta_stop.
        deltas = (len(stored), 0) if bare or checked else (len(stored) - 1, 1)
        target = automaton if key.isascii() else wide
        target.add_word(stored, (*deltas, _group_context(entries), checked))
    for built in (automaton, wide):
        if len(built) == 0:
            built.add_word("\x00\x00", (2, 0, (), False))
        built.make_automaton()
    index = {e.id: i for i, e in enumerate(entities)}
    variants: dict[int, list[int]] = {}
    for i, e in enumerate(entities):
        if e.variant_of:
            variants.setdefault(index[e.variant_of], []).append(i)
    return Compiled(
        automaton=automaton,
        wide=wide,
        entities=entities,
        index=index,
        titles=tuple(_titles(e) for e in entities),
        title_ends=tuple(_title_end(_titles(e)) for e in entities),
        variants={k: tuple(v) for k, v in variants.items()},
        country_of=tuple(e.country if e.kind in ("leader", "person") else "" for e in entities),
        country_words=frozenset(
            k for c in watchlist.countries for n in c.names for k in key_forms(n)
        ),
    )


def _phrases(entity: Entity) -> list[tuple[str, int, frozenset[str] | None]]:
    """(phrase, role, cased) for every key of one entity."""
    out: list[tuple[str, int, frozenset[str] | None]] = []
    out += [(p, FULL, _caps(p)) for p in entity.full_names]
    if entity.surname:
        out.append((entity.surname, SURNAME, None))
        out.append((entity.surname + "s", SURNAME, None))  # German genitive: Bidens, Kishidas
    for _, surname in entity.surnames:
        out.append((surname, SURNAME, None))
        out += [(p, TITLED, None) for p in titled_forms(surname, entity.titles)]
    out += [(p, SENSE, None) for p in entity.senses]
    for acronym in entity.acronyms:
        out.append((acronym, ACRONYM, frozenset({cased_form(acronym)})))
        out.append((acronym + "s", ACRONYM, frozenset({cased_form(acronym) + "s"})))
    out += [(p, QUALIFIED, _caps(p)) for p in entity.qualified]
    out += [(p, AMBIGUOUS, _caps(p)) for p in entity.ambiguous]
    out += [(p, NOT, None) for p in entity.not_phrases]
    out += [(p, CONTEXT, _caps(p)) for p in entity.context]
    return out


def titled_forms(surname: str, titles: tuple[str, ...]) -> list[str]:
    """Surname + title in scripts that write them together: 岸田首相, 岸田氏, バイデン米大統領,
    윤 대통령 / 윤대통령, and title + surname for Han titles (总统拜登). Latin titles ("President")
    stay prefixes, checked in `titles.surname_licence`."""
    out: list[str] = []
    for title in titles:
        if _LATIN.search(title) or not _NO_SPACES_SCRIPT.search(surname):
            continue
        if _HANGUL.search(title):
            if _HANGUL.search(surname):
                out += [f"{surname} {title}", surname + title]
        elif not _HANGUL.search(surname):
            # A title before a one-character surname starts other people's names too
            # (总统李 in 总统李登辉): only the surname + title order for those (李大統領, 尹总统).
            out += [surname + title, title + surname] if len(surname) > 1 else [surname + title]
    return out


def _group_context(entries: list[Entry]) -> tuple[Entry, ...]:
    """One CONTEXT entry per letter-case rule, holding every entity the key is context for
    ("Japan" is context for three entities): fewer entries to walk per hit in the scan."""
    grouped: dict[frozenset[str] | None, list[int]] = {}
    out: list[Entry] = []
    for entry in dict.fromkeys(entries):
        if entry.role == CONTEXT:
            grouped.setdefault(entry.cased, []).append(int(entry.ref))
        else:
            out.append(entry)
    out += [Entry(CONTEXT, tuple(refs), cased) for cased, refs in grouped.items()]
    return tuple(out)


def _caps(phrase: str) -> frozenset[str] | None:
    """Short all-capitals names (UK, U.S., DPRK) are matched case-sensitively, like acronyms,
    so "us" and "uk" in running text are not countries."""
    return frozenset({cased_form(phrase)}) if _SHORT_CAPS.match(phrase.strip()) else None


def _add(keys: dict[str, list[Entry]], phrase: str, entry: Entry) -> None:
    for key in key_forms(phrase):
        keys.setdefault(key, []).append(entry)


def _title_end(titles: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for "the text ends with one of these titles" (a C call instead of a loop)."""
    if not titles:
        return None
    return re.compile(" (?:" + "|".join(re.escape(t.strip()) for t in titles) + ") $")


def _titles(entity: Entity) -> tuple[str, ...]:
    latin = [t for t in entity.titles if _LATIN.search(t)]
    return tuple(sorted({" " + normalize(t).strip() + " " for t in latin}, key=len))

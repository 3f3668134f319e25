"""The counting rules (docs/counting-rules.md), applied to the hits of one automaton pass.

Order matters and mirrors the rules: raw hits -> `not` phrases -> leftmost-longest overlap
resolution -> people (surnames need a licence) -> pair naming per sentence (countries plus the
leaders' countries) -> acronyms, ambiguous words, qualified aliases -> agreement attribution.
Everything here is a pure function of (compiled watchlist, text).
"""

from __future__ import annotations

from typing import Any

from extractors.tagging.keys import (
    ACRONYM,
    AMBIGUOUS,
    CONTEXT,
    COUNTRY,
    FULL,
    NOT,
    QUALIFIED,
    SENSE,
    SURNAME,
    TITLED,
    Compiled,
    Hit,
    Scan,
)
from extractors.tagging.pairs import Places, attribute
from extractors.tagging.people import glued, people
from extractors.tagging.text import Sentences, cased_form, fold_width, normalize

Span = tuple[Any, ...]  # (start, end, ...)


def scan(compiled: Compiled, text: str) -> Scan:
    """The one pass: every key hit, split by role, case-checked where the key is cased (a
    second pass over the non-ASCII keys only when the text has non-ASCII letters). The
    rules read the text with full-width ASCII folded (same offsets)."""
    text = fold_width(text)
    norm = " " + normalize(text) + " "
    found = Scan(text=text, norm=norm)
    _collect(found, compiled.automaton.iter(norm))
    if not norm.isascii():
        _collect(found, compiled.wide.iter(norm))
        found.context.sort()
    return found


def _collect(found: Scan, matches: Any) -> None:
    text, norm = found.text, found.norm
    hits, countries, nots, context = found.hits, found.countries, found.nots, found.context
    for end, (d_start, d_stop, entries, checked) in matches:
        start, stop = end - d_start, end - d_stop
        # norm is text shifted by its one-space pad: norm[start] is the character before.
        if checked and (_latin_alnum(norm[start]) or _latin_alnum(norm[stop + 1])):
            continue
        for role, ref, cased in entries:
            if cased is not None and cased_form(text[start:stop]) not in cased:
                continue
            if role == COUNTRY:
                countries.append((start, stop, ref))
            elif role == CONTEXT:
                context.append((start, ref))
            elif role == NOT:
                nots.append((start, stop, ref))
            elif role == SENSE:
                found.senses.add(ref)
            else:
                hits.append(Hit(start, stop, role, ref))


def _latin_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def leftmost_longest(spans: list[Span]) -> list[Span]:
    """Keep non-overlapping (start, end, ...) items, preferring the earliest start, then the
    longest."""
    chosen: list[Span] = []
    last_end = -1
    for item in sorted(spans, key=lambda x: (x[0], -x[1])):
        if item[0] >= last_end:
            chosen.append(item)
            last_end = item[1]
    return chosen


def _longest_places(countries: list[Span]) -> list[Span]:
    """leftmost_longest for country namings, keeping every code of a chosen span: a joint
    name (日英, 한미일) names all its countries at once."""
    chosen = {(start, end) for start, end, _ in leftmost_longest(countries)}
    return [c for c in countries if (c[0], c[1]) in chosen]


def _longest_hits(hits: list[Hit]) -> list[Hit]:
    """leftmost_longest for Hit objects."""
    chosen: list[Hit] = []
    last_end = -1
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if hit.start >= last_end:
            chosen.append(hit)
            last_end = hit.end
    return chosen


def resolve(
    compiled: Compiled,
    found: Scan,
    sentences: Sentences,
    published: str = "",
    why: dict[tuple[int, int], str] | None = None,
) -> list[tuple[int, int, int]]:
    """Apply every rule; returns (entity index, start, end) per counted mention. `published`
    (ISO date or "") resolves office titles to the holder on that day."""
    if not found.hits:
        return []
    hits = found.hits
    if found.nots:
        hits = [h for h in hits if not _inside_not(h, found.nots)]
    text = found.text
    # Only names written in kana or Hangul can be glued to a longer word (cheap test first).
    hits = _longest_hits([
        h for h in hits
        if (text[h.start] < "\u3040" and text[h.end - 1] < "\u3040")
        or not glued(text, h.start, h.end)
    ])
    persons = fold_brackets(found.text, people(compiled, found, hits, sentences, published))
    named = [(s, code) for s, _, code in _longest_places(found.countries)]
    named += [(h.start, compiled.country_of[h.entity]) for h in persons]
    places = Places(sentences, named)
    kept = persons + _others(compiled, found, hits, sentences, places)
    if why is not None:
        for hit in kept:
            why[(hit.entity, hit.start)] = _REASONS.get(hit.role, "")
    return attribute(compiled, kept, sentences, places, found.text, why)


_REASONS = {
    FULL: "name or alias",
    TITLED: "title + surname: the office holder on the article's date",
    SURNAME: "surname: the nearest full name before it is this person, or none is and the "
    "person is distinctive, named elsewhere in the article, or the country is named",
    ACRONYM: "acronym: its expansion is in the article or its sentence shows the sense",
    AMBIGUOUS: "common word in the tracked sense (context words or members named)",
    QUALIFIED: "shared name with its parties named in the sentence",
}


def _inside_not(hit: Hit, nots: list[tuple[int, int, int]]) -> bool:
    return any(e == hit.entity and s < hit.end and hit.start < t for s, t, e in nots)


def _others(
    compiled: Compiled,
    found: Scan,
    hits: list[Hit],
    sentences: Sentences,
    places: Places,
) -> list[Hit]:
    """Rules 3-4 and qualified aliases: non-person hits that count."""
    others = [
        h for h in hits
        if not compiled.entities[h.entity].surname
        and not (h.entity in found.senses and h.role in (ACRONYM, AMBIGUOUS))
    ]
    expanded = {h.entity for h in others if h.role == FULL}
    context: dict[int, list[int]] = {}
    for offset, entity_indexes in found.context:
        for entity_index in entity_indexes:
            context.setdefault(entity_index, []).append(offset)
    kept: list[Hit] = []
    others = fold_brackets(found.text, others)
    for hit in others:
        licensed = hit.role == FULL or hit.entity in expanded
        if licensed and hit.role != ACRONYM:
            kept.append(hit)
            continue
        sentence = sentences.index(hit.start)
        in_context = licensed or bool(sentences.within(context.get(hit.entity, []), sentence))
        parties = set(compiled.entities[hit.entity].parties)
        if hit.role == ACRONYM:
            if _acronym_counts(found.text, others, hit, in_context):
                kept.append(hit)
        elif hit.role == AMBIGUOUS:
            if (
                in_context
                or _near_parties(sentences, places, sentence, parties)
                or _document_sense(found.text, hit, places, parties, context)
            ):
                kept.append(hit)
        elif hit.role == QUALIFIED and parties <= set(places.named(sentence)):
            kept.append(hit)
    return _propagate(found.text, others, kept)


def _document_sense(
    text: str, hit: Hit, places: Places, parties: set[str], context: dict[int, list[int]]
) -> bool:
    """Rule 4, article-wide: a capitalised (or caseless-script) "Quad" counts when the article
    names two of its members and uses one of its context words anywhere - the sense of a word
    is the article's, not the sentence's (its other senses were ruled out by `senses`)."""
    if text[hit.start].islower() or not context.get(hit.entity):
        return False
    return len(places.all_codes() & parties) >= 2


def _near_parties(sentences: Sentences, places: Places, sentence: int, parties: set[str]) -> bool:
    """Two or more of the entity's parties named in this sentence or the ones beside it."""
    named: set[str] = set()
    for index in (sentence - 1, sentence, sentence + 1):
        if 0 <= index < len(sentences):
            named.update(places.named(index))
    return len(named & parties) >= 2


def _propagate(text: str, candidates: list[Hit], kept: list[Hit]) -> list[Hit]:
    """Rules 3-4, article-wide: once "Quad" or an acronym ("OSA") is shown to mean the tracked
    entity somewhere in the article, its other uses there mean it too (a reviewer writes "the
    Quad" throughout; a Japanese daily writes ＯＳＡ in a sentence with no context word). A
    common word still needs its capital; an acronym still yields to another definition."""
    established = {h.entity for h in kept if h.role in (AMBIGUOUS, ACRONYM)}
    if not established:
        return kept
    have = {(h.entity, h.start) for h in kept}
    extra = [
        h
        for h in candidates
        if h.role in (AMBIGUOUS, ACRONYM)
        and h.entity in established
        and (h.entity, h.start) not in have
        and (
            not text[h.start].islower()
            if h.role == AMBIGUOUS
            else _acronym_counts(text, candidates, h, True)
        )
    ]
    return sorted(kept + extra, key=lambda h: h.start) if extra else kept


def fold_brackets(text: str, hits: list[Hit]) -> list[Hit]:
    """Rule 3 and the bracket convention: "Expansion (ACR)", "ACR (Expansion)", 쿼드(Quad),
    阿尔巴尼斯(Anthony Albanese), 상호접근 협정(RAA·일본명 원활화 협정): the names of an entity in
    brackets right after one of its names are one mention spanning all of them."""
    out: list[Hit] = []
    for hit in hits:
        prev = out[-1] if out else None
        if prev is not None and prev.entity == hit.entity:
            if hit.start < prev.end:  # inside the bracket group already folded into prev
                prev.role = FULL if FULL in (prev.role, hit.role) else prev.role
                continue
            gap = text[prev.end : hit.start].strip().lstrip(_CLOSING_QUOTES)
            if not gap:  # two names run together (美日印澳四方安全對話): one name
                prev.end = hit.end
                prev.role = FULL if FULL in (prev.role, hit.role) else prev.role
                continue
            if gap in _OPENING:
                close = _closing(text, hit.start, _OPENING[gap])
                if close > 0:
                    prev.end = close + 1
                    prev.role = FULL if FULL in (prev.role, hit.role) else prev.role
                    continue
        out.append(hit)
    return out


# An opening bracket or quote right after a name, holding another name of the same entity
# (美日印澳“四方机制”, 「円滑化協定(RAA)」, 《互惠准入协定》): the closing marks it may end with.
_OPENING = {"(": ")）", "（": ")）", "“": "”", "「": "」", "『": "』", "《": "》", "〈": "〉",
            "‘": "’", '"': '"'}
# A name in quotes, then its acronym in brackets (“政府安全保障能力强化支援”（OSA）).
_CLOSING_QUOTES = "”」』》〉’\""


def _closing(text: str, start: int, closers: str = ")）") -> int:
    """Offset of the mark closing the group `start` is in (within 80 characters), or -1."""
    for at in range(start, min(len(text), start + 80)):
        if text[at] in closers:
            return at
        if text[at] in "(（\n":
            return -1
    return -1


def _acronym_counts(text: str, hits: list[Hit], hit: Hit, licensed: bool) -> bool:
    """Rule 3: an acronym counts with its expansion/context, unless the article defines it as
    something else ("Official Secrets Act (OSA)") before it - or anywhere, if it never defines
    it as the tracked entity."""
    if not licensed:
        return False
    defs = _definitions(text, hits, hit)
    before = [own for pos, own in defs if pos <= hit.start]
    if before:
        return before[-1]
    return all(own for _, own in defs)


def _definitions(text: str, hits: list[Hit], hit: Hit) -> list[tuple[int, bool]]:
    """(offset, is-own-definition) of each "(ACR)" of the same acronym in the article."""
    acronym = cased_form(text[hit.start : hit.end])
    out: list[tuple[int, bool]] = []
    pos = text.find(f"({acronym})")
    while pos >= 0:
        own = any(h.entity == hit.entity and h.role == FULL and h.end == pos + len(acronym) + 2
                  for h in hits)
        out.append((pos, own))
        pos = text.find(f"({acronym})", pos + 1)
    return out



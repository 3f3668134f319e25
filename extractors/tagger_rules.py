"""The counting rules (docs/counting-rules.md), applied to the hits of one automaton pass.

Order matters and mirrors the rules: raw hits -> `not` phrases -> leftmost-longest overlap
resolution -> people (surnames need a licence) -> pair naming per sentence (countries plus the
leaders' countries) -> acronyms, ambiguous words, qualified aliases -> agreement attribution.
Everything here is a pure function of (compiled watchlist, text).
"""

from __future__ import annotations

from extractors.tagger_keys import (
    ACRONYM,
    AMBIGUOUS,
    CONTEXT,
    COUNTRY,
    FULL,
    NOT,
    QUALIFIED,
    SURNAME,
    Compiled,
    Hit,
    Scan,
)
from extractors.tagger_pairs import attribute
from extractors.tagger_text import Sentences, cased_form, normalize
from extractors.tagger_titles import neighbours_ok, surname_licence


def scan(compiled: Compiled, text: str) -> Scan:
    """The one pass: every key hit, split by role, case-checked where the key is cased."""
    norm = " " + normalize(text) + " "
    found = Scan(text=text, norm=norm)
    for end, (d_start, d_stop, entries) in compiled.automaton.iter(norm):
        start, stop = end - d_start, end - d_stop
        for entry in entries:
            if entry.cased is not None and cased_form(text[start:stop]) not in entry.cased:
                continue
            if entry.role == COUNTRY:
                found.countries.append((start, stop, str(entry.ref)))
            elif entry.role == NOT:
                found.nots.append((start, stop, int(entry.ref)))
            elif entry.role == CONTEXT:
                found.context.append((start, int(entry.ref)))
            else:
                found.hits.append(Hit(start, stop, entry.role, int(entry.ref)))
    return found


def leftmost_longest(spans: list, key=lambda x: (x[0], x[1])) -> list:
    """Keep non-overlapping items, preferring the earliest start, then the longest."""
    chosen: list = []
    last_end = -1
    for item in sorted(spans, key=lambda x: (key(x)[0], -key(x)[1])):
        start, end = key(item)
        if start >= last_end:
            chosen.append(item)
            last_end = end
    return chosen


def resolve(compiled: Compiled, found: Scan) -> list[tuple[int, int, int]]:
    """Apply every rule; returns (entity index, start, end) per counted mention."""
    hits = [h for h in found.hits if not _inside_not(h, found.nots)]
    hits = leftmost_longest(hits, key=lambda h: (h.start, h.end))
    sentences = Sentences(found.text)
    people = _people(compiled, found, hits)
    codes = _sentence_codes(compiled, found, sentences, people)
    kept = people + _others(compiled, found, hits, sentences, codes)
    return attribute(compiled, kept, sentences, codes, found.text)


def _inside_not(hit: Hit, nots: list[tuple[int, int, int]]) -> bool:
    return any(e == hit.entity and s < hit.end and hit.start < t for s, t, e in nots)


def _people(compiled: Compiled, found: Scan, hits: list[Hit]) -> list[Hit]:
    """Rule 2: full references always count; a surname alone needs distinctive or a licence."""
    full = {h.entity for h in hits if h.role == FULL and compiled.entities[h.entity].surname}
    surnames = [h for h in hits if h.role == SURNAME and neighbours_ok(compiled, found, h)]
    licensed = full | {h.entity for h in surnames if surname_licence(compiled, found, h)}
    kept = [h for h in hits if h.role == FULL and compiled.entities[h.entity].surname]
    for hit in surnames:
        if compiled.entities[hit.entity].distinctive or hit.entity in licensed:
            kept.append(hit)
    return kept


def _sentence_codes(
    compiled: Compiled, found: Scan, sentences: Sentences, people: list[Hit]
) -> dict[int, dict[str, list[int]]]:
    """Per sentence: country code -> offsets where the country (or its leader) is named."""
    codes: dict[int, dict[str, list[int]]] = {}
    named = [(s, code) for s, _, code in leftmost_longest(found.countries)]
    named += [(h.start, compiled.country_of[h.entity]) for h in people]
    for start, code in named:
        if code:
            codes.setdefault(sentences.index(start), {}).setdefault(code, []).append(start)
    return codes


def _others(
    compiled: Compiled,
    found: Scan,
    hits: list[Hit],
    sentences: Sentences,
    codes: dict[int, dict[str, list[int]]],
) -> list[Hit]:
    """Rules 3-4 and qualified aliases: non-person hits that count."""
    others = [h for h in hits if not compiled.entities[h.entity].surname]
    expanded = {h.entity for h in others if h.role == FULL}
    context = {(sentences.index(s), e) for s, e in found.context}
    kept: list[Hit] = []
    for hit in _fold_acronyms(found.text, others):
        entity = compiled.entities[hit.entity]
        sentence = sentences.index(hit.start)
        in_context = (sentence, hit.entity) in context
        if hit.role == FULL:
            kept.append(hit)
        elif hit.role == ACRONYM:
            if _acronym_counts(found.text, others, hit, hit.entity in expanded or in_context):
                kept.append(hit)
        elif hit.role == AMBIGUOUS:
            members = set(codes.get(sentence, {})) & set(entity.parties)
            if hit.entity in expanded or in_context or len(members) >= 2:
                kept.append(hit)
        elif hit.role == QUALIFIED:
            named = set(codes.get(sentence, {}))
            if hit.entity in expanded or set(entity.parties) <= named:
                kept.append(hit)
    return kept


def _fold_acronyms(text: str, hits: list[Hit]) -> list[Hit]:
    """Rule 3: "Expansion (ACR)" and "ACR (Expansion)" are one mention spanning both."""
    out: list[Hit] = []
    for hit in hits:
        prev = out[-1] if out else None
        if prev is not None and prev.entity == hit.entity and {prev.role, hit.role} == {
            FULL,
            ACRONYM,
        }:
            gap = text[prev.end : hit.start]
            if gap.strip() == "(" and text[hit.end : hit.end + 1] == ")":
                prev.end = hit.end + 1
                prev.role = FULL
                continue
        out.append(hit)
    return out


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



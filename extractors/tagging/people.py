"""Rule 2, per document: which surname references are the tracked person.

A surname (or "Mr. Biden", 尹氏) refers to the nearest full name before it that bears the
surname: "Nirav Modi ... Modi" is the jeweller, "Hunter Biden ... Mr. Biden" the son. Full
names of other people are found three ways: the watchlist's `not` phrases, a capitalised
given name beside the surname that is not a title ("Imelda Marcos"), and a father/son suffix
the tracked person does not bear ("Marcos, Sr.", "Marcos Sr", "the elder Marcos", "Trump Jr.")
or life dates after the name ("Ferdinand Marcos (1917-1989)"). With no full name before it, a
surname counts when the entity is distinctive, when the article names the person by a full name
or an office title anywhere, or when it names the person's country.

An office title ("President Biden", 岸田首相, 윤 대통령) is the office holder whatever came
before - checked against the article's date when the watchlist gives terms of office. Out of
office on that date but after the person's first term began ("the Biden administration" in a
2026 retrospective), it is decided like the surname alone; before any term, or for a surname
never enough alone (`titled_only`: "Lee"), it does not count: the title names someone else.

In scripts written without spaces a surname must stand as a word: not inside a longer
kanji or katakana word (岸田國士戯曲賞), not glued to Hangul other than a particle
(기시다는 and 기시다의 count, a longer word does not), and never a one-character surname
alone (尹, 윤: only with a title).
"""

from __future__ import annotations

import re
from bisect import bisect_right

from extractors.tagging.keys import AMBIGUOUS, FULL, SURNAME, TITLED, Compiled, Hit, Scan
from extractors.tagging.text import Sentences, normalize
from extractors.tagging.titles import neighbours_ok, surname_licence
from extractors.tagging.watchlist import Entity

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_KATAKANA = re.compile(r"[\u30a0-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_HANGUL_RUN = re.compile(r"[\uac00-\ud7af]+")
_PARTICLES = frozenset(
    "은 는 이 가 의 을 를 과 와 도 에 에게 에서 로 으로 만 께서 측 과의 와의 이나 나 랑 이랑 "
    "에게서 까지 부터 처럼 보다 이며 며 이다 였다 이었다 다 씨 에겐 에는 으로부터 로부터".split()
)
_SUFFIX = re.compile(r",?\s*(Sr|Jr|Senior|Junior|II|III)\b\.?")
_ELDER = re.compile(r"(?:\b[Ee]lder|\b[Dd]ictator|\b[Tt]he late)\s+(?:[A-Z][\w.]*\s+){0,2}$")
# "The late ..." in the region's scripts: 故マルコス, 已故总统, 고(故) 김대중 / 고 마르코스.
_LATE = re.compile(r"(?:(?<![\u3400-\u9fff])故|已故|(?<![\uac00-\ud7af])고\s*(?:\(故\))?)\s*$")
_LIFESPAN = re.compile(r"\s*\(\s*(?:b\.\s*)?\d{4}\s*[-–—]\s*\d{4}\s*\)")
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "mx"})
_HONORIFIC_SUFFIX = ("氏", "씨", "さん")
_FORMER = re.compile(r"\b(?:former|ex|then)\b", re.IGNORECASE)


def people(
    compiled: Compiled, found: Scan, hits: list[Hit], sentences: Sentences, published: str
) -> list[Hit]:
    """The person hits that count (full names, titled forms, surnames that refer to them)."""
    text = found.text
    kana = bool(_KANA.search(text))
    own: dict[int, list[int]] = {}
    others: dict[int, list[int]] = {}
    for start, _, entity in found.nots:
        others.setdefault(entity, []).append(start)
    kept: list[Hit] = []
    surnames: list[Hit] = []
    for hit in hits:
        entity = compiled.entities[hit.entity]
        if not entity.surname or hit.role not in (FULL, SURNAME, TITLED, AMBIGUOUS):
            continue
        if hit.role == AMBIGUOUS:
            # A name that is also a common word (川普, Sichuan Mandarin): a full name unless
            # the article shows the other sense anywhere.
            if hit.entity in found.senses:
                continue
            hit.role = FULL
        if _other_person(compiled, text, hit):
            others.setdefault(hit.entity, []).append(hit.start)
        elif hit.role == FULL:
            own.setdefault(hit.entity, []).append(hit.start)
            kept.append(hit)
        elif hit.role == TITLED:
            if _honorific_suffix(text, hit):
                surnames.append(hit)
            elif _in_office(compiled, text, hit, published):
                kept.append(hit)
            elif _looks_back(entity, published):
                surnames.append(hit)  # out of office: decided like the surname alone
        elif _stands_alone(text, hit, kana):
            if not neighbours_ok(compiled, found, hit, sentences):
                others.setdefault(hit.entity, []).append(hit.start)
            elif not _office_title(compiled, found, hit):
                if not entity.titled_only:
                    surnames.append(hit)
            elif _in_office(compiled, text, hit, published):
                hit.role = TITLED  # reported as "title + surname"
                kept.append(hit)
            elif _looks_back(entity, published):
                surnames.append(hit)
    for offsets in others.values():
        offsets.sort()
    named = {h.entity for h in kept}
    unresolved = []
    for hit in surnames:
        refers = _refers(compiled, found, hit, own, others, named)
        if refers:
            kept.append(hit)
        elif refers is None:
            unresolved.append(hit)
    if unresolved:
        counted = sorted((h.start, h.end, h.entity) for h in kept)
        kept += [h for h in unresolved if _listed(text, h, counted)]
    return sorted(kept, key=lambda h: h.start)


def _refers(
    compiled: Compiled,
    found: Scan,
    hit: Hit,
    own: dict[int, list[int]],
    others: dict[int, list[int]],
    named: set[int],
) -> bool | None:
    """A surname (or honorific + surname): its nearest preceding full name decides; else
    distinctive, named elsewhere in full or by office title, or the country is named. None
    when nothing decided (`_listed` may still count it)."""
    mine = _last_before(own.get(hit.entity, []), hit.start)
    theirs = _last_before(others.get(hit.entity, []), hit.start)
    if mine is not None or theirs is not None:
        return (mine if mine is not None else -1) > (theirs if theirs is not None else -1)
    entity = compiled.entities[hit.entity]
    if entity.distinctive or hit.entity in named:
        return True
    country = compiled.country_of[hit.entity]
    if country and any(code == country for _, _, code in found.countries):
        return True
    return None


# What separates the names of a list: a comma or a conjunction, in the region's languages.
_LIST_GAP = re.compile(
    r"\s*(?:[,、，・/&]|and|und|et|e|y|dan|và|및|와|과|與|与|和|や|と)\s*", re.IGNORECASE
)


def _listed(text: str, hit: Hit, counted: list[tuple[int, int, int]]) -> bool:
    """The surname stands in a list right beside a counted mention of another tracked person:
    a line-up of leaders names who each of them is."""
    for start, end, entity in counted:
        if entity == hit.entity:
            continue
        if end <= hit.start and _LIST_GAP.fullmatch(text, end, hit.start):
            return True
        if start >= hit.end and _LIST_GAP.fullmatch(text, hit.end, start):
            return True
    return False


def _last_before(offsets: list[int], offset: int) -> int | None:
    """The last of `offsets` (sorted) before `offset`, or None."""
    at = bisect_right(offsets, offset - 1)
    return offsets[at - 1] if at else None


def _other_person(compiled: Compiled, text: str, hit: Hit) -> bool:
    """A father/son suffix the tracked person does not bear, "the elder Marcos" or "the late
    Marcos" (故, 고), or life dates after the name: another person with the same surname."""
    entity = compiled.entities[hit.entity]
    suffix = _SUFFIX.match(text, hit.end)
    if suffix:
        mine = {n.rstrip(".").split()[-1].lower() for n in entity.full_names if " " in n}
        if suffix.group(1).lower()[:2] not in {m[:2] for m in mine}:
            return True
    before = text[max(0, hit.start - 40) : hit.start]
    if _ELDER.search(before) or _LATE.search(before[-8:]):
        return True
    return bool(_LIFESPAN.match(text, hit.end))


def glued(text: str, start: int, end: int) -> bool:
    """A name inside a longer word: katakana or Hangul right before it, katakana right after
    it, or Hangul after it that is not a particle (쿼드러플 is not 쿼드; 기시다는 is 기시다)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if _KATAKANA.match(text[start]) and _KATAKANA.match(before):
        return True
    if _KATAKANA.match(text[end - 1]) and _KATAKANA.match(after):
        return True
    if _HANGUL.match(text[start]) and _HANGUL.match(before):
        return True
    if _HANGUL.match(text[end - 1]) and _HANGUL.match(after):
        run = _HANGUL_RUN.match(text, end)
        return run is not None and run.group() not in _PARTICLES
    return False


def _stands_alone(text: str, hit: Hit, kana: bool) -> bool:
    """Word boundaries for surnames in scripts without spaces (see the module docstring)."""
    word = text[hit.start : hit.end]
    if not (_HAN.search(word) or _KANA.search(word) or _HANGUL.search(word)):
        return True
    if len(word) < 2:
        return False
    after = text[hit.end] if hit.end < len(text) else " "
    # Japanese writes particles (は, の) after a name; a kanji right after it makes a longer
    # word. Chinese text has no kana and no particles: there the name stands as it is.
    return not (kana and _HAN.match(word[-1]) and (_HAN.match(after) or _KATAKANA.match(after)))


def _office_title(compiled: Compiled, found: Scan, hit: Hit) -> bool:
    """"President Yoon", "the Albanese government" (not "Mr. Biden": an honorific)."""
    return surname_licence(compiled, found, hit) and not _honorific_before(found.norm, hit)


def _honorific_suffix(text: str, hit: Hit) -> bool:
    return text[hit.start : hit.end].rstrip().endswith(_HONORIFIC_SUFFIX)


def _honorific_before(norm: str, hit: Hit) -> bool:
    words = norm[max(0, hit.start - 12) : hit.start].split()
    return bool(words) and words[-1] in _HONORIFICS


def _looks_back(entity: Entity, published: str) -> bool:
    """An office title + surname out of office that may still be this person: a look back
    after the first term began, for a surname that can stand alone (never "Lee")."""
    return not entity.titled_only and entity.held_office_by(published)


def _in_office(compiled: Compiled, text: str, hit: Hit, published: str) -> bool:
    """An office title + surname on the article's date: the holder then (or "former ...")."""
    entity = compiled.entities[hit.entity]
    if entity.in_office(published):
        return True
    return bool(_FORMER.search(normalize(text[max(0, hit.start - 30) : hit.start])))

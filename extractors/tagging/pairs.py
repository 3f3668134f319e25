"""Rule 5: attribute generic agreement mentions ("a Reciprocal Access Agreement") to a pair.

A pair is "named" in a sentence when each party appears there as a country name, demonym or
capital from the watchlist's country table - or through its leader ("Kishida and Marcos
discussed an RAA" names Japan and the Philippines). Mentions whose sentence names no tracked
pair go to the article's only pair when there is exactly one, else stay generic.
"""

from __future__ import annotations

from bisect import bisect_left

from extractors.tagging.keys import Compiled, Hit
from extractors.tagging.text import Sentences, lead_end


class Places:
    """Where countries are named: (offset, ISO code) from country names and leaders' mentions,
    grouped per sentence only for the sentences that ask (most never do)."""

    def __init__(self, sentences: Sentences, named: list[tuple[int, str]]) -> None:
        self._sentences = sentences
        self._named = sorted((offset, code) for offset, code in named if code)
        self._offsets = [offset for offset, _ in self._named]
        self._cache: dict[int, dict[str, list[int]]] = {}

    def named(self, sentence: int) -> dict[str, list[int]]:
        """Country code -> offsets of its namings in sentence `sentence`."""
        found = self._cache.get(sentence)
        if found is None:
            start, end = self._sentences.span(sentence)
            found = {}
            lo = bisect_left(self._offsets, start)
            hi = bisect_left(self._offsets, end)
            for offset, code in self._named[lo:hi]:
                found.setdefault(code, []).append(offset)
            self._cache[sentence] = found
        return found

    def all_codes(self) -> set[str]:
        return {code for _, code in self._named}

    def weights(self, lead_end: int) -> dict[str, int]:
        """Country code -> how strongly the article names it: each naming counts 1, or 2 in
        the lead (the countries of a leader or ministry named count like the country)."""
        out: dict[str, int] = {}
        for offset, code in self._named:
            out[code] = out.get(code, 0) + (2 if offset < lead_end else 1)
        return out


def attribute(
    compiled: Compiled,
    kept: list[Hit],
    sentences: Sentences,
    places: Places,
    text: str,
    why: dict[tuple[int, int], str] | None = None,
) -> list[tuple[int, int, int]]:
    """(entity index, start, end) for every counted hit, generic agreements resolved. `why`,
    when given, receives (entity, start) -> the evidence a pair was chosen from."""
    out: list[tuple[int, int, int]] = []
    pending: list[Hit] = []
    article_pairs: set[int] = set()
    variant_of = {v: g for g, vs in compiled.variants.items() for v in vs}
    rivals: dict[tuple[int, int], list[int]] = {}
    comparisons: dict[int, list[int]] = {}
    for hit in kept:
        if hit.entity in compiled.variants:
            rivals.setdefault((sentences.index(hit.start), hit.entity), []).append(hit.start)
    for hit in kept:
        if hit.entity in variant_of:
            article_pairs.add(hit.entity)
        variants = compiled.variants.get(hit.entity)
        if not variants:
            out.append((hit.entity, hit.start, hit.end))
            continue
        sentence = sentences.index(hit.start)
        named = _claimed(places.named(sentence), hit, rivals.get((sentence, hit.entity), []))
        plural = _plural(text, hit)
        chosen = _in_sentence(compiled, variants, named)
        if len(chosen) > 1 and not plural:
            # A list or comparison of pairs: the article's own pair if it has one, else the
            # nearest pair in the sentence.
            comparisons[hit.start] = _nearest(compiled, hit, chosen, named)
            pending.append(hit)
        elif chosen:
            article_pairs.update(chosen)
            out += [(v, hit.start, hit.end) for v in chosen]
            if why is not None:
                for v in chosen:
                    why[(v, hit.start)] = "pair named in the sentence: " + _codes(compiled, v)
        else:
            pending.append(hit)
    for hit in pending:
        target = _article_pair(compiled, hit.entity, article_pairs, places, lead_end(text))
        if hit.start in comparisons and target not in article_pairs:
            target = comparisons[hit.start]
        out.append((target, hit.start, hit.end))
        if why is not None:
            why[(target, hit.start)] = _article_evidence(
                compiled, hit, target, target in article_pairs, places, text
            )
    out.sort(key=lambda m: (m[1], m[0]))
    return out


def _article_evidence(
    compiled: Compiled, hit: Hit, target: int, named_elsewhere: bool, places: Places, text: str
) -> str:
    """Why a mention with no pair in its sentence went to `target` (for `pactwatch tag`)."""
    if named_elsewhere:
        return "no pair in the sentence; the article's other mentions name " + _codes(
            compiled, target
        )
    weights = places.weights(lead_end(text))
    return (
        "no pair in the sentence; the article names the countries "
        + ", ".join(f"{c} {w}" for c, w in sorted(weights.items(), key=lambda x: -x[1]))
        + (" (lead counts double) -> " + _codes(compiled, target)
           if target != hit.entity else " -> no single pair: generic")
    )


def _nearest(
    compiled: Compiled, hit: Hit, candidates: list[int], named: dict[str, list[int]]
) -> int:
    """Among pairs all named in the mention's sentence, the nearest (smallest summed distance
    to a naming of each party); the first on a tie."""
    return min(candidates, key=lambda v: _distance(compiled.entities[v].parties, named, hit.start))


def _in_sentence(
    compiled: Compiled, variants: tuple[int, ...], named: dict[str, list[int]]
) -> list[int]:
    """Variants whose parties are all named in the sentence."""
    return [v for v in variants if set(compiled.entities[v].parties) <= set(named)]


def _claimed(
    named: dict[str, list[int]], hit: Hit, rivals: list[int]
) -> dict[str, list[int]]:
    """With two generic mentions in one sentence ("an RAA with Australia, ... a Reciprocal
    Access Agreement with the Philippines"), each country naming belongs to the mention nearest
    to it. A naming that belongs to the other mention still names the country (Japan, the shared
    party) but is pushed far away, so the nearest-pair choice prefers the mention's own."""
    if len(rivals) < 2:
        return named
    out: dict[str, list[int]] = {}
    for code, offsets in named.items():
        out[code] = [
            o if min(rivals, key=lambda r: abs(r - o)) == hit.start else o + _FAR
            for o in offsets
        ]
    return out


_FAR = 1_000_000


def _distance(parties: tuple[str, ...], named: dict[str, list[int]], offset: int) -> int:
    return sum(min(abs(pos - offset) for pos in named[code]) for code in parties)


def _plural(text: str, hit: Hit) -> bool:
    """Plural mention ("RAAs", "Reciprocal Access Agreements (RAAs)"): ends in s before any
    folded "(ACR)"."""
    words = text[hit.start : hit.end].split("(")[0].rstrip()
    return words.endswith(("s", "S")) and not words.endswith(("ss", "SS"))


def _article_pair(
    compiled: Compiled, generic: int, article_pairs: set[int], places: Places, lead_end: int
) -> int:
    """The pair the article as a whole is about, for a mention whose sentence names none:
    among the pairs other mentions were attributed to (else all tracked pairs), the one whose
    least-named party the article names most (weighted by the lead); a tie stays generic. So
    a side remark ("the only predecessor is Australia") does not outweigh the article."""
    variants = compiled.variants[generic]
    mine = [v for v in variants if v in article_pairs]
    if len(mine) == 1:
        return mine[0]
    weights = places.weights(lead_end)
    # A party every pair shares (Japan, for the RAAs) goes without saying: "일·필리핀 협정"
    # or a Manila statement on "the RAA" names only the other side.
    shared = set.intersection(*(set(compiled.entities[v].parties) for v in variants))
    scored = {
        v: min(
            (weights.get(code, 0) for code in compiled.entities[v].parties if code not in shared),
            default=0,
        )
        for v in (mine or variants)
    }
    best = max(scored.values())
    winners = [v for v, score in scored.items() if score == best]
    return winners[0] if best > 0 and len(winners) == 1 else generic


def _codes(compiled: Compiled, index: int) -> str:
    return "–".join(compiled.entities[index].parties)

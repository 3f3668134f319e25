"""Tag an article's text with mentions of watchlist entities.

One Aho-Corasick pass over a normalised copy of the text finds every candidate (see
`tagger_keys`); the counting rules (`tagger_rules`, docs/counting-rules.md) decide which count
and attribute agreement mentions to the pair they bind. Offsets are into the original text.

`Tagger` compiles the automaton once; it pickles by rebuilding from its watchlist, so it can be
shipped to a process pool. `tag` never raises on any `str`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from extractors.tagging.keys import compile_watchlist
from extractors.tagging.rules import resolve, scan
from extractors.tagging.text import LEAD_CHARS, Sentences, lead_end
from extractors.tagging.watchlist import Watchlist

__all__ = ["LEAD_CHARS", "Mention", "Tagger"]

@dataclass(frozen=True)
class Mention:
    """One counted mention: `text[start:end] == text` in the tagged article."""

    entity: str
    start: int
    end: int
    text: str
    sentence: str
    salient: bool


def _mention(entity: str, start: int, end: int, text: str, sentence: str, salient: bool) -> Mention:
    """Build a Mention without the frozen-dataclass __init__ (one object.__setattr__ per field
    costs ~1.5 µs per mention, a tenth of the per-article budget on a long article). The
    result is an ordinary, equal-comparing, picklable Mention."""
    mention = object.__new__(Mention)
    mention.__dict__.update(
        entity=entity, start=start, end=end, text=text, sentence=sentence, salient=salient
    )
    return mention


class Tagger:
    """A compiled watchlist. Build once per watchlist version and reuse for every article."""

    def __init__(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist
        self._compiled = compile_watchlist(watchlist)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the watchlist only; the automaton is rebuilt on the other side."""
        return (Tagger, (self.watchlist,))

    def tag(
        self, text: str, title: str = "", published: date | datetime | str | None = None
    ) -> list[Mention]:
        """Mentions in `text`, sorted by start. Salient = in the lead or named in `title`.

        `published` (the article's date) resolves office titles: "President Lee" counts for
        Lee Jae-myung only while he holds the office (or as "former President Lee").
        """
        if not text:
            return []
        sentences = Sentences(text)
        found = resolve(self._compiled, scan(self._compiled, text), sentences, _day(published))
        if not found:
            return []
        entities = self._compiled.entities
        in_title = self.entity_ids(title) if title else frozenset()
        end_of_lead = lead_end(text)
        return [
            _mention(
                entities[index].id,
                start,
                end,
                text[start:end],
                sentences.text(sentences.index(start)),
                start < end_of_lead or entities[index].id in in_title,
            )
            for index, start, end in found
        ]

    def explain(
        self, text: str, title: str = "", published: date | datetime | str | None = None
    ) -> list[tuple[Mention, str]]:
        """The mentions of `tag` with why each counted (the rule, the name it resolved to,
        the evidence for an agreement's pair): what `pactwatch tag` prints."""
        why: dict[tuple[int, int], str] = {}
        resolve(self._compiled, scan(self._compiled, text), Sentences(text), _day(published), why)
        entities = self._compiled.entities
        index = {e.id: i for i, e in enumerate(entities)}
        out = []
        for mention in self.tag(text, title, published):
            i = index[mention.entity]
            reason = why.get((i, mention.start), "")
            out.append((mention, f"{reason} -> {entities[i].label}" if reason else ""))
        return out

    def entity_ids(self, text: str) -> frozenset[str]:
        """Ids of the entities mentioned in `text` (used for the title)."""
        if not text:
            return frozenset()
        found = resolve(self._compiled, scan(self._compiled, text), Sentences(text))
        return frozenset(self._compiled.entities[index].id for index, _, _ in found)


def _day(published: date | datetime | str | None) -> str:
    """ISO date (YYYY-MM-DD) of `published`, or "" when unknown."""
    if published is None or published == "":
        return ""
    if isinstance(published, datetime):
        return published.date().isoformat()
    if isinstance(published, date):
        return published.isoformat()
    return published[:10]

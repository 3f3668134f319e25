"""Rule 2 helpers: is a surname hit this person, and does it license the bare surname?

A bare surname is the riskiest key: "Marcos" may be Imelda, "Yoon" a footballer, "Albanese" a
chef. Two cheap looks at the neighbouring words catch most of that: a capitalised word right
before it that is not a title, function word or country ("Imelda Marcos", "Hunter Biden") or
right after it ("Yoon Bit-garam") means another person's name. The last word of the sentence
before is not next to the name ("... met Joe Biden. Kishida spoke first"). Headlines, where
every word is capitalised, skip both looks.
"""

from __future__ import annotations

from extractors.tagging.keys import Compiled, Hit, Scan
from extractors.tagging.text import (
    Sentences,
    is_title_case_line,
    normalize,
    word_after,
    word_before,
)

_MONTHS_DAYS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday "
    "saturday sunday"
)
# Capitalised words that may stand right before a person's surname without being a given name.
_BEFORE_OK = frozenset(
    (
        "mr mrs ms miss dr sir madam president prime minister premier pm chancellor secretary "
        "senator sen leader chairman chair king emperor ex former then acting vice general "
        "the a an and but or as at by for from in into of on to under with without when while "
        "after before since until if though although because meanwhile so yet also says said "
        "asked told according both between how why what where who whether like unlike against "
        "about over via per during among amid despite hosts host meets met thanks unlike "
        "incumbent outgoing new "
        # function words of the other languages the region's press writes in
        "nach mit von vom der die das den dem des und für laut sagte sagt auch "
        "el la los las del de y con según dijo le les et avec selon il lo gli della di e "
        "o do da dos das com segundo ni si kay nina ng sa "
        + _MONTHS_DAYS
    ).split()
)
# Capitalised words that may follow a surname without being another given name.
_AFTER_OK = frozenset(
    ("government administration cabinet govt ministry era doctrine camp team jr sr " + _MONTHS_DAYS)
    .split()
)
_GOVERNMENT = frozenset({"government", "administration", "cabinet", "govt"})


def neighbours_ok(compiled: Compiled, found: Scan, hit: Hit, sentences: Sentences) -> bool:
    """False when a neighbouring capitalised word shows the surname belongs to someone else."""
    text = found.text
    before = "" if sentences.starts_at(hit.start) else word_before(text, hit.start)
    after = word_after(text, hit.end)
    suspicious_before = (
        bool(before) and before[0].isupper() and not _before_ok(compiled, before, hit.entity)
    )
    # A genitive ("Bidens Rede") is followed by a noun, capitalised in German.
    genitive = text[hit.end - 1] == "s" and not compiled.entities[hit.entity].surname.endswith("s")
    suspicious_after = (
        bool(after) and after[0].isupper() and after.lower() not in _AFTER_OK and not genitive
    )
    if not (suspicious_before or suspicious_after):
        return True
    return is_title_case_line(text, hit.start)


def surname_licence(compiled: Compiled, found: Scan, hit: Hit) -> bool:
    """True for title + surname ("President Yoon") and "the Albanese government": references
    as explicit as a full name, which license the bare surname elsewhere in the article."""
    if word_after(found.text, hit.end).lower() in _GOVERNMENT:
        return True
    ending = compiled.title_ends[hit.entity]
    return ending is not None and bool(
        ending.search(found.norm, max(0, hit.start - 40), hit.start + 1)
    )


def _before_ok(compiled: Compiled, word: str, entity: int) -> bool:
    low = normalize(word).strip()
    if low in _BEFORE_OK or low in compiled.country_words:
        return True
    if any(title.endswith(f" {low} ") for title in compiled.titles[entity]):
        return True
    return word.endswith(("'s", "’s")) or word.isupper()

"""Text helpers for the tagger: length-preserving normalisation, sentences, neighbouring words.

Matching runs on a normalised copy of the article whose character i is the normalised form of
character i of the original, so an automaton hit's offsets are the original's offsets with no
mapping table. Normalising = lower-casing letters and turning every non-letter/digit (spaces,
hyphens, en/em dashes, typographic quotes, apostrophes, brackets, full stops ...) into a space.
That single rule makes "Suk-yeol" = "Suk yeol", "UK–Japan" = "UK Japan" and "Kishida’s" a
word "kishida" followed by a boundary. Keys are normalised the same way and padded with one
space on each side, so every hit starts and ends on a word boundary without a second check.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from functools import lru_cache

# Fast path: encode with "?" for every non-ASCII character (so one character stays one
# byte), then one bytes.translate over the whole text (~2 µs per KB). "?" and all other
# ASCII non-alphanumerics become spaces, which is right for non-ASCII quotes and dashes.
_ASCII_TABLE = bytes(
    (ord(chr(i).lower()) if chr(i).isalnum() else 32) if i < 128 else 32 for i in range(256)
)


@lru_cache(maxsize=8192)
def _norm_char(char: str) -> str:
    """One non-ASCII character, normalised; letters, digits and combining marks survive."""
    if char.isalnum():
        low = char.lower()
        return low if len(low) == 1 else char
    if unicodedata.category(char).startswith("M"):
        return char
    return " "


class _CharTable(dict[int, int]):
    """str.translate table for lower-cased text: letters, digits and combining marks map to
    themselves, everything else to a space; filled on first sight of each character."""

    def __missing__(self, code: int) -> int:
        char = chr(code)
        keep = char.isalnum() or unicodedata.category(char).startswith("M")
        self[code] = value = code if keep and char != "_" else 32
        return value


_CHAR_TABLE = _CharTable()


# Full-width ASCII forms (ＲＡＡ, ＯＳＡ, ２０２４, （）) as Japanese and Chinese papers print
# Latin letters and digits: folded to ASCII one for one (NFKC's mapping for this block, which
# keeps the length), so an acronym is the same key whatever width it is printed in.
_FULLWIDTH = re.compile("[\uff01-\uff5e]")
_FOLD_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def fold_width(text: str) -> str:
    """`text` with full-width ASCII forms replaced by ASCII; always exactly as long."""
    if text.isascii() or not _FULLWIDTH.search(text):
        return text
    return text.translate(_FOLD_WIDTH)


def normalize(text: str) -> str:
    """Return the normalised copy of `text`; always exactly as long as `text`.

    English news is ASCII plus a few typographic quotes and dashes, which the single
    bytes.translate handles. Non-ASCII characters are found through the "?" the encoder put
    in their place (bytes.find is far faster than a regex over a non-ASCII str), and only
    letters, digits and marks among them (é, 岸, 윤) are patched back in.
    """
    raw = text.encode("ascii", "replace")
    if text.isascii():
        return raw.translate(_ASCII_TABLE).decode("ascii")
    if raw.count(b"?") * 8 > len(raw):
        # Mostly non-ASCII (CJK, Hangul): one C-level lower() and translate() through a
        # per-character cache beat a Python step per character.
        low = text.lower()
        if len(low) == len(text):
            return low.translate(_CHAR_TABLE)
    fast = raw.translate(_ASCII_TABLE).decode("ascii")
    parts: list[str] = []
    pos = 0
    at = raw.find(b"?")
    while at >= 0:
        char = text[at]
        if char != "?":
            low = _norm_char(char)
            if low != " ":
                parts.append(fast[pos:at])
                parts.append(low)
                pos = at + 1
        at = raw.find(b"?", at + 1)
    if not parts:
        return fast
    parts.append(fast[pos:])
    return "".join(parts)


def key_forms(phrase: str) -> set[str]:
    """Normalised automaton keys for a watchlist phrase (without the boundary padding).

    Both the exact normalised form ("joseph r  biden", as "Joseph R. Biden" normalises) and
    the form with space runs collapsed ("joseph r biden", for "Joseph R Biden") are keys.
    """
    exact = normalize(fold_width(phrase)).strip()
    if not exact:
        return set()
    return {exact, re.sub(r" {2,}", " ", exact)}


def cased_form(text: str) -> str:
    """Punctuation to spaces but case kept: compares acronyms ("U.S." vs "u.s.") exactly."""
    return re.sub(r"[^\w]|_", " ", text).strip()


# A sentence ends at a newline, at 。！？, or at . ! ? (plus closing quotes/brackets) followed
# by space and an upper-case letter, digit, CJK/Hangul character or opening quote - but not
# after an initial ("Joseph R. Biden") or a common abbreviation ("Mr.", "Jr.", "U.S."). Written
# to start with a single character class and with the abbreviations as fixed-width
# look-behinds, so the whole split
# runs inside the regex engine: a Python loop over ~100 candidates costs more than the scan.
_ABBREVIATIONS = (
    "Mr Mrs Ms Dr Jr Sr St Gen Lt Col Sen Rep Gov Prof No Vs vs Inc Corp Co Adm Capt Sgt Rev "
    "U.S U.K e.g i.e"
).split()
_NOT_AFTER = "(?<!\\b[A-Z]\\.)" + "".join(
    f"(?<!\\b{re.escape(word)}\\.)" for word in _ABBREVIATIONS
)
# Scripts without capitals (Hangul, kana, CJK) may start a sentence after ". " too; Chinese and
# Japanese end one at 。！？ (full-width), with no space after, before any closing bracket.
_STARTS = "A-Z0-9\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"
_SENTENCE_BREAK = re.compile(
    r"[\n.!?。！？](?:(?<=\n)\n*|(?<=[。！？])[！？。]*[」』）”’)\]]*[ \t\r\f\v\u3000]*|"
    + _NOT_AFTER
    + r"[\"'”’)\]]*[ \t\r\f\v]+(?=[\"'“‘(\[「『]?[" + _STARTS + "]))"
)


def sentence_starts(text: str) -> list[int]:
    """Start offsets of the sentences of `text` (first is always 0)."""
    return [0, *[brk.end() for brk in _SENTENCE_BREAK.finditer(text)]]


class Sentences:
    """Maps offsets to sentence indexes and texts, computed once per article."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts = sentence_starts(text)
        self._texts: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._starts)

    def index(self, offset: int) -> int:
        return bisect_right(self._starts, offset) - 1

    def starts_at(self, offset: int) -> bool:
        """Whether a sentence starts at `offset`."""
        return self._starts[self.index(offset)] == offset

    def span(self, index: int) -> tuple[int, int]:
        start = self._starts[index]
        end = self._starts[index + 1] if index + 1 < len(self._starts) else len(self._text)
        return start, end

    def text(self, index: int) -> str:
        found = self._texts.get(index)
        if found is None:
            start, end = self.span(index)
            found = self._texts[index] = self._text[start:end].strip()
        return found

    def within(self, offsets: list[int], index: int) -> list[int]:
        """The items of sorted `offsets` that fall in sentence `index`."""
        start, end = self.span(index)
        return offsets[bisect_left(offsets, start) : bisect_left(offsets, end)]


_WORD_AFTER = re.compile(r" ([^\W\d_][\w]*)")
_WORD_INNER = str.maketrans("", "", ".'’")


def word_before(text: str, start: int) -> str:
    """The word right before `start` when exactly one space separates them, else "".

    A "word" starts with a letter and holds only letters, digits, full stops and apostrophes
    ("Minister", "Japan's", "U.S."); "said," or "(Marco" are not words next to the name.
    """
    if start < 2 or text[start - 1] != " ":
        return ""
    begin = max(text.rfind(" ", max(0, start - 40), start - 1), text.rfind("\n", 0, start - 1))
    word = text[begin + 1 : start - 1]
    if word and word[0].isalpha() and (word.translate(_WORD_INNER) or "x").isalnum():
        return word
    return ""


def word_after(text: str, end: int) -> str:
    """The word right after `end` when exactly one space separates them, else ""."""
    found = _WORD_AFTER.match(text, end)
    return found.group(1) if found else ""


def is_title_case_line(text: str, offset: int) -> bool:
    """True when the line holding `offset` looks like a headline: most long words capitalised
    and no full stop at the end.

    Headlines ("Kishida Channels Verdun Spirit") break the capitalised-neighbour heuristics
    that spot other people's names, so those heuristics are skipped there.
    """
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    words = [w for w in re.findall(r"[^\W\d_]+", line) if len(w) > 3]
    if len(words) < 3 or len(line) > 200 or line.rstrip().endswith((".", ",", ";")):
        return False
    capitalised = sum(1 for w in words if w[0].isupper())
    return capitalised >= 0.75 * len(words)


# The lead is the first paragraph, or the first LEAD_CHARS characters when that is longer,
# but never more than LEAD_MAX (text without paragraph breaks would otherwise be all lead).
LEAD_CHARS = 400
LEAD_MAX = 1000


def lead_end(text: str) -> int:
    """End of the lead: the first non-empty paragraph, at least LEAD_CHARS, at most LEAD_MAX."""
    stripped = len(text) - len(text.lstrip())
    paragraph_end = text.find("\n\n", stripped)
    if paragraph_end < 0:
        paragraph_end = len(text)
    return min(max(paragraph_end, LEAD_CHARS), LEAD_MAX)

"""htmldate's last resort for dates, bounded to the languages pactwatch reads.

When nothing else dates a page, htmldate's thorough search hands date-like strings to
dateparser, which by default tries each of its ~200 locales. The first such call in a process
compiles every locale's patterns: measured on one corpus page, ~2 s of CPU and ~210 MB that the
process keeps. Every extraction worker paid that on the first page that needed it. Bounded to
the languages of the region's press and of the European pages in the benchmark, the same call
costs ~0.7 s and ~20 MB, and dated all 238 benchmark pages exactly as before.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import htmldate.extractors

# ISO 639-1 codes dateparser knows: East, South-East and South Asia's press, then the
# languages of the wider world's press that report on the region.
LANGUAGES = (
    "en", "ja", "ko", "zh", "tl", "id", "ms", "vi", "th", "hi", "bn", "ur", "ta", "my", "km",
    "fr", "de", "es", "pt", "it", "nl", "ru", "pl", "sv", "da", "nb", "fi", "cs", "tr", "ar",
)


@cache
def date_parser() -> Any:
    """A dateparser parser with htmldate's own choices (strict, absolute dates only, past
    preferred), limited to `LANGUAGES`."""
    from dateparser import DateDataParser

    return DateDataParser(
        languages=list(LANGUAGES),
        settings={
            "NORMALIZE": True,
            "PARSERS": ["custom-formats", "absolute-time"],
            "PREFER_DATES_FROM": "past",
            "PREFER_LOCALE_DATE_ORDER": True,
            "RETURN_AS_TIMEZONE_AWARE": False,
            "STRICT_PARSING": True,
        },
    )


def install() -> None:
    """Make htmldate use `date_parser` (it looks its parser up by name at each call)."""
    htmldate.extractors.get_external_parser = date_parser

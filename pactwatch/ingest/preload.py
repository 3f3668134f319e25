"""What the extraction workers' forkserver loads once, before it forks any worker.

Each worker is a fork of the forkserver, so whatever is built here is shared copy-on-write by
every worker instead of being built again in each: the extraction modules, what they load on
first use (jusText's stoplists of every language, ~27 MB; the public-suffix trie), and the tagger
of the watchlist named by `extraction.PRELOAD_WATCHLIST_ENV` (set before the forkserver starts).
`gc.freeze()` then moves all of it out of the garbage collector's reach, so that collections in
the workers do not touch (and so copy) those pages.
"""

from __future__ import annotations

import gc
import os

import courlan
import lxml.html
from trafilatura.external import jt_stoplist_init, try_justext

import extractors.article.extract  # noqa: F401 - loaded here to be shared by the workers
import extractors.similarity  # noqa: F401
from extractors.article import external_dates
from pactwatch.ingest import extraction
from pactwatch.ingest.memory import tune_malloc

tune_malloc()  # inherited by every worker forked from here
jt_stoplist_init()
courlan.extract_domain("https://www.example.org/")
# First uses that build something big: jusText's set of every stoplist's words (~15 MB: trafilatura
# passes the words as a tuple that jusText turns into a set it caches), and dateparser's patterns
# of every language it may try (~20 MB): a string no language reads makes it try them all.
try_justext(lxml.html.fromstring("<html><body><p>.</p></body></html>"), None, None)
external_dates.date_parser().get_date_data("0 pactwatch 0")

if watchlist := os.environ.get(extraction.PRELOAD_WATCHLIST_ENV):
    try:
        extraction.tagger_for(watchlist)
    except Exception:  # noqa: BLE001 - a worker builds its own then, and reports the error
        pass
gc.freeze()

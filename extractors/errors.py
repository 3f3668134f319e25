"""Every error pactwatch raises on purpose, in one tree.

    PactwatchError
    ├── ConfigError          a sources, watchlist or settings file is wrong (path and reason)
    ├── FetchFailed          a URL could not be fetched (url, kind, reason)
    ├── DiscoveryFailed      a feed or sitemap could not be read or parsed (url, kind, reason)
    └── ExtractionFailed     a fetched page held no article (url, reason)

Functions raise these with a reason a person can act on. Batches catch them and turn each
into a failure row, so one broken site never sinks a run.
"""

from __future__ import annotations


class PactwatchError(Exception):
    """Base class: anything pactwatch raises deliberately."""


class ConfigError(PactwatchError):
    """A configuration file or value is invalid."""


class FetchFailed(PactwatchError):
    """A URL could not be fetched; `kind` is a short machine-readable category."""

    def __init__(self, url: str, kind: str, reason: str) -> None:
        super().__init__(f"{url}: {kind}: {reason}")
        self.url = url
        self.kind = kind
        self.reason = reason


class DiscoveryFailed(FetchFailed):
    """A feed or sitemap was fetched but could not be used."""


class ExtractionFailed(PactwatchError):
    """A page was fetched but no article could be extracted from it."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.kind = "extraction"
        self.reason = reason

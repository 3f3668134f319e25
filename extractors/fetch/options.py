"""What the fetch boundary needs to know, handed down by the application.

The fetch package reads no settings and no environment: `pactwatch.settings.Settings`
builds a `FetchOptions` (`Settings.fetch_options()`) and the caller passes it to
`make_client`, `Fetcher` and `download`. The defaults are the ones a test or a library user
would want; the application's own defaults live in `Settings`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FetchOptions:
    """Limits and manners of every request: who we are, how long we wait, how much we read."""

    user_agent: str = "pactwatch/0.1 (+https://github.com/pactwatch/pactwatch)"
    connect_timeout: float = 5.0  # seconds to open a connection
    read_timeout: float = 15.0  # seconds between bytes
    total_timeout: float = 60.0  # seconds one fetch may take in all (not a download)
    max_body_bytes: int = 5_000_000  # largest body read, counted after decompression
    max_download_bytes: int = 5_000_000_000  # largest file `download` writes (WARC files)
    max_redirects: int = 5
    max_host_wait: float = 120.0  # longest wait for a host's turn before a URL is deferred
    retries: int = 2  # on timeouts, connection errors, 408, 429 and 5xx
    retry_backoff: float = 0.5  # first retry delay in seconds, doubling, with jitter
    allow_private_addresses: bool = False  # the SSRF guard (addresses.py) when False

"""One typed settings object, read from `PACTWATCH_*` environment variables.

Configuration enters here and nowhere else: code that needs a setting takes a `Settings`.
`load_settings(environ)` takes the environment as an argument so tests pass a plain dict.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, ValidationError

from extractors.errors import ConfigError
from extractors.fetch.options import FetchOptions

REPO_ROOT = Path(__file__).resolve().parents[1]
PREFIX = "PACTWATCH_"


class Settings(BaseModel):
    """Everything an operator may change; each field documents itself."""

    database_url: str = Field(
        "sqlite:///./data/pactwatch.db",
        description="SQLAlchemy URL: a SQLite file, or postgresql+psycopg://user@host/db.",
    )
    sources_file: Path = Field(
        REPO_ROOT / "config" / "sources.yaml", description="YAML list of sources to watch."
    )
    watchlist_file: Path = Field(
        REPO_ROOT / "config" / "watchlist.yaml", description="YAML list of tracked entities."
    )
    recipients_file: Path = Field(
        REPO_ROOT / "config" / "recipients.yaml", description="YAML list of digest recipients."
    )
    out_dir: Path = Field(Path("out"), description="Where rendered digests are written.")
    outbox_dir: Path = Field(
        Path("out/outbox"), description="Digest delivery folder (.eml) when no SMTP host is set."
    )
    user_agent: str = Field(
        "pactwatch/0.1 (+https://github.com/pactwatch/pactwatch)",
        description="User-Agent sent with every request; name the project and a contact URL.",
    )
    allow_private_addresses: bool = Field(
        False, description="Allow fetching loopback, private and link-local addresses."
    )
    connect_timeout: float = Field(5.0, description="Seconds to open a connection.")
    read_timeout: float = Field(15.0, description="Seconds to wait between bytes.")
    total_timeout: float = Field(60.0, description="Seconds one fetch may take in all.")
    max_body_bytes: int = Field(5_000_000, description="Largest body read, after decompression.")
    max_download_bytes: int = Field(
        5_000_000_000, description="Largest file downloaded (a backfill's WARC files)."
    )
    max_redirects: int = Field(5, description="Redirects followed per fetch.")
    max_host_wait: float = Field(
        120.0,
        description="Seconds a URL may wait for its host's turn (delay, Crawl-delay, "
        "concurrency) before it is deferred to a later batch.",
    )
    retries: int = Field(2, description="Retries on timeouts, connection errors, 429 and 5xx.")
    retry_backoff: float = Field(
        0.5, description="First retry delay (s), doubling."
    )
    batch_size: int = Field(50, description="Articles per fetch/extract/store batch.")
    workers: int = Field(0, description="Extraction processes; 0 means one per core.")
    keep_raw_html: bool = Field(False, description="Store compressed raw HTML with articles.")
    smtp_host: str = Field("", description="SMTP server; empty means write to the outbox.")
    smtp_port: int = Field(587, description="SMTP port.")
    smtp_security: str = Field("starttls", description="starttls, ssl or none.")
    smtp_username: str = Field("", description="SMTP user name.")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP password (env only).")
    smtp_credentials_block: str = Field(
        "", description="prefect-email EmailServerCredentials block; overrides PACTWATCH_SMTP_*."
    )
    smtp_timeout: float = Field(30.0, description="Seconds for each SMTP operation.")
    delivery_retry_weeks: int = Field(
        8, ge=0, description="Each digest run retries undelivered copies of this many past weeks."
    )
    delivery_stale_after: float = Field(
        900.0,
        ge=0,
        description="Seconds after which a claim left 'sending' by a dead sender is resolved.",
    )
    mail_from: str = Field("pactwatch <pactwatch@localhost>", description="From: header.")
    unsubscribe_url: str = Field("", description="List-Unsubscribe URL, if any.")
    timezone: str = Field("Asia/Tokyo", description="Zone of the weekly schedule.")
    worker_stop_grace: float = Field(
        10.0, ge=0, description="Seconds `pactwatch worker` lets flow runs finish on a stop."
    )
    shard_sources: int = Field(
        50,
        ge=0,
        description="Sources per shard: an ingest deployment run with more sources than this "
        "splits them into shards run by the pool's workers (docs/production.md); 0 never.",
    )
    worker_name: str = Field(
        "",
        description="Name of the worker running this flow run, recorded with each ingest "
        "shard it runs; `pactwatch worker` sets it (from --name) for its runs.",
    )

    def fetch_options(self) -> FetchOptions:
        """The part of the settings the fetch boundary needs (extractors read no settings)."""
        return FetchOptions(
            user_agent=self.user_agent,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            total_timeout=self.total_timeout,
            max_body_bytes=self.max_body_bytes,
            max_download_bytes=self.max_download_bytes,
            max_redirects=self.max_redirects,
            max_host_wait=self.max_host_wait,
            retries=self.retries,
            retry_backoff=self.retry_backoff,
            allow_private_addresses=self.allow_private_addresses,
        )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from `PACTWATCH_*` variables in `environ` (default: os.environ).

    Raises ConfigError naming the variable when a value does not parse.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {
        key[len(PREFIX) :].lower(): value
        for key, value in env.items()
        if key.startswith(PREFIX) and key[len(PREFIX) :].lower() in Settings.model_fields
    }
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = PREFIX + str(first["loc"][0]).upper()
        raise ConfigError(f"{name}: {first['msg']}") from None

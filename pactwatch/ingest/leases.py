"""Per-host leases in pactwatch's database, so politeness holds across processes and machines.

`Fetcher` keeps each host within its concurrency and delay inside one process. When several
runs fetch at once (an hourly ingest overlapping a backfill, workers on several machines), each
would apply those limits on its own and together exceed them. So a run takes the host's lease
before it fetches a batch from that host and gives it back afterwards: one holder at a time,
and the next holder waits the host's delay after the last one let go. The lease lives in the
same database as the articles (SQLite on one machine, PostgreSQL across machines); its rows
are read and written by `storage.leases`, the rules are here.

Measured here (see docs/production.md): handing a lease from one holder to the next takes a
few milliseconds to ~0.1 s; Prefect's `rate_limit` handed out 20 slots at 2/s in 27 s.

What can go wrong:
    LeaseTimeout   the host stayed held by someone else longer than `wait` seconds.
A holder that dies keeps its lease until `ttl` runs out, or until a waiter on the same machine
sees that the holder's process is gone, or (in the holder's own process) that the holder left
`hold` without giving it back; then the lease is taken over at once.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from extractors.errors import PactwatchError
from extractors.urls import host_key
from storage import leases as lease_rows
from storage.db import engine_for, retrying
from storage.models import utcnow

log = logging.getLogger(__name__)
POLL_FIRST = 0.01
POLL_MAX = 0.2
# Holder ids of this process's `hold` blocks still running: a lease carrying this process's
# id but not listed here was orphaned (its taking or giving back failed halfway).
_ACTIVE: set[str] = set()


class LeaseTimeout(PactwatchError):
    """A host's lease could not be taken within the allowed wait."""

    def __init__(self, host: str, holder: str | None, waited: float) -> None:
        super().__init__(f"{host}: still leased by {holder} after {waited:.0f} s")
        self.host, self.holder = host, holder


def hosts_of(urls: Iterable[str]) -> list[str]:
    """The distinct hosts of `urls`, sorted (leases are always taken in this order)."""
    return sorted({host_key(u) for u in urls if u})


@contextmanager
def hold(
    database_url: str,
    hosts: Iterable[str],
    delays: Mapping[str, float] | None = None,
    ttl: float = 900.0,
    wait: float = 3600.0,
) -> Iterator[str]:
    """Hold the leases of `hosts` (taken in sorted order, so two holders never deadlock).

    After taking a host, wait until its `delays[host]` seconds have passed since the previous
    holder let go. Yields the holder id. Raises LeaseTimeout after `wait` seconds for one host.
    """
    engine = _engine(database_url)
    me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    taken: list[str] = []
    _ACTIVE.add(me)
    try:
        for host in sorted(set(hosts)):
            released = _acquire(engine, host, me, ttl, wait)
            taken.append(host)
            delay = (delays or {}).get(host, 0.0)
            if released is not None and delay > 0:
                pause = delay - (utcnow() - released).total_seconds()
                if pause > 0:
                    time.sleep(pause)
        yield me
    finally:
        for host in taken:
            _release(engine, host, me)
        _ACTIVE.discard(me)  # after: a waiter here must not take a lease still being released


def hold_for(
    database_url: str, urls: Iterable[str], policies: Mapping[str, Any]
) -> AbstractContextManager[str]:
    """Hold the leases of the hosts of `urls`, with each host's `policies[host].delay`.

    The lease outlives the slowest host's requests paced at its delay, plus 15 minutes.
    """
    per_host = Counter(host_key(u) for u in urls if u)
    delays = {h: policies[h].delay for h in per_host if h in policies}
    ttl = 900.0 + max((delays.get(h, 0.0) * n for h, n in per_host.items()), default=0.0)
    return hold(database_url, per_host, delays, ttl=ttl)


def holders(database_url: str) -> dict[str, str | None]:
    """Who holds each known host now (None when free); for tests and `status`-like checks."""
    return lease_rows.holders(_engine(database_url))


def _engine(database_url: str) -> Engine:
    """The engine; `engine_for` brings the schema (and so the lease table) up to date."""
    return engine_for(database_url)


def _acquire(
    engine: Engine, host: str, me: str, ttl: float, wait: float
) -> datetime | None:
    """Take `host` for `me`; return when the previous holder released it (or None).

    Each step is one transaction, tried again when the database drops the connection: taking
    is idempotent (`me` may retake its own lease, e.g. when the commit went through but its
    reply was lost)."""
    started, pause = time.monotonic(), POLL_FIRST
    retrying(partial(lease_rows.ensure_row, engine, host), f"creating the lease row of {host}")
    while True:
        taken, released, holder = retrying(
            partial(lease_rows.try_take, engine, host, me, ttl), f"taking the lease of {host}"
        )
        if taken:
            return released
        if holder and _holder_is_gone(holder):
            retrying(
                partial(lease_rows.free, engine, host, holder), f"freeing the lease of {host}"
            )
            continue
        waited = time.monotonic() - started
        if waited > wait:
            raise LeaseTimeout(host, holder, waited)
        time.sleep(pause)
        pause = min(POLL_MAX, pause * 2)


def _release(engine: Engine, host: str, me: str) -> None:
    """Give the lease back; if the database stays away, leave it to expire with its TTL.

    The batch's work is done by now, so a database blip here must not fail the run.
    """
    try:
        retrying(
            partial(lease_rows.give_back, engine, host, me),
            f"giving back the lease of {host}", attempts=5, pause=0.2,
        )
    except DBAPIError as exc:
        log.warning(
            "could not release the lease of %s (%s); it expires with its TTL",
            host, type(exc).__name__,
        )


def _holder_is_gone(holder: str) -> bool:
    """True when `holder` ran on this machine and its process no longer exists, or is this
    process and no longer inside `hold` (a database error left the lease behind)."""
    hostname, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if hostname != socket.gethostname() or not pid_text.isdigit():
        return False
    if int(pid_text) == os.getpid():
        return holder not in _ACTIVE
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False

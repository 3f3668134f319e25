"""robots.txt per RFC 9309, read with Protego, and what it said remembered per host.

How a host's robots.txt is read (RFC 9309 §2.3) and what follows from each outcome:

    rules        2xx, at most 500 KiB: its rules apply (wildcards, longest match wins)
    too-large    2xx over 500 KiB: the rules of its first 500 KiB apply (§2.5), never allow-all
    allow        4xx other than 429 ("unavailable"): everything may be fetched
    unreachable  5xx, 429, timeout, connection error, redirect trouble: nothing may be
                 fetched until it can be read (§2.3.1.4)
    disallow     kept for a record that says so explicitly (not produced by reading)

A `RobotsRecord` is the outcome with the rules text, the Crawl-delay for our product token and
when it was read; callers keep records between batches and runs (pactwatch stores them), so a
Crawl-delay is not forgotten. A record is used for 24 hours (§2.4), an unreachable one for
ten minutes before robots.txt is asked again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from urllib.parse import urljoin, urlsplit

from protego import Protego

from extractors.errors import FetchFailed

ROBOTS_MAX_BYTES = 500 * 1024
FRESH_FOR = timedelta(hours=24)
UNREACHABLE_FOR = timedelta(minutes=10)
MAX_HOPS = 5  # RFC 9309 §2.3.1.2: follow at least five redirects
OUTCOMES = ("rules", "too-large", "allow", "unreachable", "disallow")
# Failures of the robots.txt request that are the article's own failure too (reported as
# such), or that say nothing about the site (deferred: the host's turn did not come).
SAME_FOR_EVERY_URL = ("forbidden-address", "bad-url", "invalid-url", "deferred")

Get = Callable[[str, int], Awaitable[tuple[dict[str, str], int, bytes]]]


@dataclass(frozen=True)
class RobotsRecord:
    """What one host's robots.txt said when it was last read."""

    host: str
    outcome: str
    checked: datetime
    rules: str = ""
    crawl_delay: float | None = None
    reason: str = ""

    def fresh(self, now: datetime) -> bool:
        """Whether the record may still be used instead of reading robots.txt again."""
        age = now - self.checked
        return age < (UNREACHABLE_FOR if self.outcome == "unreachable" else FRESH_FOR)

    def allows(self, url: str, agent: str) -> bool:
        """Whether `url` may be fetched by the crawler called `agent` (its product token)."""
        if self.outcome in ("unreachable", "disallow"):
            return False
        if self.outcome == "allow":
            return True
        return bool(self._parser.can_fetch(url, agent))

    def refusal(self) -> tuple[str, str]:
        """Kind and reason of the failure of a URL this record does not allow: an unreachable
        host's own kind (timeout, connection), else robots."""
        if self.outcome != "unreachable":
            return "robots", "disallowed by robots.txt"
        kind = self.reason.split(":", 1)[0]
        kind = kind if kind in ("timeout", "connection") else "robots"
        return kind, f"robots.txt unreachable ({self.reason}): nothing is fetched until it is read"

    @cached_property
    def _parser(self) -> Protego:
        return Protego.parse(self.rules)


def product_token(user_agent: str) -> str:
    """The name robots.txt groups match (RFC 9309 §2.2.1): 'pactwatch/0.1 (+url)' -> 'pactwatch'."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"


async def read_robots(
    get: Get, host: str, url: str, agent: str, now: datetime | None = None
) -> RobotsRecord:
    """Read the robots.txt of `url`'s host with `get(url, cap)` (which returns at most `cap`
    decoded bytes, without failing when there are more) and say what it allows.

    Raises FetchFailed only for a failure every URL of the host would share (a refused
    address, a URL that cannot be parsed); every other failure is the `unreachable` outcome.
    """
    now = now or datetime.now(UTC)
    target = urljoin(url, "/robots.txt")
    try:
        for _ in range(MAX_HOPS + 1):
            headers, status, body = await get(target, ROBOTS_MAX_BYTES)
            if status in (301, 302, 303, 307, 308) and "location" in headers:
                target = urljoin(target, headers["location"])
                if urlsplit(target).scheme not in ("http", "https"):
                    return RobotsRecord(host, "unreachable", now, reason="non-HTTP redirect")
                continue
            break
        else:
            return RobotsRecord(host, "unreachable", now, reason="too many redirects")
    except FetchFailed as exc:
        if exc.kind in SAME_FOR_EVERY_URL:
            raise FetchFailed(url, exc.kind, exc.reason) from None
        return RobotsRecord(host, "unreachable", now, reason=f"{exc.kind}: {exc.reason[:200]}")
    if status >= 500 or status == 429 or 300 <= status < 400:
        return RobotsRecord(host, "unreachable", now, reason=f"HTTP {status}")
    if status >= 400:
        return RobotsRecord(host, "allow", now, reason=f"HTTP {status}")
    return parse_robots(host, body, agent, now)


def parse_robots(host: str, body: bytes, agent: str, now: datetime) -> RobotsRecord:
    """The record of a robots.txt body; over the cap, the rules of its first 500 KiB (cut at
    the last whole line)."""
    outcome = "rules"
    if len(body) >= ROBOTS_MAX_BYTES:
        outcome = "too-large"
        body = body[:ROBOTS_MAX_BYTES].rsplit(b"\n", 1)[0]
    rules = body.decode("utf-8", errors="replace")
    delay = Protego.parse(rules).crawl_delay(agent)
    return RobotsRecord(host, outcome, now, rules, float(delay) if delay else None)

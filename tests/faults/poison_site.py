"""A loopback site whose feed mixes good articles with items that have stopped whole runs.

Each page is written here; `PoisonSite.route(path, page)` adds a page and its feed item, and
`feed()` re-renders the feed so a test can change it between runs. Pages a run must store
are `good`; the others are `poison` (path -> why it is poison).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from types import TracebackType
from xml.sax.saxutils import escape

from sqlalchemy import text

from storage.db import engine_for
from tests.servers import Loopback, Route, html_page, loopback

# The item that makes its batch raise: a good page whose address the database refuses to
# store (a trigger on `article` aborts the insert of any URL holding POISON_PILL). A database
# refusing one row is a real failure, and not an outage (`storage.db.transient` says no), so
# the item is quarantined and the run goes on. Until issue 19's date fix, a JSON-LD date in
# year 0 of UTC played this part; such a page is now stored with a sane date.
POISON_PILL = "poison-pill"
REFUSAL = "poison pill"
SQLITE_TRIGGER = f"""
CREATE TRIGGER refuse_poison_pill BEFORE INSERT ON article
WHEN NEW.url LIKE '%{POISON_PILL}%' BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END
"""
POSTGRES_TRIGGER = [
    f"""CREATE FUNCTION refuse_poison_pill() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.url LIKE '%{POISON_PILL}%' THEN RAISE EXCEPTION '{REFUSAL}: %', NEW.url; END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER refuse_poison_pill BEFORE INSERT ON article"
    " FOR EACH ROW EXECUTE FUNCTION refuse_poison_pill()",
]


def dated_page(title: str, published: str) -> bytes:
    """A good page whose JSON-LD gives `published` (its <meta> date is 2026-11-20 09:00 JST)."""
    ld = (f'<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{title}",'
          f' "datePublished": "{published}"}}</script>')
    return html_page(title).replace(b"</head>", ld.encode() + b"</head>")


def refuse_poison_pills(database_url: str) -> None:
    """Bring the schema of `database_url` up to date, then make it refuse to insert an article
    whose URL holds POISON_PILL, with the message REFUSAL (SQLite or PostgreSQL)."""
    engine = engine_for(database_url)
    statements = [SQLITE_TRIGGER] if engine.dialect.name == "sqlite" else POSTGRES_TRIGGER
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


class PoisonSite:
    """Serve /feed plus the pages added with `route`; use as a context manager."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        self.good: list[str] = []
        self.poison: dict[str, str] = {}
        self.links: list[str] = []  # feed items with no page here (addresses of their own)
        self.routes: dict[str, Route] = {
            "/robots.txt": Route(200, b"", {"Content-Type": "text/plain"})
        }
        self._context = loopback(self.routes)
        self.site: Loopback | None = None

    def __enter__(self) -> PoisonSite:
        self.site = self._context.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._context.__exit__(kind, exc, tb)

    def url(self, path: str) -> str:
        assert self.site is not None
        return self.site.url(path)

    def hits(self, path: str) -> int:
        assert self.site is not None
        return self.site.hits.get(path, 0)

    def add_good(self, path: str, title: str) -> None:
        self.good.append(path)
        self.route(path, html_page(title))

    def add_poison(self, path: str, page: bytes, why: str) -> None:
        self.poison[path] = why
        self.route(path, page)

    def add_link(self, link: str) -> None:
        """List `link` in the feed as it is (a URL that is not a page of this site)."""
        self.links.append(link)
        self.routes["/feed"] = Route(200, self.feed(), {"Content-Type": "application/rss+xml"})

    def route(self, path: str, page: bytes) -> None:
        self.pages[path] = page
        self.routes[path] = Route(200, page)
        self.routes["/feed"] = Route(200, self.feed(), {"Content-Type": "application/rss+xml"})

    def feed(self) -> bytes:
        now = format_datetime(datetime.now(UTC))
        items = "".join(
            f"<item><title>{escape(path)}</title><link>{escape(self.url(path))}</link>"
            f"<pubDate>{now}</pubDate></item>"
            for path in self.pages
        ) + "".join(
            f"<item><title>link</title><link>{escape(link)}</link><pubDate>{now}</pubDate></item>"
            for link in self.links
        )
        return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}"
                "</channel></rss>").encode()

    def sources_yaml(self, name: str = "poison") -> str:
        return f"sources:\n  - name: {name}\n    feeds: ['{self.url('/feed')}']\n    delay: 0\n"

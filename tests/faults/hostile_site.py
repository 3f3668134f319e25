"""A hostile news site on loopback: a small good site and every misbehaviour of the issue.

`HostileSite` serves, on 127.0.0.1:
- a good site: an RSS feed and a news sitemap (behind a sitemap index that lists itself)
  linking a few good articles written for these tests, English and in Shift_JIS, EUC-KR and
  Windows-1252 (charset in the header only, in a <meta> only, or nowhere);
- every hostile route of the reliability issue, linked from the same feed, each described by a
  `Fault` (what the run must record for it and how many requests it may cost);
- hostile listings (a feed that is not XML, entity bombs, external entities, 50,000 items);
- a second host whose robots.txt never answers (`slow`), and a closed port (`refused_url`).

Every request is counted per path (`hits`, `times`). Routes that hang wait on `stop`, so
shutting the site down never waits for them. `blocker=True` adds a good article whose
request blocks until `release` is set (it sets `blocked` when it arrives): a test can kill
or disturb a run while it is in the middle of a batch.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache
from html import escape
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import yaml

from tests.servers import HTML, LoopbackServer, reply

MAX_BODY = 6_000_000  # PACTWATCH_MAX_BODY_BYTES of the fault runs: a 50,000-item feed fits
RETRIES = 1  # PACTWATCH_RETRIES of the fault runs: a retried failure costs 2 requests
READ_TIMEOUT = 1.5  # generous: the site's threads share the GIL with the run under test
TOTAL_TIMEOUT = 6.0
BIG_FEED_ITEMS = 50_000

Handler = Callable[[BaseHTTPRequestHandler], None]


def fault_env() -> dict[str, str]:
    """PACTWATCH_* settings of a fault run: small retries, short timeouts, a 6 MB cap."""
    return {
        "PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true",
        "PACTWATCH_RETRIES": str(RETRIES),
        "PACTWATCH_RETRY_BACKOFF": "0.05",
        "PACTWATCH_CONNECT_TIMEOUT": "0.5",
        "PACTWATCH_READ_TIMEOUT": str(READ_TIMEOUT),
        "PACTWATCH_TOTAL_TIMEOUT": str(TOTAL_TIMEOUT),
        "PACTWATCH_MAX_BODY_BYTES": str(MAX_BODY),
        "PACTWATCH_MAX_REDIRECTS": "4",
        "PACTWATCH_WORKERS": "1",  # extract in-process: the pool is tested elsewhere
    }


# --- the good site ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Good:
    """A good article: where it is served, its title as stored, and how its bytes are sent."""

    path: str
    title: str
    paragraphs: tuple[str, ...]
    charset: str = "utf-8"
    declared: str = "both"  # the charset is named in: "header", "meta", "both" or "none"
    listed: str = "feed"  # feed, sitemap, big-feed, slow (the second host's feed)


ENGLISH = [
    Good(
        "/a/manila-tokyo-access-pact-ratified",
        "Manila ratifies the Reciprocal Access Agreement with Tokyo",
        (
            "The Philippine Senate ratified the Reciprocal Access Agreement with Japan on "
            "Tuesday, clearing the way for joint exercises on both countries' soil.",
            "Senators voted after a short debate on jurisdiction over visiting troops, the "
            "clause that had held the agreement up since it was signed in Manila.",
            "Officials in Tokyo welcomed the vote and said the first exercises under the "
            "pact could take place before the typhoon season begins.",
            "Defence analysts expect the agreement to bring more Japanese ships to Subic Bay "
            "and more Philippine officers to training courses in Japan.",
        ),
    ),
    Good(
        "/a/coastal-radar-grant-announced-for-manila",
        "Japan announces coastal radar grant under Official Security Assistance",
        (
            "Japan will give the Philippine Navy coastal surveillance radars under its "
            "Official Security Assistance programme, the foreign ministry said.",
            "The grant is the second under the programme, which funds equipment for the "
            "armed forces of like-minded countries rather than development projects.",
            "The radars are to be installed along the western coast of Luzon within two "
            "years, with training provided by Japanese engineers.",
            "Opposition lawmakers asked for more detail on how the equipment will be used "
            "and on the criteria that decide which countries receive it.",
        ),
    ),
    Good(
        "/a/quad-foreign-ministers-meet-in-tokyo",
        "Quad foreign ministers meet in Tokyo to talk maritime security",
        (
            "Foreign ministers of Australia, India, Japan and the United States met in Tokyo "
            "for the annual Quad ministerial, focusing on maritime domain awareness.",
            "They announced a new round of satellite data sharing with Pacific island "
            "states and a fellowship for young engineers from the region.",
            "The ministers restated their support for a Free and Open Indo-Pacific and "
            "said the group is not aimed at any single country.",
            "The next leaders' summit is expected to be held in India later in the year, "
            "officials said after the closing press conference.",
        ),
    ),
    Good(
        "/a/sitemap-only-canberra-tokyo-training-deal",
        "Canberra and Tokyo expand training under their access agreement",
        (
            "Australia and Japan will expand the joint training carried out under their "
            "Reciprocal Access Agreement, the two defence ministers said in Canberra.",
            "More F-35 squadrons will rotate through northern Australian bases, and "
            "Australian troops will train at Japanese ranges in Hokkaido.",
            "The agreement, in force since last year, sets out the legal status of visiting "
            "forces and has been used for a dozen exercises so far.",
            "Ministers also discussed cooperation on long-range missiles and the security "
            "of undersea cables in the South Pacific.",
        ),
        listed="sitemap",
    ),
    Good(
        "/a/big-feed-last-item-pacific-islands-forum",
        "Pacific Islands Forum leaders discuss policing and climate finance",
        (
            "Leaders at the Pacific Islands Forum discussed a regional policing initiative "
            "and new climate finance, with observers from Japan and Australia attending.",
            "The initiative would train police officers from member states in a new "
            "regional centre, funded in part by Australia.",
            "Several leaders asked for faster access to climate adaptation funds, saying "
            "the current application process takes years.",
            "The communique was adopted after a closed session that ran late into the "
            "night, officials from two delegations said.",
        ),
        listed="big-feed",
    ),
    Good(
        "/a/slow-robots-host-reports-on-yoon-and-kishida",
        "Yoon and Kishida agree to resume regular shuttle diplomacy",
        (
            "South Korean President Yoon Suk Yeol and Japanese Prime Minister Fumio Kishida "
            "agreed to resume regular visits between their capitals.",
            "The two leaders met on the sidelines of a regional summit and discussed "
            "export controls, supply chains and North Korea's missile launches.",
            "Officials said working-level talks on intelligence sharing would continue "
            "next month in Seoul, followed by a meeting of vice ministers.",
            "Business groups in both countries welcomed the agreement and called for "
            "faster progress on visa rules for short business trips.",
        ),
        listed="slow",
    ),
]

# Hostile markup in an article's own text: it must come out of the digest inert.
MARKUP = Good(
    "/a/kishida-marcos-statement-with-markup",
    'Kishida and Marcos sign statement <script>alert("title")</script>',
    (
        "Prime Minister Fumio Kishida and President Ferdinand Marcos Jr. signed a joint "
        'statement on the Reciprocal Access Agreement <img src=x onerror="alert(1)"> today.',
        "A reader comment pasted <a href=\"javascript:alert('link')\">this link</a> into "
        "the page and the site printed it as text, as careless sites do.",
        "The statement commits both governments to exercises under the agreement within "
        "the year and to a new dialogue on coast guard cooperation.",
        "Officials said the dialogue would meet twice a year, alternating between Manila "
        "and Tokyo, starting with a session in the spring.",
    ),
)

JAPANESE = (
    "日本とフィリピンの円滑化協定について、岸田文雄首相は記者会見で早期の発効を目指すと述べた。",
    "協定は両国の部隊が相手国で共同訓練を行う際の法的な地位や手続きを定めるもので、"
    "国会での承認手続きが進められている。",
    "政府関係者によると、発効後は南シナ海に面した地域での共同演習が増える見通しだという。",
    "野党からは、訓練中の事故が起きた場合の裁判権の扱いについて、さらに説明を求める声が出ている。",
)
KOREAN = (
    "윤석열 대통령은 기시다 후미오 일본 총리와 정상회담을 열고 셔틀 외교를 재개하기로 합의했다.",
    "두 정상은 수출 규제와 공급망, 북한의 미사일 발사에 대해 폭넓게 의견을 나눈 것으로 알려졌다.",
    "정부 관계자는 정보 공유를 위한 실무 협의가 다음 달 서울에서 이어질 것이라고 밝혔다.",
    "양국 경제단체는 이번 합의를 환영하며 단기 출장자를 위한 비자 제도 개선을 촉구했다.",
)
FRENCH = (
    "Le Japon et les Philippines ont signé l\u2019accord d\u2019accès réciproque à Manille, "
    "a déclaré le ministère des Affaires étrangères.",
    "\u201cC\u2019est une étape décisive pour la sécurité régionale\u201d, a déclaré un "
    "porte-parole, évoquant des exercices conjoints dès l\u2019été prochain.",
    "L\u2019accord précise le statut des forces en visite et les procédures douanières "
    "applicables au matériel militaire.",
    "Des députés de l\u2019opposition réclament davantage de précisions sur la compétence "
    "judiciaire en cas d\u2019accident pendant les manœuvres.",
)
ENCODED = [
    Good(
        f"/a/{slug}-charset-in-{declared}",
        f"{title}（{n}）" if charset == "shift_jis" else f"{title} ({n})",
        paragraphs,
        charset,
        declared,
    )
    for charset, slug, title, paragraphs in (
        ("shift_jis", "jp-raa", "日比円滑化協定の早期発効を目指す", JAPANESE),
        ("euc-kr", "kr-shuttle", "윤석열 대통령, 셔틀 외교 재개 합의", KOREAN),
        ("windows-1252", "fr-acces", "Accord d\u2019accès réciproque signé à Manille", FRENCH),
    )
    for n, declared in enumerate(("header", "meta", "none"), start=1)
]
GOOD = [*ENGLISH, MARKUP, *ENCODED]


def article_html(good: Good, published: datetime) -> bytes:
    """The page of a good article, encoded in its charset (named in <meta> if `declared` says)."""
    meta = (
        f'<meta charset="{good.charset}">' if good.declared in ("meta", "both") else ""
    )
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in good.paragraphs)
    page = (
        f"<!doctype html><html><head>{meta}<title>{escape(good.title)}</title>"
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        "</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{escape(good.title)}</h1>{paragraphs}</article>"
        "<footer>(c) Hostile Test Post</footer></body></html>"
    )
    return page.encode(good.charset)


# --- the faults ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One hostile route and what a run must make of it.

    `kind`/`reason`: the `fetch_failure` row expected for `path` (its kind, a piece of its
    detail); `hits`: requests the run may make to `path` (None: not countable here).
    """

    name: str
    path: str
    kind: str
    reason: str
    hits: int | None = 1


RETRIED = RETRIES + 1
FAULTS = [
    Fault("HTTP 500", "/a/status-500", "http-status", "HTTP 500", RETRIED),
    Fault("HTTP 502", "/a/status-502", "http-status", "HTTP 502", RETRIED),
    Fault("HTTP 503 with Retry-After", "/a/status-503", "http-status", "HTTP 503", RETRIED),
    Fault("HTTP 429 with Retry-After", "/a/status-429", "http-status", "HTTP 429", RETRIED),
    Fault("HTTP 403", "/a/status-403", "http-status", "HTTP 403"),
    Fault("HTTP 404", "/a/status-404", "http-status", "HTTP 404"),
    Fault("HTTP 410", "/a/status-410", "http-status", "HTTP 410"),
    Fault("connection refused", "refused", "connection", "onnect", None),
    Fault("connection reset mid-body", "/a/reset-mid-body", "connection", "Error", RETRIED),
    Fault("accepts and never answers", "/a/silent", "timeout", "ReadTimeout", RETRIED),
    Fault("trickle: read timeout", "/a/trickle-slow", "timeout", "ReadTimeout", RETRIED),
    Fault("trickle: total-time cap", "/a/trickle-forever", "timeout", "in all", 1),
    Fault("body 100x the size cap", "/a/huge-declared", "too-large", "Content-Length"),
    Fault("body 100x the size cap, no length", "/a/huge-streamed", "too-large", "cap"),
    Fault("gzip bomb", "/a/gzip-bomb", "too-large", "cap"),
    Fault("redirect loop", "/a/loop-one", "redirect", "loop"),
    Fault("redirect to a non-HTTP scheme", "/a/to-file", "redirect", "non-HTTP"),
    Fault("PDF served as an article", "/a/annual-report-2026", "not-html", "application/pdf"),
    Fault("image served as an article", "/a/photo-of-the-day", "not-html", "image/png"),
    Fault("empty 200", "/a/empty-page", "extraction", "empty"),
    Fault("feed that is not XML", "/feeds/not-xml", "parse", "not a feed"),
    Fault("XML feed with an entity-expansion bomb", "/feeds/lol.xml", "parse", "entities"),
    Fault("feed with an external entity", "/feeds/xxe.xml", "parse", "entities"),
    Fault("sitemap with an external entity", "/sitemaps/xxe.xml", "parse", "entities"),
]
FEEDS = ["/feeds/main.xml", "/feeds/not-xml", "/feeds/lol.xml", "/feeds/xxe.xml",
         "/feeds/big.xml"]
SITEMAPS = ["/sitemaps/index.xml", "/sitemaps/xxe.xml"]
TRUNCATED = Good(
    "/a/truncated-page-on-the-quad-summit",
    "Quad summit ends with a pledge on undersea cables",
    (
        "Leaders of the Quad ended their summit with a pledge to protect undersea cables "
        "and to fund new cable links to Pacific island states.",
        "The statement named no country, but officials said the pledge responds to "
        "incidents in which cables were cut near Taiwan and in the Baltic.",
        "The leaders also agreed to expand a programme that trains coast guards from "
        "Southeast Asia in maritime domain awareness.",
        "A working group will report back by the end of the year on financing and on",
    ),
)


@cache
def gzip_bomb() -> bytes:
    """About 100 MB of zeros in ~100 KB of gzip (over 16 times the run's cap)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    return b"".join(compressor.compress(block) for _ in range(100)) + compressor.flush()


# --- the server ------------------------------------------------------------------------------


def send(request: BaseHTTPRequestHandler, status: int, body: bytes = b"",
         headers: dict[str, str] | None = None) -> None:
    """`reply` with an HTML Content-Type unless `headers` give another."""
    reply(request, status, body, {"Content-Type": HTML, **(headers or {})})


def _stream(request: BaseHTTPRequestHandler, total: int, chunk: bytes,
            headers: dict[str, str], every: float = 0.0, stop: threading.Event | None = None
            ) -> None:
    """Send headers, then `chunk` again and again (every `every` s) until `total` bytes."""
    request.send_response(200)
    for key, value in headers.items():
        request.send_header(key, value)
    request.end_headers()
    request.close_connection = True
    sent = 0
    try:
        while sent < total and not (stop and stop.is_set()):
            request.wfile.write(chunk)
            request.wfile.flush()
            sent += len(chunk)
            if every:
                time.sleep(every)
    except OSError:
        pass  # the client gave up, as it should


@dataclass
class HostileSite:
    """The good site and the hostile routes on 127.0.0.1 (see the module docstring)."""

    faults: bool = True
    blocker: bool = False
    extra: dict[str, Handler] = field(default_factory=dict)  # more routes on the main host
    big_feed_delay: float = 2.0  # finish after the other listings (see test_discovery_stall)
    hits: dict[str, int] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    blocked: threading.Event = field(default_factory=threading.Event)
    published: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(hours=1))
    base_url: str = ""
    slow_url: str = ""
    refused_url: str = ""

    def __enter__(self) -> HostileSite:
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            self.refused_url = f"http://127.0.0.1:{probe.getsockname()[1]}/a/refused-article"
        # routes embed the URLs of both hosts: start both, then fill in their routes (no one
        # can ask for a route before this method returns the URLs)
        main: dict[str, Handler] = {}
        slow: dict[str, Handler] = {}
        self._main = LoopbackServer(self._router(main, ""))
        self._slow = LoopbackServer(self._router(slow, "slow:"))
        self.base_url, self.slow_url = self._main.base_url, self._slow.base_url
        main.update(self._main_routes())
        slow.update(self._slow_routes())
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.release.set()
        self._main.close()
        self._slow.close()

    # what tests ask

    def url(self, path: str) -> str:
        if path == "refused":
            return self.refused_url
        return self.base_url + path

    def good(self) -> list[Good]:
        """Every good article this site serves that may be fetched (the blocker included when
        on); not the slow host's: its robots.txt never answers, so the host is disallowed."""
        stored = [g for g in GOOD if g.listed != "slow"]
        found = [*stored, TRUNCATED] if self.faults else list(ENGLISH[:3] + [MARKUP])
        return found + ([BLOCKER] if self.blocker else [])

    def good_url(self, good: Good) -> str:
        return (self.slow_url if good.listed == "slow" else self.base_url) + good.path

    def sources_yaml(self, path: Path) -> Path:
        """Write the sources file of this site: one hostile source and the slow-robots host."""
        main = {"name": "hostile", "concurrency": 8, "delay": 0,
                "feeds": [self.url(FEEDS[0])]}
        sources = [main]
        if self.faults:
            main["feeds"] = [self.url(f) for f in FEEDS]
            main["sitemaps"] = [self.url(s) for s in SITEMAPS]
            sources.append({"name": "slow-robots", "delay": 0,
                            "feeds": [self.slow_url + "/feed.xml"]})
        path.write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
        return path

    def clear(self) -> None:
        self.hits.clear()
        self.times.clear()

    # routes

    def _router(self, routes: dict[str, Handler], prefix: str) -> Handler:
        """Answer from `routes`; hits are counted under `prefix` + path."""
        lock = threading.Lock()

        def respond(request: BaseHTTPRequestHandler) -> None:
            path = request.path.split("?")[0]
            key = prefix + path
            with lock:
                self.hits[key] = self.hits.get(key, 0) + 1
                self.times.setdefault(key, []).append(time.monotonic())
            routes.get(path, lambda r: send(r, 404, b"not found"))(request)

        return respond

    def _page(self, good: Good) -> Handler:
        body = article_html(good, self.published)
        charset = f"; charset={good.charset}" if good.declared in ("header", "both") else ""
        return lambda r: send(r, 200, body, {"Content-Type": "text/html" + charset})

    def _feed(self, goods: list[Good], extra: list[str] = ()) -> bytes:
        date = format_datetime(self.published)
        items = [
            f"<item><title>{escape(g.title)}</title><link>{self.good_url(g)}</link>"
            f"<pubDate>{date}</pubDate></item>"
            for g in goods
        ] + [
            f"<item><title>{escape(u)}</title><link>{u}</link><pubDate>{date}</pubDate></item>"
            for u in extra
        ]
        return (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>Hostile Test Post</title><link>{self.base_url}/</link>"
            + "".join(items) + "</channel></rss>"
        ).encode()

    def _main_routes(self) -> dict[str, Handler]:
        routes: dict[str, Handler] = {
            "/robots.txt": lambda r: send(r, 200, b"User-agent: *\nAllow: /\n",
                                           {"Content-Type": "text/plain"}),
        }
        goods = [g for g in self.good() if g.listed == "feed"]
        hostile = [self.url(f.path) for f in FAULTS if f.path.startswith(("/a/", "refused"))]
        rss = {"Content-Type": "application/rss+xml"}
        feed = self._feed(goods, hostile if self.faults else [])
        routes["/feeds/main.xml"] = lambda r: send(r, 200, feed, rss)
        for good in self.good():
            if good.listed != "slow":
                routes[good.path] = self._page(good)
        if self.blocker:
            page = self._page(BLOCKER)

            def blocker(request: BaseHTTPRequestHandler) -> None:
                self.blocked.set()
                self.release.wait(120)
                page(request)

            routes[BLOCKER.path] = blocker
        if self.faults:
            routes |= self._fault_routes()
        return routes | self.extra

    def _fault_routes(self) -> dict[str, Handler]:
        stop, rss = self.stop, {"Content-Type": "application/rss+xml"}
        xml = {"Content-Type": "application/xml"}
        routes: dict[str, Handler] = {}
        for status in (500, 502, 403, 404, 410):
            routes[f"/a/status-{status}"] = lambda r, s=status: send(r, s, b"<h1>error</h1>")
        for status in (503, 429):
            routes[f"/a/status-{status}"] = lambda r, s=status: send(
                r, s, b"<h1>busy</h1>", {"Retry-After": "1"}
            )

        def reset(request: BaseHTTPRequestHandler) -> None:
            request.send_response(200)
            request.send_header("Content-Type", "text/html")
            request.send_header("Content-Length", "20000")
            request.end_headers()
            request.wfile.write(b"<html><body><p>" + b"a" * 1000)
            request.wfile.flush()
            request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                          b"\x01\x00\x00\x00\x00\x00\x00\x00")
            request.connection.close()  # linger 0: an RST, not a FIN
            request.close_connection = True

        routes["/a/reset-mid-body"] = reset
        routes["/a/silent"] = lambda r: stop.wait(30)
        html = {"Content-Type": "text/html"}
        routes["/a/trickle-slow"] = lambda r: _stream(  # slower than the read timeout
            r, 200, b"x", {**html, "Content-Length": "200"}, every=2 * READ_TIMEOUT, stop=stop)
        routes["/a/trickle-forever"] = lambda r: _stream(
            r, 10**6, b"x", {**html, "Content-Length": str(10**6)}, every=1.0, stop=stop)
        chunk = b"<p>" + b"x" * 65533
        routes["/a/huge-declared"] = lambda r: _stream(
            r, 100 * MAX_BODY, chunk, {**html, "Content-Length": str(100 * MAX_BODY)}, stop=stop)
        routes["/a/huge-streamed"] = lambda r: _stream(
            r, 100 * MAX_BODY, chunk, {**html, "Connection": "close"}, stop=stop)
        bomb = gzip_bomb()  # made before serving: ~1 s of CPU
        routes["/a/gzip-bomb"] = lambda r: send(r, 200, bomb, {"Content-Encoding": "gzip"})
        routes["/a/loop-one"] = lambda r: send(r, 302, headers={"Location": "/a/loop-two"})
        routes["/a/loop-two"] = lambda r: send(r, 302, headers={"Location": "/a/loop-one"})
        routes["/a/to-file"] = lambda r: send(r, 301, headers={"Location": "file:///etc/passwd"})
        pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
        routes["/a/annual-report-2026"] = lambda r: send(
            r, 200, pdf, {"Content-Type": "application/pdf"})
        png = b"\x89PNG\r\n\x1a\n" + bytes(64)
        routes["/a/photo-of-the-day"] = lambda r: send(r, 200, png, {"Content-Type": "image/png"})
        routes["/a/empty-page"] = lambda r: send(r, 200, b"")
        truncated = article_html(TRUNCATED, self.published)
        truncated = truncated[: truncated.index(b" on</p>") + 3]  # cut mid-paragraph
        routes[TRUNCATED.path] = lambda r: send(r, 200, truncated)
        routes["/feeds/not-xml"] = lambda r: send(
            r, 200, b"<html><body><h1>Feed moved</h1><p>Sorry & goodbye</body>", rss)
        routes["/feeds/lol.xml"] = lambda r: send(r, 200, LOL_FEED, rss)
        routes["/feeds/xxe.xml"] = lambda r: send(r, 200, XXE_FEED, rss)
        routes["/sitemaps/xxe.xml"] = lambda r: send(r, 200, XXE_SITEMAP, xml)
        big = self._big_feed()

        def big_feed(request: BaseHTTPRequestHandler) -> None:
            # sent in four parts over `big_feed_delay` s (each pause under the read timeout)
            request.send_response(200)
            request.send_header("Content-Type", rss["Content-Type"])
            request.send_header("Content-Length", str(len(big)))
            request.end_headers()
            step = len(big) // 4 + 1
            for start in range(0, len(big), step):
                stop.wait(self.big_feed_delay / 4)
                request.wfile.write(big[start : start + step])
                request.wfile.flush()

        routes["/feeds/big.xml"] = big_feed
        index = (
            "<?xml version='1.0' encoding='UTF-8'?>"
            "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            f"<sitemap><loc>{self.base_url}/sitemaps/index.xml</loc></sitemap>"
            f"<sitemap><loc>{self.base_url}/sitemaps/news.xml</loc></sitemap>"
            "</sitemapindex>"
        ).encode()
        routes["/sitemaps/index.xml"] = lambda r: send(r, 200, index, xml)
        news = "".join(
            f"<url><loc>{self.good_url(g)}</loc><lastmod>{self.published.isoformat()}</lastmod>"
            "</url>"
            for g in self.good() if g.listed == "sitemap"
        )
        sitemap = (
            "<?xml version='1.0' encoding='UTF-8'?>"
            f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{news}</urlset>"
        ).encode()
        routes["/sitemaps/news.xml"] = lambda r: send(r, 200, gzip.compress(sitemap), xml)
        return routes

    def _big_feed(self) -> bytes:
        """50,000 items: all but the last older than the source's window (an archive feed)."""
        old = format_datetime(self.published - timedelta(days=400))
        items = "".join(
            f"<item><link>/archive/{n}-old-story</link><pubDate>{old}</pubDate></item>"
            for n in range(BIG_FEED_ITEMS - 1)
        )
        last = next(g for g in GOOD if g.listed == "big-feed")
        items += (
            f"<item><title>{escape(last.title)}</title><link>{self.good_url(last)}</link>"
            f"<pubDate>{format_datetime(self.published)}</pubDate></item>"
        )
        return (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>Archive</title>"
            f"{items}</channel></rss>"
        ).encode()

    def _slow_routes(self) -> dict[str, Handler]:
        """The second host: robots.txt never answers, so (RFC 9309) nothing else is fetched."""
        good = next(g for g in GOOD if g.listed == "slow")
        feed = self._feed([good])
        routes = {
            "/robots.txt": lambda r: self.stop.wait(30),
            "/feed.xml": lambda r: send(r, 200, feed, {"Content-Type": "application/rss+xml"}),
            good.path: self._page(good),
        }
        return routes


BLOCKER = Good(
    "/a/blocking-article-on-the-free-and-open-indo-pacific",
    "Ministers restate the Free and Open Indo-Pacific vision",
    (
        "Ministers from Japan and the Philippines restated their commitment to a Free and "
        "Open Indo-Pacific at a meeting on maritime law in Manila.",
        "They called for disputes in the South China Sea to be settled under international "
        "law and welcomed more coast guard cooperation.",
        "The meeting also reviewed progress on the Reciprocal Access Agreement and on "
        "radar deliveries under Japan's security assistance.",
        "A follow-up meeting of senior officials is planned for the autumn in Tokyo, the "
        "two foreign ministries said in a joint statement.",
    ),
)

_LOL = "".join(
    f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * 10}">' for n in range(1, 10)
)
LOL_FEED = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">' + _LOL + "]>"
    "<rss version='2.0'><channel><title>&l9;</title><item><title>&l9;</title>"
    "<link>http://127.0.0.1/a/lol-entity-story-here</link></item></channel></rss>"
).encode()
XXE_FEED = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<rss version='2.0'><channel><title>&xxe;</title><item><title>&xxe;</title>"
    b"<link>http://127.0.0.1/a/xxe-entity-story-here</link></item></channel></rss>"
)
XXE_SITEMAP = (
    b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
    b"<url><loc>http://127.0.0.1/a/&xxe;</loc></url></urlset>"
)


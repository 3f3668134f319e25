"""Security: the SSRF guard on every hop, XML entities, header injection, secrets.

Everything from the web is untrusted; so is everything in config files that reaches a mail
header. Secrets (the SMTP password, the database password) must not appear anywhere a run
writes: the database, the out folder, logs, Prefect's own database (logs, artifacts,
parameters, states) and the messages sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpcore
import pytest
import yaml
from sqlalchemy.engine import URL, make_url

from extractors.errors import DiscoveryFailed, FetchFailed
from extractors.fetch.addresses import ForbiddenAddress, VettedBackend, check_address
from extractors.fetch.client import Fetcher, HostPolicy, make_client
from extractors.listings.discover import parse_feed, parse_sitemap
from pactwatch.settings import load_settings
from tests.dbs import new_pg_schema, pg_database  # noqa: F401 - the session's PostgreSQL
from tests.faults.hostile_site import HostileSite, fault_env, send

PACTWATCH = str(Path(sys.executable).parent / "pactwatch")

# --- server-side request forgery -------------------------------------------------------------

FORBIDDEN = [
    "http://localhost/",  # a name that resolves to loopback
    "http://127.1/",  # short, decimal, hex and octal spellings of 127.0.0.1
    "http://2130706433/",
    "http://0x7f000001/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://0.0.0.0/",
    "http://[fc00::1]/",
    "http://224.0.0.1/",  # multicast
]


@pytest.mark.parametrize("url", FORBIDDEN)
def test_private_loopback_and_link_local_addresses_are_refused_by_default(url: str) -> None:
    with pytest.raises(FetchFailed) as refused:
        check_address(url, allow_private=False)
    assert refused.value.kind == "forbidden-address"
    assert "PACTWATCH_ALLOW_PRIVATE_ADDRESSES" in refused.value.reason
    check_address(url, allow_private=True)  # the explicit setting allows them


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://127.0.0.1/", "javascript:alert(1)", "http:///x"]
)
def test_only_http_urls_with_a_host_are_fetched(url: str) -> None:
    with pytest.raises(FetchFailed) as refused:
        check_address(url, allow_private=True)
    assert refused.value.kind == "invalid-url"


def test_private_addresses_are_refused_by_default_settings() -> None:
    assert load_settings({}).allow_private_addresses is False


def test_every_redirect_hop_is_checked_after_dns_resolution() -> None:
    """A redirect from an allowed host to a name that resolves to a forbidden address is
    refused before the second request. 127.0.0.1 stands for a public host here: the guard
    allows that literal address only, as the real one allows public addresses only."""
    settings = load_settings(fault_env())
    vetted: list[str] = []

    def guard(url: str) -> None:
        vetted.append(url)
        check_address(url, allow_private=urlsplit(url).hostname == "127.0.0.1")

    article = "/a/manila-tokyo-access-pact-ratified"

    def to_localhost(request: Any) -> None:
        port = request.server.server_address[1]
        send(request, 302, headers={"Location": f"http://localhost:{port}{article}"})

    async def fetch(url: str) -> Any:
        options = settings.fetch_options()
        async with make_client(options) as client:
            fetcher = Fetcher(client, options, {}, HostPolicy(4, 0), guard=guard)
            try:
                return await fetcher.fetch(url, require_html=True)
            except FetchFailed as exc:
                return exc

    with HostileSite(faults=False, extra={"/redirect": to_localhost}) as site:
        result = asyncio.run(fetch(site.url("/redirect")))
        target = f"http://localhost:{urlsplit(site.base_url).port}{article}"
        assert isinstance(result, FetchFailed) and result.kind == "forbidden-address", result
        assert vetted == [site.url("/redirect"), target]
        assert site.hits.get(article) is None, "the forbidden hop was requested"
        allowed = asyncio.run(fetch(site.url(article)))  # the control: the guard lets it be
        assert allowed.final_url == site.url(article)


def test_a_name_that_rebinds_to_a_private_address_gets_no_request() -> None:
    """DNS rebinding: the name resolved to a public address for the check and resolves to a
    private one when the connection is made. Simulated with a guard that passes everything:
    the connection layer resolves and vets the host itself, so nothing is sent to it."""
    settings = load_settings({**fault_env(), "PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "false"})
    article = "/a/manila-tokyo-access-pact-ratified"

    async def fetch(url: str) -> Any:
        options = settings.fetch_options()
        async with make_client(options) as client:
            fetcher = Fetcher(client, options, {}, HostPolicy(4, 0), guard=lambda url: None)
            try:
                return await fetcher.fetch(url, require_html=True)
            except FetchFailed as exc:
                return exc

    with HostileSite(faults=False) as site:
        result = asyncio.run(fetch(site.url(article)))
        assert site.hits.get(article) is None, "the request reached the private address"
    assert isinstance(result, FetchFailed) and result.kind == "forbidden-address", result
    assert "resolves to non-public address 127.0.0.1" in result.reason


class LoopbackStandsForPublic(VettedBackend):
    """127.0.0.1 (and 127.0.0.3) stand in for public addresses; `answers` replaces DNS."""

    def __init__(self, answers: list[str] | None = None) -> None:
        super().__init__(allow_private=False)
        self.answers = answers

    def allowed(self, address: Any) -> bool:
        return str(address) in ("127.0.0.1", "127.0.0.3")

    async def resolve(self, host: str, port: int, timeout: float | None) -> list[Any]:
        if self.answers is None:
            return await super().resolve(host, port, timeout)
        return [ipaddress.ip_address(a) for a in self.answers]


async def _status(url: str, backend: VettedBackend, connect_timeout: float = 5.0) -> int:
    timeouts = {"connect": connect_timeout, "read": 5.0, "write": 5.0, "pool": 5.0}
    async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
        response = await pool.request("GET", url, extensions={"timeout": timeouts})
        return response.status


def test_the_connection_layer_connects_to_the_address_it_vetted() -> None:
    """The allowed path of VettedBackend: the name is resolved, vetted and connected to, and
    the answer comes back; an address that fails the vetting gets no request."""
    article = "/a/manila-tokyo-access-pact-ratified"
    with HostileSite(faults=False) as site:
        assert asyncio.run(_status(site.url(article), LoopbackStandsForPublic())) == 200
        assert site.hits.get(article) == 1
        with pytest.raises(ForbiddenAddress, match="non-public address 127.0.0.2"):
            other = site.url(article).replace("127.0.0.1", "127.0.0.2")
            asyncio.run(_status(other, LoopbackStandsForPublic()))
        assert site.hits.get(article) == 1


def test_a_black_holed_first_address_does_not_hold_the_connection() -> None:
    """A name with two addresses whose first drops every SYN (a listener with a full accept
    queue on 127.0.0.3 stands for a broken IPv6 route): the second address is tried after a
    quarter of a second and answers, long before the first attempt's 60 s connect timeout."""
    article = "/a/manila-tokyo-access-pact-ratified"
    with HostileSite(faults=False) as site:
        port = urlsplit(site.base_url).port
        hole = socket.socket()
        hole.bind(("127.0.0.3", port))
        hole.listen(0)
        fillers = []
        for _ in range(4):  # fill the accept queue: the kernel then drops new SYNs
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.3", port))
            fillers.append(filler)
        try:
            backend = LoopbackStandsForPublic(["127.0.0.3", "127.0.0.1"])
            url = site.url(article).replace("127.0.0.1", "pact.example")
            status = asyncio.run(asyncio.wait_for(_status(url, backend, 60.0), 20.0))
            assert status == 200 and site.hits.get(article) == 1
        finally:
            for sock in (*fillers, hole):
                sock.close()


def test_a_run_with_default_settings_fetches_nothing_on_loopback(
    prefect_harness: None, pipeline_env: dict[str, str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.ingest import ingest_flow

    monkeypatch.setenv("PACTWATCH_ALLOW_PRIVATE_ADDRESSES", "false")
    with HostileSite(faults=False) as site:
        result = ingest_flow(sources_file=str(site.sources_yaml(tmp_path / "sources.yaml")))
        assert site.hits == {}, "a request reached a loopback server"
    assert result["stored"] == 0 and result["failed"] == 1
    status = subprocess.run(
        [PACTWATCH, "status", "--json"], capture_output=True, text=True, check=True
    )
    assert '"forbidden-address": 1' in status.stdout


# --- XML entities ----------------------------------------------------------------------------

XXE = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
LOL = "<!DOCTYPE r [<!ENTITY a \"lol\">" + "".join(
    f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(8)
) + "]>"
PAD = "<!--" + "p" * 70_000 + "-->"  # pushes the DOCTYPE past the first 64 KB


def _feed(doctype: str, entity: str) -> str:
    return (
        f'<?xml version="1.0" encoding="ENC"?>{doctype}<rss version="2.0"><channel><title>t'
        f"</title><item><title>{entity}</title><link>http://x.example/a-long-story-{entity}"
        "</link></item></channel></rss>"
    )


def _sitemap(doctype: str, entity: str) -> str:
    return (
        f'<?xml version="1.0" encoding="ENC"?>{doctype}'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>http://x.example/{entity}</loc></url></urlset>"
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("padded", [False, True], ids=["plain", "doctype-after-64kb"])
@pytest.mark.parametrize("attack", ["external-entity", "entity-bomb"])
@pytest.mark.parametrize("listing", ["feed", "sitemap"])
def test_xml_entities_are_refused_or_never_expanded(
    listing: str, attack: str, padded: bool, encoding: str
) -> None:
    """No external entity is read and no entity expands, however the DOCTYPE is hidden."""
    doctype, entity = (XXE, "&x;") if attack == "external-entity" else (LOL, "&i;")
    make, parse = (_feed, parse_feed) if listing == "feed" else (_sitemap, parse_sitemap)
    document = make((PAD if padded else "") + doctype, entity).replace("ENC", encoding)
    try:
        found = parse(document.encode(encoding), "http://x.example/listing")
    except DiscoveryFailed as exc:
        assert exc.kind == "parse"
        return
    text = " ".join(f"{c.url} {c.title or ''}" for c in found.candidates)
    assert "root:" not in text and "lollol" not in text, text[:200]
    assert len(text) < 500


# --- header injection ------------------------------------------------------------------------


def test_config_text_cannot_inject_mail_headers_through_a_real_smtp_server(
    tmp_path: Path, sqlite_url: str
) -> None:
    from aiosmtpd.controller import Controller

    from pactwatch.digest import run
    from pactwatch.digest.recipients import load_recipients
    from tests.test_digest import seed, write_config
    from tests.test_mail import WEEK, Inbox, free_port

    seed(sqlite_url)
    hostile = {"address": "a@example.org", "name": "Ann\r\nBcc: evil@attacker.test\u2028X: y"}
    env = write_config(tmp_path, [hostile])
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"recipients": [{"address": "b@example.org\r\nBcc: e@x.test"}]}))
    with pytest.raises(Exception, match="not an email address"):
        load_recipients(bad)
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        settings = load_settings({
            **env,
            "PACTWATCH_DATABASE_URL": sqlite_url,
            "PACTWATCH_OUT_DIR": str(tmp_path / "out"),
            "PACTWATCH_SMTP_HOST": "127.0.0.1",
            "PACTWATCH_SMTP_PORT": str(server.port),
            "PACTWATCH_SMTP_SECURITY": "none",
            "PACTWATCH_MAIL_FROM": "pactwatch <d@example.org>\r\nBcc: from@attacker.test",
            "PACTWATCH_UNSUBSCRIBE_URL": "https://example.org/u\nBcc: u@attacker.test",
        })
        prepared = run.prepare(settings, WEEK)
        assert run.send(settings, [prepared])[WEEK].delivered == ["a@example.org"]
    finally:
        server.stop()
    [(recipients, message)] = inbox.messages
    assert recipients == ["a@example.org"]
    head = message.as_bytes().replace(b"\r\n", b"\n").split(b"\n\n")[0]
    names = [line.split(b":")[0].lower() for line in head.split(b"\n") if line[:1].strip()]
    assert b"bcc" not in names and b"x" not in names, head  # the text stayed inside its header
    assert message["Bcc"] is None
    assert list(message.keys()).count("To") == 1
    assert message["To"].addresses[0].addr_spec == "a@example.org"
    assert "\n" not in str(message["To"]) and "\n" not in str(message["From"])


# --- secrets ---------------------------------------------------------------------------------


def _dump(database_url: str) -> bytes:
    """Every row of every table at `database_url`, as text (what a dump would hold)."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(database_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            rows = [repr(tuple(row)) for table in metadata.sorted_tables
                    for row in conn.execute(select(table))]
    finally:
        engine.dispose()
    return "\n".join(rows).encode()


def _with_password(database_url: str, password: str) -> str:
    return make_url(database_url).set(password=password).render_as_string(hide_password=False)


def test_secrets_never_appear_in_anything_a_run_writes(
    prefect_harness: None,
    pipeline_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    pg_database: URL,  # noqa: F811
) -> None:
    """Ingest and digest (delivered through SMTP with a login) with a unique SMTP password and
    a database password; then grep the database dump, the out folder, the captured logs and
    output, Prefect's database (logs, artifacts, parameters, states) and the message sent."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
    from prefect.logging.handlers import APILogHandler
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL

    from flows.digest import digest_flow
    from flows.ingest import ingest_flow
    from tests.test_mail import Inbox, free_port

    smtp_password, db_password = f"smtp{secrets.token_hex(12)}", f"db{secrets.token_hex(12)}"
    schema_url = new_pg_schema(pg_database)
    logins: list[bytes] = []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == smtp_password.encode()
        logins.append(auth_data.password if ok else b"")
        return AuthResult(success=ok, handled=False)

    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=free_port(),
                        authenticator=authenticate, auth_require_tls=False)
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text(yaml.safe_dump({"recipients": [{"address": "a@example.org"}]}))
    env = {
        **fault_env(),
        "PACTWATCH_DATABASE_URL": _with_password(schema_url, db_password),
        "PACTWATCH_RECIPIENTS_FILE": str(recipients),
        "PACTWATCH_SMTP_HOST": "127.0.0.1",
        "PACTWATCH_SMTP_PORT": str(server.port),
        "PACTWATCH_SMTP_SECURITY": "none",
        "PACTWATCH_SMTP_USERNAME": "digest",
        "PACTWATCH_SMTP_PASSWORD": smtp_password,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="prefect")
    server.start()
    try:
        with HostileSite(faults=False) as site:
            ingested = ingest_flow(sources_file=str(site.sources_yaml(tmp_path / "s.yaml")))
            week = site.published.astimezone(ZoneInfo("Asia/Tokyo")).isocalendar()
            digest = digest_flow(week=f"{week.year}-W{week.week:02d}", send=True)
    finally:
        server.stop()
    assert ingested["stored"] > 0 and digest["delivered"] == ["a@example.org"]
    assert logins == [smtp_password.encode()], "the run did not log in with the password"
    APILogHandler().flush()

    written: dict[str, bytes] = {}
    for path in Path(pipeline_env["PACTWATCH_OUT_DIR"]).rglob("*"):
        if path.is_file():
            written[str(path)] = path.read_bytes()
    written["database dump"] = _dump(schema_url)
    prefect_db = Path(
        make_url(str(PREFECT_SERVER_DATABASE_CONNECTION_URL.value())).database or ""
    )
    for path in prefect_db.parent.glob(prefect_db.name + "*"):
        written[f"Prefect database {path.name}"] = path.read_bytes()
    written["captured logs"] = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records
    ).encode()
    out, err = capfd.readouterr()
    written["stdout and stderr"] = (out + err).encode()
    written["message sent"] = b"".join(m.as_bytes() for _, m in inbox.messages)

    assert b"ingest-summary" in written[f"Prefect database {prefect_db.name}"] + b"".join(
        v for k, v in written.items() if k.startswith("Prefect")
    ), "not Prefect's database: no artifact of the run in it"
    assert b"Manila" in written["database dump"], "the dump holds no articles"
    for secret in (smtp_password, db_password):
        leaks = [where for where, data in written.items() if secret.encode() in data]
        assert leaks == [], f"{secret[:4]}… found in {leaks}"


def test_status_does_not_print_the_database_password(
    pg_database: URL,  # noqa: F811
) -> None:
    password = f"db{secrets.token_hex(12)}"
    url = _with_password(new_pg_schema(pg_database), password)
    env = {**os.environ, "PACTWATCH_DATABASE_URL": url}
    result = subprocess.run([PACTWATCH, "status"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-1000:]
    assert password not in result.stdout + result.stderr

"""Turn a stored digest into one EmailMessage per recipient and deliver it exactly once.

    DeliveryFailed(recipient, reason, certain)   one recipient's copy did not go out;
                                                 `certain=False` means it may have
Delivery goes to the outbox folder (`<outbox>/<week>-<recipient-slug>.eml`, the default) or
through SMTP (STARTTLS, SSL or plain, with a timeout). Each copy is claimed ("sending") and
committed before it leaves and marked "sent" or "failed" after; a recipient already "sent"
for the week is skipped, and one left "sending" by a crash is never resent automatically.
The SMTP password is only handed to `SMTP.login`; it is never logged or stored.
"""

from __future__ import annotations

import os
import re
import secrets
import smtplib
import ssl
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session

from extractors.errors import ConfigError, PactwatchError
from pactwatch.digest import queries
from pactwatch.digest.context import safe_url
from pactwatch.digest.recipients import Recipient
from pactwatch.settings import Settings
from storage.models import utcnow


class DeliveryFailed(PactwatchError):
    """One recipient's copy could not be delivered; `certain` is False if it may have been."""

    def __init__(self, recipient: str, reason: str, certain: bool = True) -> None:
        super().__init__(f"{recipient}: {reason}")
        self.recipient = recipient
        self.reason = reason
        self.certain = certain


@dataclass(frozen=True)
class MailOptions:
    """How digests leave: sender, optional SMTP server, outbox folder."""

    sender: str
    outbox_dir: Path
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls, ssl or none
    smtp_username: str = ""
    smtp_password: SecretStr = field(default=SecretStr(""), repr=False)
    smtp_timeout: float = 30.0
    unsubscribe_url: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> MailOptions:
        """Options from settings, or from a prefect-email `EmailServerCredentials` block
        when `smtp_credentials_block` names one (server, port, security and login)."""
        options = cls(
            sender=settings.mail_from,
            outbox_dir=settings.outbox_dir,
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            smtp_security=settings.smtp_security.lower(),
            smtp_username=settings.smtp_username,
            smtp_password=settings.smtp_password,
            smtp_timeout=settings.smtp_timeout,
            unsubscribe_url=settings.unsubscribe_url,
        )
        block = settings.smtp_credentials_block
        return options.with_block(block) if block else options.checked()

    def with_block(self, name: str) -> MailOptions:
        """These options with server and login from an EmailServerCredentials block."""
        from prefect_email import EmailServerCredentials

        try:
            creds = EmailServerCredentials.load(name)
        except ValueError as exc:
            raise ConfigError(f"EmailServerCredentials block {name!r}: {exc}") from None
        kind = str(getattr(creds.smtp_type, "name", creds.smtp_type)).lower()
        return MailOptions(
            sender=self.sender,
            outbox_dir=self.outbox_dir,
            smtp_host=str(getattr(creds.smtp_server, "value", creds.smtp_server)),
            smtp_port=int(creds.smtp_port or self.smtp_port),
            smtp_security={"insecure": "none"}.get(kind, kind),
            smtp_username=creds.username or "",
            smtp_password=creds.password or SecretStr(""),
            smtp_timeout=self.smtp_timeout,
            unsubscribe_url=self.unsubscribe_url,
        ).checked()

    def checked(self) -> MailOptions:
        """Raise ConfigError for a sender or security mode that cannot work."""
        if self.smtp_security not in ("starttls", "ssl", "none"):
            raise ConfigError(
                f"PACTWATCH_SMTP_SECURITY: {self.smtp_security!r} is not starttls, ssl or none"
            )
        if "@" not in parseaddr(header_text(self.sender))[1]:
            raise ConfigError(f"PACTWATCH_MAIL_FROM: no email address in {self.sender!r}")
        return self


@dataclass(frozen=True)
class Outgoing:
    """A recipient and the stored digest (by id) they should receive."""

    recipient: Recipient
    digest_id: int


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # delivered by an earlier run
    failed: dict[str, str] = field(default_factory=dict)


def header_text(value: str) -> str:
    """Header-safe text: CR, LF and other control characters become spaces."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", value).split())


def build_message(
    subject: str,
    text: str,
    html: str,
    recipient: Recipient,
    options: MailOptions,
    message_id: str,
    now: datetime,
) -> EmailMessage:
    """A multipart/alternative message: text/plain, then text/html, both UTF-8."""
    msg = EmailMessage()
    msg["From"] = header_text(options.sender)
    msg["To"] = Address(display_name=recipient.name, addr_spec=recipient.address)
    msg["Subject"] = header_text(subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = header_text(message_id)
    url = safe_url(header_text(options.unsubscribe_url))
    if url:
        msg["List-Unsubscribe"] = f"<{url}>"
    msg.set_content(text, charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg


def new_message_id(options: MailOptions, week: str) -> str:
    domain = parseaddr(header_text(options.sender))[1].rpartition("@")[2] or "localhost"
    return f"<pactwatch.{week.lower()}.{secrets.token_hex(8)}@{domain}>"  # short: never folded


class Transport(Protocol):
    def send(self, msg: EmailMessage, recipient: Recipient, week: str) -> None: ...


class Outbox:
    """Writes each message to `<dir>/<week>-<recipient-slug>.eml` (atomically)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, msg: EmailMessage, recipient: Recipient, week: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{week}-{recipient.slug}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(msg.as_bytes())
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise DeliveryFailed(recipient.address, f"outbox: {exc}") from None


class Smtp:
    """One SMTP session; `send` raises DeliveryFailed per recipient."""

    def __init__(self, client: smtplib.SMTP, sender: str) -> None:
        self.client = client
        self.envelope_from = parseaddr(sender)[1]
        self.broken = ""

    def send(self, msg: EmailMessage, recipient: Recipient, week: str) -> None:
        if self.broken:
            raise DeliveryFailed(recipient.address, f"not attempted: {self.broken}")
        try:
            self.client.send_message(msg, self.envelope_from, [recipient.address])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients.get(recipient.address, (0, b"refused"))
            raise DeliveryFailed(recipient.address, f"refused: {code} {_reply(reply)}") from None
        except smtplib.SMTPResponseException as exc:  # sender or data refused: not delivered
            raise DeliveryFailed(
                recipient.address, f"refused: {exc.smtp_code} {_reply(exc.smtp_error)}"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.broken = f"connection lost: {exc or type(exc).__name__}"
            raise DeliveryFailed(recipient.address, self.broken, certain=False) from None


@contextmanager
def smtp_session(options: MailOptions) -> Iterator[Smtp]:
    """Connect, secure and log in; raise DeliveryFailed("*") when the server cannot be used."""
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if options.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(
                options.smtp_host,
                options.smtp_port,
                timeout=options.smtp_timeout,
                context=context,
            )
        else:
            client = smtplib.SMTP(
                options.smtp_host, options.smtp_port, timeout=options.smtp_timeout
            )
        with client:
            if options.smtp_security == "starttls":
                client.starttls(context=context)
            if options.smtp_username:
                client.login(options.smtp_username, options.smtp_password.get_secret_value())
            yield Smtp(client, options.sender)
    except (smtplib.SMTPException, OSError) as exc:
        where = f"{options.smtp_host}:{options.smtp_port}"
        raise DeliveryFailed("*", f"SMTP {where}: {exc or type(exc).__name__}") from None


def deliver(
    engine: Engine,
    week: str,
    outgoing: Sequence[Outgoing],
    options: MailOptions,
    now: datetime | None = None,
) -> DeliveryReport:
    """Send each recipient their stored digest once; record every attempt.

    Never raises for a recipient: failures (refused, unreachable server, outbox not
    writable) come back in the report and as "failed" delivery rows, and the next run
    retries exactly those.
    """
    report = DeliveryReport()
    with Session(engine) as s:
        done = queries.deliveries_of(s, week)
    todo: list[Outgoing] = []
    for out in outgoing:
        row = done.get(out.recipient.key)
        if row is not None and row.state == "sent":
            report.skipped.append(out.recipient.address)
        elif row is not None and row.state == "sending":
            report.failed[out.recipient.address] = (
                "an earlier attempt was interrupted and may have been delivered; not resent"
            )
        else:
            todo.append(out)
    if not todo:
        return report
    try:
        if options.smtp_host:
            with smtp_session(options) as smtp:
                _send_all(engine, week, todo, options, smtp, now, report)
        else:
            _send_all(engine, week, todo, options, Outbox(options.outbox_dir), now, report)
    except DeliveryFailed as exc:  # the server could not be used at all
        with Session(engine) as s, s.begin():
            for out in todo:
                if out.recipient.address not in {*report.delivered, *report.failed}:
                    queries.mark_delivery(
                        s, out.digest_id, out.recipient.address, "failed", exc.reason
                    )
                    report.failed[out.recipient.address] = exc.reason
    return report


def _send_all(
    engine: Engine,
    week: str,
    todo: Sequence[Outgoing],
    options: MailOptions,
    transport: Transport,
    now: datetime | None,
    report: DeliveryReport,
) -> None:
    for out in todo:
        address = out.recipient.address
        with Session(engine) as s, s.begin():
            digest = queries.get_digest(s, out.digest_id)
            if digest is None:
                raise LookupError(f"digest {out.digest_id} vanished")
            subject, text, html = digest.subject, digest.text, digest.html
            message_id = queries.claim_delivery(
                s, out.digest_id, address, new_message_id(options, week)
            )
        if message_id is None:  # another run holds it
            report.skipped.append(address)
            continue
        msg = build_message(
            subject, text, html, out.recipient, options, message_id, now or utcnow()
        )
        try:
            transport.send(msg, out.recipient, week)
        except DeliveryFailed as exc:
            report.failed[address] = exc.reason
            if exc.certain:
                with Session(engine) as s, s.begin():
                    queries.mark_delivery(s, out.digest_id, address, "failed", exc.reason)
            continue
        with Session(engine) as s, s.begin():
            queries.mark_delivery(s, out.digest_id, address, "sent")
        report.delivered.append(address)


def _reply(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return header_text(text)[:300]

"""One mail path for digests and alerts: messages, and the outbox or SMTP that carries them.

    DeliveryFailed(recipient, reason, certain)   a message did not go out;
                                                 `certain=False` means it may have
Mail goes to the outbox folder (`<outbox>/<name>.eml`, the default) or through SMTP
(STARTTLS, SSL or plain, with a timeout), configured by PACTWATCH_SMTP_* or a prefect-email
credentials block (`MailOptions.from_settings`). An SMTP exchange reports its progress
(rcpt-accepted, then data-sent just before the message data goes out), so a caller that
records it knows whether the server can have accepted a message from a sender that died.
`deliver` (exactly once per recipient) lives in `pactwatch.digest.delivery`; `send_alert`
sends an operator alert. The SMTP password is only handed to `SMTP.login`; it is never
logged or stored.
"""

from __future__ import annotations

import os
import re
import secrets
import smtplib
import ssl
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from extractors.errors import ConfigError, PactwatchError
from pactwatch.digest.context import safe_url
from pactwatch.digest.recipients import Recipient
from pactwatch.settings import Settings
from storage.models import utcnow

Progress = Callable[[str], None]


def _ignore(stage: str) -> None:
    pass


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
    claim_stage: str  # how far the exchange is when a copy is claimed

    def send(self, msg: EmailMessage, to: Sequence[str], name: str, progress: Progress) -> None:
        """Send `msg` to the addresses `to` (`name`: its file name in an outbox)."""
        ...


class Outbox:
    """Writes each message to `<dir>/<name>.eml` atomically (rewriting is harmless)."""

    claim_stage = "claimed"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(
        self, msg: EmailMessage, to: Sequence[str], name: str, progress: Progress = _ignore
    ) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{name}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(msg.as_bytes())
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise DeliveryFailed(", ".join(to), f"outbox: {exc}") from None


class Smtp:
    """One SMTP session; `send` raises DeliveryFailed per message.

    MAIL and RCPT are sent step by step (not `send_message`) so the caller hears "rcpt-
    accepted" and then "data-sent" just before the data: until then the server cannot have
    accepted the message, and a failure is certain.
    """

    claim_stage = "connected"

    def __init__(self, client: smtplib.SMTP, sender: str) -> None:
        self.client = client
        self.envelope_from = parseaddr(sender)[1]
        self.broken = ""

    def send(
        self, msg: EmailMessage, to: Sequence[str], name: str, progress: Progress = _ignore
    ) -> None:
        who = ", ".join(to)
        if self.broken:
            raise DeliveryFailed(who, f"not attempted: {self.broken}")
        international = not "".join([self.envelope_from, *to]).isascii()
        try:
            self._envelope(to, international)
        except smtplib.SMTPResponseException as exc:  # refused before any data: not delivered
            self._reset()
            raise DeliveryFailed(
                who, f"refused: {exc.smtp_code} {_reply(exc.smtp_error)}"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.broken = f"connection lost: {exc or type(exc).__name__}"
            raise DeliveryFailed(who, self.broken) from None
        progress("rcpt-accepted")
        progress("data-sent")
        data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n", utf8=international))
        try:
            self.client.data(data)
        except smtplib.SMTPResponseException as exc:  # DATA or the message refused
            raise DeliveryFailed(
                who, f"refused: {exc.smtp_code} {_reply(exc.smtp_error)}"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.broken = f"connection lost: {exc or type(exc).__name__}"
            reason = f"{self.broken} after the message data was sent; may have been delivered"
            raise DeliveryFailed(who, reason, certain=False) from None

    def _envelope(self, to: Sequence[str], international: bool) -> None:
        """MAIL FROM and RCPT TO; raise SMTPResponseException for a refusal."""
        options: list[str] = []
        if international:
            if not self.client.has_extn("smtputf8"):
                raise smtplib.SMTPResponseException(553, b"server lacks SMTPUTF8")
            options = ["SMTPUTF8", "BODY=8BITMIME"]
        code, reply = self.client.mail(self.envelope_from, options)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, self.envelope_from)
        for address in to:
            code, reply = self.client.rcpt(address)
            if code not in (250, 251):
                raise smtplib.SMTPResponseException(code, reply)

    def _reset(self) -> None:
        try:
            self.client.rset()
        except (smtplib.SMTPException, OSError) as exc:
            self.broken = f"connection lost: {exc or type(exc).__name__}"


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
            client.ehlo_or_helo_if_needed()
            if options.smtp_security == "starttls":
                client.starttls(context=context)
            if options.smtp_username:
                client.login(options.smtp_username, options.smtp_password.get_secret_value())
            yield Smtp(client, options.sender)
    except (smtplib.SMTPException, OSError) as exc:
        where = f"{options.smtp_host}:{options.smtp_port}"
        raise DeliveryFailed("*", f"SMTP {where}: {exc or type(exc).__name__}") from None


@contextmanager
def transport(options: MailOptions) -> Iterator[Transport]:
    """An SMTP session when a server is configured, else the outbox."""
    if options.smtp_host:
        with smtp_session(options) as smtp:
            yield smtp
    else:
        yield Outbox(options.outbox_dir)


def send_alert(
    options: MailOptions, to: Sequence[str], subject: str, text: str, now: datetime | None = None
) -> str:
    """Send a plain-text alert (with Date and Message-ID) the way digests go; return where
    it went. Raises DeliveryFailed when it could not be sent."""
    msg = EmailMessage()
    msg["From"] = header_text(options.sender)
    msg["To"] = ", ".join(header_text(a) for a in to)
    msg["Subject"] = header_text(subject)
    msg["Date"] = format_datetime(now or utcnow())
    message_id = new_message_id(options, "alert")
    msg["Message-ID"] = message_id
    msg.set_content(text, charset="utf-8")
    name = "alert-" + message_id.strip("<>").split("@")[0].removeprefix("pactwatch.alert.")
    with transport(options) as carrier:
        carrier.send(msg, to, name, _ignore)
    if options.smtp_host:
        return f"smtp:{options.smtp_host}:{options.smtp_port}"
    return str(options.outbox_dir / f"{name}.eml")


def _reply(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return header_text(text)[:300]

"""Sending e-mail over SMTP: the settings, and one ``Mailer`` that sends a plain-text message.

Settings come from ``TRACKTWO_SMTP_*`` (host, port, tls = none | starttls | ssl, sender, user,
password) and ``TRACKTWO_BASE_URL`` (the address links in e-mails point to). Without a host,
mail is off: the message is written to the log instead, so a local trial still shows the
confirmation link. A failed send never undoes what the person did; the inbox entry records
``failed`` and ``tracktwo doors mail`` tries again.

Every message goes to exactly one mailbox: the address is checked again here (``check_email``)
and handed to SMTP as the only envelope recipient, so no header, however it parses, can add
another.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from tracktwo._email import check_email
from tracktwo._errors import ConfigError, FieldError

__all__ = ["MailSettings", "Mailer"]

log = logging.getLogger("tracktwo.mail")
TLS_MODES = ("none", "starttls", "ssl")


@dataclass(frozen=True)
class MailSettings:
    host: str | None = None
    port: int = 25
    tls: str = "none"
    sender: str = "tracktwo@localhost"
    username: str | None = None
    password: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.tls not in TLS_MODES:
            raise ConfigError(
                f"TRACKTWO_SMTP_TLS: {self.tls!r} is not one of {', '.join(TLS_MODES)}"
            )

    @classmethod
    def from_env(cls) -> MailSettings:
        port = os.environ.get("TRACKTWO_SMTP_PORT") or ""
        if port and not port.isdigit():
            raise ConfigError(f"TRACKTWO_SMTP_PORT: expected a port number, not {port!r}")
        tls = os.environ.get("TRACKTWO_SMTP_TLS") or "none"
        return cls(
            host=os.environ.get("TRACKTWO_SMTP_HOST") or None,
            port=int(port) if port else (465 if tls == "ssl" else 25),
            tls=tls,
            sender=os.environ.get("TRACKTWO_SMTP_SENDER") or "tracktwo@localhost",
            username=os.environ.get("TRACKTWO_SMTP_USER") or None,
            password=os.environ.get("TRACKTWO_SMTP_PASSWORD") or None,
            base_url=(os.environ.get("TRACKTWO_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
        )

    def link(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


class Mailer:
    """Sends one message at a time; returns ``"sent"``, ``"off"`` or ``"failed"``."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        assert s.host is not None
        if s.tls == "ssl":
            return smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.tls == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def message(self, to: str, subject: str, body: str, language: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = formataddr(("tracktwo", self.settings.sender))
        message["To"] = to
        message["Subject"] = " ".join(subject.split())  # one line, whatever a name held
        message["Message-ID"] = make_msgid(domain=self.settings.sender.rpartition("@")[2])
        message.set_content(body, charset="utf-8")
        message["Content-Language"] = language  # after set_content, which resets Content-*
        return message

    def send(self, to: str, subject: str, body: str, language: str = "en") -> str:
        try:
            to = check_email("to", to)
        except FieldError as exc:  # an address stored before the rule, say "root,x@example.org"
            log.error("not sending mail (%s): %s", " ".join(subject.split()), exc)
            return "failed"
        message = self.message(to, subject, body, language)
        if not self.settings.host:
            log.warning("mail is off (no TRACKTWO_SMTP_HOST): to %s: %s\n%s", to, subject, body)
            return "off"
        try:
            with self._connect() as client:
                if self.settings.username:
                    client.login(self.settings.username, self.settings.password or "")
                # the envelope names the one checked address; the headers add no one
                client.send_message(message, from_addr=self.settings.sender, to_addrs=[to])
        except (OSError, smtplib.SMTPException) as exc:
            log.error("could not send mail to %s (%s): %s", to, subject, exc)
            return "failed"
        return "sent"

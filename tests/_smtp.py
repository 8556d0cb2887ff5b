"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it receives."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from _web import free_port


@dataclass
class Inbox:
    """What the server received, parsed; ``to(address)`` filters by the To header.
    ``envelopes[i]`` is the RCPT TO list of ``messages[i]``: where the server really delivers,
    whatever the headers say."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        raw = envelope.original_content or envelope.content  # type: ignore[attr-defined]
        self.messages.append(message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append(list(envelope.rcpt_tos))  # type: ignore[attr-defined]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def subjects(self, address: str) -> list[str]:
        # a long subject is folded after "Subject:"; unfolding leaves the fold's space
        return [str(m["Subject"]).strip() for m in self.to(address)]

    def link(self, address: str, path: str) -> str:
        """The path and query of the last link to ``path`` e-mailed to ``address``."""
        for message in reversed(self.to(address)):
            found = re.search(
                r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]*)", message.get_content()
            )
            if found:
                return found.group(1)
        raise AssertionError(f"no link to {path} was mailed to {address}")


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()

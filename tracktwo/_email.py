"""The one rule for an e-mail address, wherever tracktwo takes one: sign-up, ``tracktwo users
add``, a profile's contact address, and the mailer itself before it sends.

An address is exactly one mailbox, checked by ``email-validator`` (no DNS look-up: the link
mailed at sign-up proves the address works). Lists, display names, quoted local parts,
bracketed domains and control characters are refused: anything the e-mail header parser could
read as more than one recipient. The stored form is the ASCII one SMTP uses (an international
domain in its ``xn--`` spelling), lower-cased, so one mailbox is one row whatever its spelling.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from tracktwo._errors import FieldError

__all__ = ["check_email"]

_SHOWN = 80  # characters of a refused value quoted in the message


def check_email(field: str, value: str | None) -> str:
    """The normalised address; FieldError naming ``field`` if ``value`` is not one mailbox."""
    text = (value or "").strip()
    try:
        found = validate_email(
            text,
            check_deliverability=False,
            allow_smtputf8=False,  # an ASCII envelope: every SMTP server takes it
            allow_display_name=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
        )
    except EmailNotValidError as exc:
        shown = value if value is None or len(value) <= _SHOWN else value[:_SHOWN] + "..."
        raise FieldError(field, f"{shown!r} is not one e-mail address: {exc}") from None
    return found.ascii_email.lower()  # type: ignore[union-attr]

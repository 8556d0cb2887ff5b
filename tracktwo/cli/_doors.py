"""``tracktwo doors ...``: the jobs of open doors that run outside the web app (from cron)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer

from tracktwo.cli._app import app
from tracktwo.cli._common import DbOption, open_registry
from tracktwo.cli._output import FormatOption, OutputFormat, emit, output_options

doors_app = typer.Typer(help="Open doors: the monthly digest and e-mail that failed.")
app.add_typer(doors_app, name="doors")


def _last_month() -> str:
    return (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def _mailer():
    from tracktwo.doors import Mailer, MailSettings

    return Mailer(MailSettings.from_env())


@doors_app.command("digest")
@output_options
def digest(
    month: Annotated[
        str | None, typer.Option(help="YYYY-MM; default: last month (run it on the 1st).")
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """E-mail each person the profiles approved in MONTH that match theirs (once per month,
    however often it runs). SMTP settings: TRACKTWO_SMTP_HOST, _PORT, _TLS, _SENDER ..."""
    from tracktwo.doors import send_digests

    chosen = month or _last_month()
    with open_registry(db) as registry:
        counts = send_digests(registry, _mailer(), chosen)
    emit([{"month": chosen, **counts}], fmt, title="Digest")


@doors_app.command("mail")
@output_options
def mail(db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """Send again the notification e-mails that failed or never left."""
    from tracktwo.doors import retry_mail

    with open_registry(db) as registry:
        counts = retry_mail(registry, _mailer())
    emit([{"outcome": k, "messages": v} for k, v in sorted(counts.items())], fmt, title="Mail")

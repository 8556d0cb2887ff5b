"""``tracktwo doors digest`` and ``tracktwo doors mail`` as cron would run them: a real process,
SMTP settings from the environment, a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from _doors import COOPERATIVE, MARKETING, approved_pair

from tracktwo.bridges import Registry
from tracktwo.doors import Mailer, MailSettings, retry_mail, send_request

COMMAND = [sys.executable, "-c", "from tracktwo.cli import main; main()"]


def _run(home: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TRACKTWO_SMTP_HOST": "127.0.0.1",
        "TRACKTWO_SMTP_PORT": str(port),
        "TRACKTWO_BASE_URL": "https://doors.example.org",
    }
    return subprocess.run(
        [*COMMAND, "--home", str(home), "doors", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_digest_and_the_retry_of_failed_mail(tmp_path: Path, smtp) -> None:
    box, settings = smtp
    home = tmp_path / "home"
    with Registry(home=home) as registry:
        _, sokha, _, coop, marketing = approved_pair(registry, Mailer(settings), box)
        # the SMTP server is unreachable for this one: its e-mail fails, the request stands
        dead = Mailer(MailSettings(host="127.0.0.1", port=1, timeout=2))
        send_request(registry, dead, sokha, coop["id"], marketing["id"], "other")
    month = date.today().strftime("%Y-%m")
    done = _run(home, settings.port, "digest", "--month", month, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"month": month, "sent": 2, "skipped": 0, "failed": 0}]
    digest = box.to("emily@example.org")[-1].get_content()
    assert f"- {COOPERATIVE['name']} (KHM): agriculture, business" in digest
    assert "https://doors.example.org/doors/profiles/" in digest

    retried = _run(home, settings.port, "mail", "--format", "json")
    assert json.loads(retried.stdout) == [{"outcome": "sent", "messages": 1}]
    assert box.subjects("emily@example.org")[-1] == (
        f"{COOPERATIVE['name']} asks {MARKETING['name']} for a partnership"
    )
    with Registry(home=home) as registry:
        assert retry_mail(registry, Mailer(settings)) == {}  # nothing is left to send

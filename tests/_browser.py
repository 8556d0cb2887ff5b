"""What both browser test files share: Debian's Chromium driven by Playwright.

Chromium is the system's (/usr/bin/chromium, as ../shared/README.md says), never one that
``playwright install`` downloads; its flags keep it from reaching beyond 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
HAVE_PLAYWRIGHT = importlib.util.find_spec("playwright") is not None
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]  # fmt: skip
# a module's pytestmark: marked "browser", skipped (a failure in CI) without the tools
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None or not HAVE_PLAYWRIGHT,
        reason="browser tests need Chromium (apt-get install chromium) and the playwright "
        "package (pip install -e '.[dev]'); never `playwright install`",
    ),
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless Chromium (a playwright Browser), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()

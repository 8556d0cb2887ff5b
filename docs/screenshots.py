"""Take the documentation's screenshots from the real dashboard (run by hand, not by the tests).

    .venv/bin/python docs/screenshots.py [--home DIR] [--reuse] [--out docs/img]

It builds a data directory with ``tracktwo demo --no-serve`` (in a temporary folder unless
``--home`` is given; ``--reuse`` keeps a directory already built), serves the dashboard on
127.0.0.1, and saves, 1280 pixels wide:

    overview-KHM-USA.png         /pairs/KHM/USA, the whole page
    compare-KHM-USA.png          /pairs/KHM/USA/compare (Cambodia beside its busiest partners)
    recommendations-KHM-USA.png  /pairs/KHM/USA/recommendations
    compare-KHM-USA.png          /pairs/KHM/USA/compare, Cambodia beside its busiest partners
    scorecard-KHM-USA.png        /pairs/KHM/USA/scorecard, the real Cambodia-US ties
    network-KHM-USA.png          /pairs/KHM/USA/network
    ties-KHM-USA.png             /ties?a=KHM&b=USA, declined proposals included
    actors-KHM.png               /actors?country=KHM&sort=ties, filters picked from lists
    network-KHM-CHN.png          /pairs/KHM/CHN/network (Cambodia-China has the most ties)
    briefing-KHM-USA.png         the HTML briefing the demo writes, opened as a file
    briefing-KHM-USA-page1.png   the PDF briefing's first page (pdftoppm)

Needs Debian's Chromium at /usr/bin/chromium and the playwright package (never run
``playwright install``). A picture over ``MAX_BYTES`` is retaken as the first screenful only.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the live server (and the fallback data) of the tests

from _web import live_server  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]  # fmt: skip
WIDTH, SCREEN = 1280, 1000
MAX_BYTES = 400_000
PAGES = {  # file name -> dashboard path
    "overview-KHM-USA.png": "/pairs/KHM/USA",
    "compare-KHM-USA.png": "/pairs/KHM/USA/compare",
    "scorecard-KHM-USA.png": "/pairs/KHM/USA/scorecard",
    "network-KHM-USA.png": "/pairs/KHM/USA/network",
    "ties-KHM-USA.png": "/ties?a=KHM&b=USA",
    "actors-KHM.png": "/actors?country=KHM&sort=ties",
    "recommendations-KHM-USA.png": "/pairs/KHM/USA/recommendations",
    "network-KHM-CHN.png": "/pairs/KHM/CHN/network",
}
BRIEFING = "briefing-KHM-USA.html"


def tracktwo(*args: str) -> None:
    """Run the tracktwo command of this virtualenv."""
    command = Path(sys.executable).with_name("tracktwo")
    subprocess.run([str(command), *args], check=True, cwd=ROOT)


def demo_has_no_serve() -> bool:
    command = Path(sys.executable).with_name("tracktwo")
    shown = subprocess.run([str(command), "demo", "--help"], capture_output=True, text=True)
    return "--no-serve" in shown.stdout


def build(home: Path) -> None:
    """The demo's full Cambodia–US data; the tests' small directory where the demo can't."""
    if demo_has_no_serve():
        tracktwo("--home", str(home), "demo", "--no-serve")
        return
    from _web import build_home

    print("tracktwo demo has no --no-serve: using the tests' small data directory")
    build_home(home)


def briefing_of(home: Path) -> Path:
    path = home / BRIEFING
    if not path.exists():
        tracktwo("--home", str(home), "report", "KHM", "USA", "--out", str(path))
    return path


def shoot(page: Page, url: str, out: Path) -> None:
    """The whole page, or only its first screenful when the whole would be too heavy."""
    page.goto(url, wait_until="networkidle")
    page.screenshot(path=str(out), full_page=True)
    if out.stat().st_size > MAX_BYTES:
        page.screenshot(path=str(out), full_page=False)
    print(f"{out}  {out.stat().st_size // 1024} KB  ({url})")


def take(home: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    briefing = briefing_of(home)
    with live_server(home) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": SCREEN})
        page.set_default_timeout(120_000)  # the first overview computes the whole pulse
        for name, path in PAGES.items():
            shoot(page, base + path, out / name)
        shoot(page, briefing.resolve().as_uri(), out / "briefing-KHM-USA.png")
        browser.close()
    first_pdf_page(home, out / "briefing-KHM-USA-page1.png")


def first_pdf_page(home: Path, out: Path) -> None:
    """The PDF briefing's first page as the reader sees it (poppler's pdftoppm), if written."""
    pdf = home / BRIEFING.replace(".html", ".pdf")
    if not pdf.exists() or shutil.which("pdftoppm") is None:
        print(f"no {pdf.name} or no pdftoppm: the PDF's first page is not drawn")
        return
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(out.with_suffix(""))], check=True)  # fmt: skip
    print(f"{out}  {out.stat().st_size // 1024} KB  (page 1 of {pdf.name})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="data directory (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="keep a data directory built before")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    temporary = args.home is None
    home = Path(tempfile.mkdtemp(prefix="tracktwo-shots-")) / "home" if temporary else args.home
    try:
        if not (args.reuse and (home / "events.duckdb").exists()):
            build(home)
        take(home, args.out)
    finally:
        if temporary:
            shutil.rmtree(home.parent, ignore_errors=True)


if __name__ == "__main__":
    main()

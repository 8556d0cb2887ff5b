"""The briefing as PDF: the same HTML page, laid out for print by WeasyPrint.

WeasyPrint is imported only when a PDF is asked for: it needs the system's Pango library,
and a machine without it should still write HTML briefings.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from tracktwo._errors import ConfigError

__all__ = ["load_weasyprint", "write_pdf"]

PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0"


def load_weasyprint() -> ModuleType:
    """The weasyprint module, or ConfigError naming what to install."""
    try:
        import weasyprint
    # OSError: the package is there but cannot load Pango through cffi
    except (ImportError, OSError) as error:
        raise ConfigError(
            f"cannot write a PDF briefing: WeasyPrint could not be loaded ({error}). "
            "Install the Python package with pip install weasyprint and the system's Pango with "
            f"apt-get install {PANGO_PACKAGES}; or write .html instead"
        ) from error
    return weasyprint


def write_pdf(html: str, target: Path) -> Path:
    """Lay ``html`` out on A4 pages (the template's print style sheet) and write ``target``."""
    weasyprint = load_weasyprint()
    target.parent.mkdir(parents=True, exist_ok=True)
    weasyprint.HTML(string=html).write_pdf(target)
    return target

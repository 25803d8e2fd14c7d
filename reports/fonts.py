"""The CJK TrueType font the reports embed, found on this machine (no download, no internet).

ReportLab embeds a subset of a TrueType font (glyf outlines), so every 汉字 prints on any printer and
reader; it cannot embed CFF-flavoured OpenType (Noto Sans CJK's .otf/.ttc), so those are skipped.
scripts/setup_system.sh installs fonts-wqy-microhei (WenQuanYi Micro Hei, a TrueType collection).
GRIDMAP_REPORT_FONT names another .ttf/.ttc to use instead.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

NAME = "GridmapCJK"
# Where Debian's TrueType CJK packages put their fonts, most legible first.
KNOWN = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
HINT = "install a TrueType CJK font (apt-get install fonts-wqy-microhei; `make setup` does) or set GRIDMAP_REPORT_FONT"


def _candidates() -> list[str]:
    named = os.environ.get("GRIDMAP_REPORT_FONT")
    if named:
        return [named]
    found = [p for p in KNOWN if Path(p).is_file()]
    if shutil.which("fc-list"):  # any other TrueType font fontconfig knows to cover Chinese
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False).stdout
        found += sorted(line.split(":")[0].strip() for line in listed.splitlines()
                        if line.split(":")[0].strip().lower().endswith((".ttf", ".ttc")))
    return found


@functools.cache
def cjk_font() -> str:
    """Register the first usable CJK TrueType font under NAME (once per process) and return NAME."""
    for path in _candidates():
        try:
            pdfmetrics.registerFont(TTFont(NAME, path, subfontIndex=0))
        except (TTFError, OSError):
            continue  # a CFF-flavoured or unreadable font: try the next
        return NAME
    raise ImproperlyConfigured(f"no CJK TrueType font for the reports: {HINT}")

"""What a page asks the browser to fetch, read from its HTML: for the tests that check that a page
loads nothing from outside the server (dashboards, planner, admin map widget)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.contrib.staticfiles import finders

REMOTE = re.compile(r"^(https?:)?//", re.I)


def asset_urls(text: str) -> list[str]:
    """URLs a browser fetches as page assets: scripts, stylesheets and icons, and url() in inline CSS."""
    urls = re.findall(r"<script[^>]*\bsrc=[\"']([^\"']+)", text)
    urls += re.findall(r"<link[^>]*\bhref=[\"']([^\"']+)", text)
    for style in re.findall(r"<style[^>]*>(.*?)</style>", text, re.S):
        urls += css_urls(style)
    return urls


def css_urls(css: str) -> list[str]:
    return [u.strip("'\" ") for u in re.findall(r"url\(([^)]*)\)", css)] + re.findall(r"@import\s+[\"']([^\"']+)", css)


def tile_layer_urls(text: str) -> list[str]:
    """The raster tile URL templates of the page (JSON strings in the script)."""
    return [json.loads(f'"{u}"') for u in re.findall(r"L\.tileLayer\(\s*\"([^\"]+)\"", text)]


def local_file(url: str) -> Path:
    assert url.startswith("/static/"), url
    found = finders.find(url.removeprefix("/static/"))
    assert found, f"{url} is not a static file of the app"
    return Path(found)

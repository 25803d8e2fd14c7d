"""The dashboards' browser files: the one registry in geo/assets.py, shared with the planner and the admin."""

from geo.assets import UNUSED, VENDORED, Asset, localize, url

__all__ = ["UNUSED", "VENDORED", "Asset", "localize", "url"]

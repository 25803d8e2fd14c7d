"""The dashboards' basemap: the one definition in geo/basemap.py, shared with the planner and the admin."""

from geo.basemap import BASEMAPS, TIANDITU, TileSource, add_basemap, sources

__all__ = ["BASEMAPS", "TIANDITU", "TileSource", "add_basemap", "sources"]

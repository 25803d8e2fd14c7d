"""Derived tables the tiles read: simplified display geometry and change versions.

Both are kept up to date by database triggers (tiles/sql/functions/), so every write path, including
bulk loads, keeps them right; `python manage.py rebuild_tiles` recomputes them from scratch (after a
load that disabled triggers, for instance). Nothing else writes here. The incident counts the tiles
draw come from the figures' rollup (layers/figures/models.py).
"""

from __future__ import annotations

from django.contrib.gis.db import models


class AreaDisplay(models.Model):
    """An area's boundary simplified for one zoom band, in Web Mercator, with a label point.

    Simplification never drops a part of a multipolygon: a part that would vanish at the band's
    resolution is drawn as a square of two tile units around a point on it.
    """

    area_code = models.CharField(max_length=16)
    level = models.SmallIntegerField()  # signed like Area.level (a province is -1)
    zband = models.PositiveSmallIntegerField(help_text="the lowest zoom this simplification is for")
    geom = models.MultiPolygonField(srid=3857)
    label = models.PointField(srid=3857)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area_code", "zband"], name="areadisplay_code_band")]
        indexes = [models.Index(fields=["zband", "level"])]


class LayerVersion(models.Model):
    """A change counter per tile layer and area: a tile's cache key includes the versions of the areas
    it covers, so a write makes exactly the tiles over the changed areas stale, at once."""

    layer = models.CharField(max_length=16)
    area_code = models.CharField(max_length=16, help_text="'' for rows outside every grid")
    version = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["layer", "area_code"], name="layerversion_key")]
        indexes = [models.Index(fields=["version"])]

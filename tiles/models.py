"""Derived tables the tiles read: simplified display geometry, incident rollups, change versions.

All three are kept up to date by database triggers (migration 0002), so every write path,
including bulk loads, keeps them right; `python manage.py rebuild_tiles` recomputes them from
scratch (after a load that disabled triggers, for instance). Nothing else writes here.
"""

from __future__ import annotations

from django.contrib.gis.db import models


class AreaDisplay(models.Model):
    """An area's boundary simplified for one zoom band, in Web Mercator, with a label point.

    Simplification never drops a part of a multipolygon: a part that would vanish at the band's
    resolution is drawn as a square of two tile units around a point on it.
    """

    area_code = models.CharField(max_length=16)
    level = models.PositiveSmallIntegerField()
    zband = models.PositiveSmallIntegerField(help_text="the lowest zoom this simplification is for")
    geom = models.MultiPolygonField(srid=3857)
    label = models.PointField(srid=3857)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area_code", "zband"], name="areadisplay_code_band")]
        indexes = [models.Index(fields=["zband", "level"])]


class IncidentRollup(models.Model):
    """Incident counts per area (county, township, village, grid), month, class, severity and status.

    Low-zoom tiles and workload polygons sum these instead of counting raw points. n_late counts
    those closed after their due time. Months are in China Standard Time.
    """

    level = models.PositiveSmallIntegerField()
    area_code = models.CharField(max_length=16)
    month = models.DateField()
    category = models.CharField(max_length=20)
    severity = models.CharField(max_length=10)
    status = models.CharField(max_length=16)
    n = models.IntegerField(default=0)
    n_late = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area_code", "month", "category", "severity", "status"],
                                               name="rollup_key")]
        indexes = [models.Index(fields=["level", "area_code", "month"])]


class LayerVersion(models.Model):
    """A change counter per tile layer and area: a tile's cache key includes the versions of the areas
    it covers, so a write makes exactly the tiles over the changed areas stale, at once."""

    layer = models.CharField(max_length=16)
    area_code = models.CharField(max_length=16, help_text="'' for rows outside every grid")
    version = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["layer", "area_code"], name="layerversion_key")]
        indexes = [models.Index(fields=["version"])]

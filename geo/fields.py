"""Geometry fields that accept any input until save, so validation speaks with one voice.

GeoDjango's SpatialProxy refuses a Polygon for a MultiPolygon field the moment it is assigned, and
parses strings lazily, raising GEOS's own errors ("String input unrecognized as WKT EWKT, and HEXEWKB.")
wherever the attribute is first read. These fields hold whatever they are given; the models run it
through geo.geometry.parse_geometry in save(), which promotes, transforms and checks it, and refuses it
with a message that names the problem.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.gis.db.models.proxy import SpatialProxy
from django.contrib.gis.geos import GEOSException, GEOSGeometry


class LenientSpatialProxy(SpatialProxy):
    def __init__(self, field) -> None:
        super().__init__(GEOSGeometry, field, load_func=GEOSGeometry)

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        try:
            return super().__get__(instance, cls)
        except (GEOSException, ValueError, TypeError):
            # Unreadable input stays as given; save() refuses it with a proper message.
            return instance.__dict__[self.field.attname]

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value
        if isinstance(value, GEOSGeometry) and value.srid is None:
            value.srid = self.field.srid
        return value


class LenientMixin:
    def contribute_to_class(self, cls, name, **kwargs) -> None:
        super().contribute_to_class(cls, name, **kwargs)
        setattr(cls, self.attname, LenientSpatialProxy(self))


class PointField(LenientMixin, models.PointField):
    pass


class MultiPolygonField(LenientMixin, models.MultiPolygonField):
    pass

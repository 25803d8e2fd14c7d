"""Nested areas (county → township → village/community → basic grid, plus dedicated grids), their
boundary history, and the grid workers assigned to them.

An Area is an identity: its code never changes and is never reused. Its current boundary lives on
the row (fast lookups, tiles); every boundary it ever had lives in BoundaryVersion with the period it
was valid, so "which grid was this point in on 2025-03-01?" has an answer after a redraw.

Scope: every queryset here has `within(code)`, the area-scope filter that access control applies to
every path that serves data. Because a child's code starts with its parent's, it is a prefix match.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.db import models
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo import fields
from geo.errors import InvalidCode, NotFound
from geo.geometry import parse_geometry
from grids.codes import Level, default_kind, validate_code, validate_kind


class AreaQuerySet(models.QuerySet):
    def within(self, code: str | None) -> AreaQuerySet:
        """The area scope: the area with this code and everything below it (None: no restriction)."""
        return self if not code else self.filter(code__startswith=code)

    def current(self, at: dt.date | None = None) -> AreaQuerySet:
        """Areas that exist on `at` (today by default): a merged-away grid is gone after its valid_to."""
        at = at or timezone.localdate()
        return self.filter(valid_from__lte=at).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))

    def at_level(self, level: int) -> AreaQuerySet:
        return self.filter(level=level)


class Area(models.Model):
    """One node of the area tree: province, city, county, township/street, village/community, basic or
    dedicated grid."""

    code = models.CharField(max_length=16, unique=True, help_text="fixed-width digit string, see grids/codes.py")
    name = models.CharField(max_length=100)
    # Signed: a province is -1 and a city 0, so that the county keeps 1 (grids/codes.py).
    level = models.SmallIntegerField(choices=Level.choices, db_index=True)
    kind = models.CharField(max_length=20, help_text="street/town/community/village/urban/rural/school...")
    parent = models.ForeignKey(
        "self", to_field="code", db_column="parent_code", null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    boundary = fields.MultiPolygonField(srid=4326)
    valid_from = models.DateField(default=dt.date(2000, 1, 1))
    valid_to = models.DateField(null=True, blank=True, help_text="empty while the area exists")
    illustrative = models.BooleanField(
        default=False, help_text="synthetic boundary (demo data), not an official one"
    )
    # The area's size in km² on the sphere, the one definition every per-km² figure divides by (residents
    # per km²: /api/stats, the people tiles and export). Generated and stored by PostgreSQL, so every
    # writer of a boundary (the redraw, the admin, COPY in the demo loader, raw SQL) keeps it right without
    # knowing it, and a tile reads a number instead of measuring each polygon again (the spheroid cost
    # 94.6 ms cold p95 at z10). The sphere, not the spheroid: ~3x faster to compute and within 0.3 % of it
    # at China's latitudes.
    area_km2 = models.GeneratedField(
        expression=models.Func(models.F("boundary"), template="(ST_Area((%(expressions)s)::geography, false) / 1e6)",
                               output_field=models.FloatField()),
        output_field=models.FloatField(), db_persist=True,
        help_text="size in km² on the sphere (generated from the boundary)")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        # The unique code also gets Django's varchar_pattern_ops index, which serves the scope's prefix match.
        indexes = [
            models.Index(fields=["parent", "level"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15}|[0-9]{16})$"),
                                   name="area_code_digits"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")), name="area_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def level_enum(self) -> Level:
        return Level(self.level)

    def validate(self) -> None:
        """Check code, kind, parent and geometry; raise InvalidCode/InvalidGeometry naming the problem."""
        parent_level = None
        if self.parent_id:
            parent = self.parent if self._state.fields_cache.get("parent") else Area.objects.filter(
                code=self.parent_id).only("level").first()
            if parent is None:
                raise InvalidCode(f"parent {self.parent_id} does not exist", field="parent")
            parent_level = parent.level
        self.boundary = parse_geometry(self.__dict__.get("boundary"), kinds=("MultiPolygon",), field="boundary")
        validate_code(self.code, self.level, self.parent_id, parent_level)
        if not self.kind:
            self.kind = default_kind(self.code, self.level) or ""
        validate_kind(self.kind, self.level, self.code)

    def save(self, *args, **kwargs) -> None:
        """Validate, then save; a changed boundary closes the current version and opens a new one."""
        self.validate()
        with transaction.atomic():
            previous = None
            if self.pk:
                previous = Area.objects.filter(pk=self.pk).values_list("boundary", flat=True).first()
            super().save(*args, **kwargs)
            if previous is None:
                BoundaryVersion.objects.create(area=self, boundary=self.boundary, valid_from=self.valid_from,
                                               reason="created")
            elif not previous.equals_exact(self.boundary, tolerance=1e-12):
                self._open_version(timezone.localdate(), reason="edited", author="")

    def replace_boundary(self, boundary, *, on: dt.date | None = None, reason: str, author: str = "") -> None:
        """Give the area a new boundary from `on` (today by default), keeping the old one for its period."""
        on = on or timezone.localdate()
        geom = parse_geometry(boundary, kinds=("MultiPolygon",), field="boundary")
        with transaction.atomic():
            self.boundary = geom
            self.validate()
            super().save(update_fields=["boundary", "updated_at"])
            self._open_version(on, reason=reason, author=author)

    def _open_version(self, on: dt.date, *, reason: str, author: str) -> None:
        current = self.versions.filter(valid_to__isnull=True).order_by("-valid_from").first()
        if current and on < current.valid_from:
            raise InvalidCode(
                f"a new boundary for {self.code} cannot start on {on}, before the current one "
                f"(valid from {current.valid_from})", field="valid_from",
            )
        self.versions.filter(valid_to__isnull=True).update(valid_to=on)
        BoundaryVersion.objects.create(area=self, boundary=self.boundary, valid_from=on, reason=reason,
                                       author=author)

    def boundary_on(self, at: dt.date) -> GEOSGeometry | None:
        version = self.versions.valid_on(at).first()
        return version.boundary if version else None

    def ancestors(self) -> list[Area]:
        """Province first (county first when the tree starts there). The chain is short (≤ 6), so one
        query by code list."""
        codes = [self.code[:n] for n in (2, 4, 6, 9, 12) if n < len(self.code)]
        if self.level == Level.DEDICATED:
            codes = [c for c in codes if len(c) <= 12]
        found = {a.code: a for a in Area.objects.filter(code__in=codes)}
        return [found[c] for c in codes if c in found]


class BoundaryVersionQuerySet(models.QuerySet):
    def valid_on(self, at: dt.date) -> BoundaryVersionQuerySet:
        return self.filter(valid_from__lte=at).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))


class AreaPartManager(models.Manager):
    # Raw SQL because the ORM compiles this query anew on every call, which costs as much as running
    # it (about 1 ms), and /api/locate must answer in a few milliseconds. ST_Intersects uses the GiST
    # index on the parts (it includes the && test).
    CHAIN_SQL = (
        "SELECT p.level, a.code, a.name, a.kind FROM grids_areapart p JOIN grids_area a ON a.code = p.area_code "
        "WHERE ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))"
    )

    def covering(self, lon: float, lat: float) -> list[tuple[int, str, str, str]]:
        """(level, code, name, kind) of every current area whose parts cover the point."""
        with connection.cursor() as cursor:
            cursor.execute(self.CHAIN_SQL, [lon, lat])
            return cursor.fetchall()


class AreaPart(models.Model):
    """Current area boundaries cut into small pieces (ST_Subdivide) for fast point-in-polygon lookup.

    Derived data, kept in step with grids_area by a database trigger (see migration 0002), so every
    write path, including bulk loads, keeps it right. Nothing writes here directly.
    """

    area = models.ForeignKey(Area, to_field="code", db_column="area_code", on_delete=models.DO_NOTHING,
                             db_constraint=False, related_name="+")
    level = models.SmallIntegerField()  # signed like Area.level (a province is -1)
    geom = models.GeometryField(srid=4326)

    objects = AreaPartManager()

    class Meta:
        indexes = [models.Index(fields=["level", "area"])]
        verbose_name = _("area part")
        verbose_name_plural = _("area parts")


class BoundaryVersion(models.Model):
    """A boundary an area had from valid_from until valid_to (exclusive; empty = still current)."""

    area = models.ForeignKey(Area, to_field="code", db_column="area_code", on_delete=models.CASCADE,
                             related_name="versions")
    boundary = models.MultiPolygonField(srid=4326)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    author = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = BoundaryVersionQuerySet.as_manager()

    class Meta:
        ordering = ["area", "valid_from", "id"]
        indexes = [models.Index(fields=["area", "valid_from"])]
        verbose_name = _("boundary version")
        verbose_name_plural = _("boundary history")

    def __str__(self) -> str:
        return f"{self.area_id} {self.valid_from}..{self.valid_to or ''}"


def get_area(code: str, scope: str | None = None) -> Area:
    """One current area by code, inside the caller's scope; NotFound otherwise (404, never a leak)."""
    area = Area.objects.within(scope).filter(code=code).first()
    if area is None:
        raise NotFound(f"no area with code {code}")
    return area


class WorkerQuerySet(models.QuerySet):
    def within(self, code: str | None) -> WorkerQuerySet:
        if not code:
            return self
        return self.filter(assignments__area__code__startswith=code).distinct()


class Worker(models.Model):
    """A grid worker (网格员), grid chief (网格长) or dedicated worker. Staff, not the public."""

    class Role(models.TextChoices):
        CHIEF = "chief", _("grid chief")
        FULL_TIME = "full_time", _("full-time grid worker")
        PART_TIME = "part_time", _("part-time grid worker")
        DEDICATED = "dedicated", _("dedicated grid worker")

    employee_no = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=50)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.FULL_TIME)
    # Personal: never in tiles or default exports.
    phone = models.CharField(max_length=20, blank=True)
    active = models.BooleanField(default=True)

    objects = WorkerQuerySet.as_manager()

    class Meta:
        ordering = ["employee_no"]
        verbose_name = _("grid worker")
        verbose_name_plural = _("grid workers")

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_no})"


class Assignment(models.Model):
    """A worker's responsibility for a grid (basic or dedicated) over a period."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="assignments")
    area = models.ForeignKey(Area, to_field="code", db_column="area_code", on_delete=models.PROTECT,
                             related_name="assignments")
    role = models.CharField(max_length=16, choices=Worker.Role.choices, default=Worker.Role.FULL_TIME)
    valid_from = models.DateField(default=dt.date(2000, 1, 1))
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["area", "worker"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [models.Index(fields=["area", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.worker_id} → {self.area_id}"

    def save(self, *args, **kwargs) -> None:
        level = Area.objects.filter(code=self.area_id).values_list("level", flat=True).first()
        if level not in (Level.GRID, Level.DEDICATED):
            raise InvalidCode(f"workers are assigned to basic or dedicated grids; {self.area_id} is not one",
                              field="area")
        super().save(*args, **kwargs)

"""What lies on the map: buildings and rooms with unified address codes, incidents and their closed
loop, and places (cameras, schools, markets, mediation rooms, service stations).

Each of these is placed in its basic grid by PostGIS when it is written (a trigger calls
gridmap_area_at(), see migration 0002), whatever the write path: ORM, admin, COPY. The grid column
holds the grid's code, so an area scope is a prefix match on it, with no join.

Personal data (names, phones, ID numbers of the public) is kept to the few fields listed in
PERSONAL_FIELDS; tiles and default exports leave them out.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils import timezone

from geo import fields
from geo.errors import InvalidCode
from geo.geometry import parse_geometry
from geo.scope import county_bounds, county_codes
from grids.codes import check_digits
from grids.models import Area, Worker
from layers.incidents import workdays

# Fields that identify a member of the public: out of tiles and default exports (PIPL).
PERSONAL_FIELDS = {
    "incident": ("reporter_name", "reporter_phone", "parties"),
}


class ScopedQuerySet(models.QuerySet):
    """Querysets of things placed in a grid: `within(code)` is the area scope (a prefix on grid_code)."""

    def within(self, code: str | None):
        # grid_code holds the grid's code, so the scope needs no join: WHERE grid_code LIKE '419001103%'.
        return self if not code else self.filter(grid__code__startswith=code)


def county_at(point) -> str:
    """The county (6 digits) of the basic grid at a point, by the placement trigger's own rule; '' outside
    every grid. The partition an incident is written to (Incident.county_code)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(left(gridmap_area_at(ST_GeomFromEWKB(%s), 4), 6), '')", [bytes(point.ewkb)])
        return cursor.fetchone()[0]


class PlacedModel(models.Model):
    """A model whose grid is set by the database trigger on insert and when its location changes."""

    grid = models.ForeignKey(Area, to_field="code", db_column="grid_code", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+", editable=False,
                             help_text="set by PostGIS from the location")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.location = parse_geometry(self.__dict__.get("location"), kinds=("Point",), field="location")
        super().save(*args, **kwargs)
        # The trigger chose the grid; read it back so the instance tells the truth.
        self.refresh_from_db(fields=self.placement_fields())

    @classmethod
    def placement_fields(cls) -> list[str]:
        return ["grid"]


class Building(PlacedModel):
    """A building (楼栋) with its unified address code: 12-digit village code + 5-digit building number."""

    class Use(models.TextChoices):
        RESIDENTIAL = "residential", "residential 住宅"
        COMMERCIAL = "commercial", "commercial 商业"
        MIXED = "mixed", "mixed 商住"
        PUBLIC = "public", "public 公共"
        INDUSTRIAL = "industrial", "industrial 工业"
        RURAL_HOUSE = "rural_house", "rural house 农房"
        OTHER = "other", "other 其他"

    address_code = models.CharField(max_length=17, unique=True)
    name = models.CharField(max_length=100, blank=True)
    street = models.CharField(max_length=100, blank=True, help_text="street/road or compound 街路巷/小区")
    door_plate = models.CharField(max_length=30, blank=True, help_text="门楼牌")
    use = models.CharField(max_length=16, choices=Use.choices, default=Use.RESIDENTIAL)
    floors = models.PositiveSmallIntegerField(default=1)
    location = fields.PointField(srid=4326)
    footprint = fields.MultiPolygonField(srid=4326, null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["address_code"]
        constraints = [models.CheckConstraint(condition=Q(address_code__regex=r"^[0-9]{17}$"),
                                              name="building_code_digits")]

    def __str__(self) -> str:
        return f"{self.address_code} {self.name}"

    def save(self, *args, **kwargs) -> None:
        check_digits(self.address_code, "address_code")
        if len(self.address_code) != 17 or int(self.address_code[12:]) == 0:
            raise InvalidCode(
                f"a building address code is the 12-digit village code + a 5-digit number 00001-99999; "
                f"got {self.address_code!r}", field="address_code",
            )
        if not Area.objects.filter(code=self.address_code[:12], level=3).exists():
            raise InvalidCode(f"address code {self.address_code}: no village/community {self.address_code[:12]}",
                              field="address_code")
        if self.__dict__.get("footprint") is not None:
            self.footprint = parse_geometry(self.__dict__["footprint"], kinds=("MultiPolygon",), field="footprint")
        super().save(*args, **kwargs)


class Room(models.Model):
    """A room address (户室): building code + unit (2) + floor (3) + room (3) = 25 digits.

    Holds counts only; the people themselves are not Gridmap's records.
    """

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="rooms")
    unit = models.PositiveSmallIntegerField(default=1)
    floor = models.SmallIntegerField(default=1)
    number = models.CharField(max_length=8)
    address_code = models.CharField(max_length=25, unique=True)
    households = models.PositiveSmallIntegerField(default=1)
    residents = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["address_code"]

    def __str__(self) -> str:
        return self.address_code

    @staticmethod
    def make_code(building_code: str, unit: int, floor: int, room: int) -> str:
        return f"{building_code}{unit:02d}{floor:03d}{room:03d}"

    def save(self, *args, **kwargs) -> None:
        expected_prefix = self.building.address_code
        if not self.address_code.startswith(expected_prefix) or len(self.address_code) != 25:
            raise InvalidCode(
                f"room code {self.address_code!r} must be its building's code {expected_prefix} + "
                "unit (2) + floor (3) + room (3) digits", field="address_code",
            )
        check_digits(self.address_code, "address_code")
        super().save(*args, **kwargs)


class Place(PlacedModel):
    """A point of interest on the situation map: cameras (雪亮工程), schools, markets, mediation rooms..."""

    class Kind(models.TextChoices):
        CAMERA = "camera", "camera 视频监控"
        SCHOOL = "school", "school 学校"
        HOSPITAL = "hospital", "hospital 医院"
        MARKET = "market", "market 市场"
        MEDIATION_ROOM = "mediation_room", "mediation room 调解室"
        SERVICE_STATION = "service_station", "service station 服务站"
        POLICE = "police", "police station 派出所"
        OTHER = "other", "other 其他"

    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=32, unique=True, help_text="device or register number")
    location = fields.PointField(srid=4326)
    attributes = models.JSONField(default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class Definition(models.Func):
    """A call to one of the figures' SQL definitions (layers/figures/sql/functions/10_definitions.sql),
    usable as a filter or an aggregate's FILTER: the ORM says a figure the same way the SQL does."""

    output_field = models.BooleanField()
    conditional = True


class IncidentQuerySet(ScopedQuerySet):
    """Incidents with the loop's definitions as queryset terms, so lists, the ranking and the figures
    share them: each term calls the SQL function that defines it.

    Every definition takes the moment it is evaluated at (`at`), so a figure "as of" the end of a past
    period is computed from the step times alone, the same way as one as of now.
    """

    def within(self, code: str | None):
        """The area scope, and the county it implies on the partition key (geo/scope.py), so that a
        county's list, detail and figures read only that county's partition."""
        try:
            bounds = county_bounds(code)
        except ValueError:  # not a code: the prefix alone (which then matches nothing), as before
            bounds = None
        if bounds is None:
            return super().within(code)
        low, high = bounds
        if low == high:
            county = Q(county_code=low)
        else:  # a city's or a province's counties one by one, or their range (geo/scope.py says when)
            codes = county_codes(code)
            county = Q(county_code__in=codes) if codes else Q(county_code__range=bounds)
        return super().within(code).filter(county)

    def bulk_create(self, objs, *args, **kwargs):
        """As Incident.save, every new incident names its county (its partition) first: one query for all."""
        objs = list(objs)
        unnamed = [o for o in objs if not isinstance(o.county_code, str)]
        if unnamed:
            for o in unnamed:
                o.location = parse_geometry(o.__dict__.get("location"), kinds=("Point",), field="location")
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("SELECT coalesce(left(gridmap_area_at(ST_GeomFromEWKB(g), 4), 6), '') "
                               "FROM unnest(%s::bytea[]) WITH ORDINALITY AS t(g, k) ORDER BY k",
                               [[bytes(o.location.ewkb) for o in unnamed]])
                for o, (county,) in zip(unnamed, cursor.fetchall(), strict=True):
                    o.county_code = county
        return super().bulk_create(objs, *args, **kwargs)

    @staticmethod
    def overdue_q(at: dt.datetime) -> Q:
        """Overdue at `at` (figures_overdue): the due time has passed (strictly) and the matter was not
        closed by then; closing exactly at the due time is on time."""
        return Q(Definition(F("closed_at"), F("due_at"), models.Value(at), function="figures_overdue"))

    @staticmethod
    def closed_q(at: dt.datetime) -> Q:
        """Closed by `at` (figures_closed; closed_at is set by the close step and by nothing else)."""
        return Q(Definition(F("closed_at"), models.Value(at), function="figures_closed"))

    @staticmethod
    def on_time_q(at: dt.datetime) -> Q:
        """Closed by `at`, no later than its due time (figures_on_time; no due time is on time)."""
        return Q(Definition(F("closed_at"), F("due_at"), models.Value(at), function="figures_on_time"))

    @staticmethod
    def accept_overdue_q(at: dt.datetime) -> Q:
        """Acceptance overdue at `at` (figures_accept_overdue): open and not accepted then, past its
        acceptance limit."""
        return Q(Definition(F("accepted_at"), F("accept_due_at"), F("closed_at"), models.Value(at),
                            function="figures_accept_overdue"))

    @staticmethod
    def due_soon_q(at: dt.datetime) -> Q:
        """Due within 24 h at `at` (figures_due_soon, 临期): open, not yet overdue, due in the next 24 hours."""
        return Q(Definition(F("closed_at"), F("due_at"), models.Value(at), function="figures_due_soon"))

    @staticmethod
    def supervision_overdue_q(at: dt.datetime) -> Q:
        """Supervised and not closed by the supervision deadline at `at` (desk_supervision_overdue)."""
        return Q(Definition(F("closed_at"), F("supervision__deadline"), models.Value(at),
                            function="desk_supervision_overdue"))

    def overdue(self, at: dt.datetime | None = None) -> IncidentQuerySet:
        return self.filter(self.overdue_q(at or timezone.now()))

    def accept_overdue(self, at: dt.datetime | None = None) -> IncidentQuerySet:
        return self.filter(self.accept_overdue_q(at or timezone.now()))

    def due_soon(self, at: dt.datetime | None = None) -> IncidentQuerySet:
        return self.filter(self.due_soon_q(at or timezone.now()))

    def reported_between(self, since: dt.datetime, until: dt.datetime) -> IncidentQuerySet:
        """The period's cohort: reported at or after `since` and before `until`."""
        return self.filter(reported_at__gte=since, reported_at__lt=until)


class Incident(PlacedModel):
    """A reported matter (事件) and where it stands in the closed loop."""

    class Category(models.TextChoices):
        DISPUTE = "dispute", "dispute 矛盾纠纷"
        PETITION = "petition", "petition 信访"
        CONSULTATION = "consultation", "consultation 咨询"
        SAFETY_HAZARD = "safety_hazard", "safety hazard 安全隐患"
        LIVELIHOOD = "livelihood", "livelihood request 民生诉求"
        OTHER = "other", "other 其他"

    class Severity(models.TextChoices):
        GENERAL = "general", "general 一般"
        LARGER = "larger", "larger 较大"
        MAJOR = "major", "major/difficult 重大疑难"

    class Source(models.TextChoices):
        UPPER = "upper_assignment", "upper-level assignment 上级交办"
        TOWN = "town_report", "town/street report 镇街上报"
        DEPARTMENT = "department_transfer", "department transfer 部门移交"
        GRID = "grid_discovery", "grid worker discovery 网格发现"
        WALK_IN = "walk_in", "walk-in visit 来访"
        HOTLINE = "hotline_12345", "12345 hotline"
        PUBLIC = "public_report", "public report 群众举报"

    class Status(models.TextChoices):
        REPORTED = "reported", "reported 已上报"
        ACCEPTED = "accepted", "accepted 已受理"
        DISPATCHED = "dispatched", "dispatched 已派遣"
        IN_PROGRESS = "in_progress", "in progress 处置中"
        RESOLVED = "resolved", "resolved 已处置"
        VERIFIED = "verified", "verified 已核查"
        CLOSED = "closed", "closed 已办结"
        RETURNED = "returned", "returned 已退回"
        ESCALATED = "escalated", "escalated 已上报上级"

    OPEN_STATUSES = ("reported", "accepted", "dispatched", "in_progress", "resolved", "verified", "returned",
                     "escalated")

    class Risk(models.TextChoices):
        SMALL = "small", "small: handle at once 小"
        MEDIUM = "medium", "medium: joint consultation 中"
        LARGE = "large", "large: special team 大"

    # PlacedModel's grid, without the two single-column indexes Django would add: incident_stats_grid
    # (grid_code varchar_pattern_ops, reported_at) serves equality and prefix lookups, and every index
    # is one more write per intake.
    grid = models.ForeignKey(Area, to_field="code", db_column="grid_code", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+", editable=False, db_index=False,
                             help_text="set by PostGIS from the location")
    # Unique by the constraint incident_client_id (Meta): unique=True would add a second, LIKE index.
    client_id = models.CharField(max_length=64, null=True, blank=True,
                                 help_text="the reporting device's id for this report (idempotent intake)")
    location = fields.PointField(srid=4326)
    # The nullable links below are indexed by partial indexes (Meta), which an incident without the link
    # (most of them) does not touch on insert.
    dedicated_grid = models.ForeignKey(Area, to_field="code", db_column="dedicated_code", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+", editable=False, db_index=False)
    building = models.ForeignKey(Building, null=True, blank=True, on_delete=models.SET_NULL, db_index=False,
                                 related_name="incidents")
    category = models.CharField(max_length=20, choices=Category.choices)
    subcategory = models.CharField(max_length=40, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.GENERAL)
    source = models.CharField(max_length=24, choices=Source.choices)
    risk_level = models.CharField(max_length=10, choices=Risk.choices, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REPORTED)
    description = models.TextField(blank=True)
    # Personal (see PERSONAL_FIELDS): never in tiles or default exports.
    reporter_name = models.CharField(max_length=50, blank=True)
    reporter_phone = models.CharField(max_length=20, blank=True)
    parties = models.TextField(blank=True, help_text="people involved (personal data)")
    reporter_worker = models.ForeignKey(Worker, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="reported_incidents")
    # No index of its own: incident_stats_worker (assignee, reported_at) serves lookups by worker.
    assignee = models.ForeignKey(Worker, null=True, blank=True, on_delete=models.SET_NULL, db_index=False,
                                 related_name="assigned_incidents")
    department = models.CharField(max_length=100, blank=True)
    # No database constraint (nor for the desk's rows, visits, video patrols, people links): a foreign key onto the
    # partitioned table must name its whole key (id, county_code); layers_incident_must_exist and
    # layers_incident_nothing_points keep these references instead (layers/sql/functions/partitions.sql).
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, db_index=False,
                                     related_name="duplicates", db_constraint=False)
    reported_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    extended_at = models.DateTimeField(null=True, blank=True, help_text="set by the one extension allowed")
    accept_due_at = models.DateTimeField(null=True, blank=True, help_text="acceptance time limit")
    due_at = models.DateTimeField(null=True, blank=True, help_text="closing time limit; moved by an extension")
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1-5, from the reporter")
    # Why a due time was counted other than the table says (a working-day limit running into a year the
    # holiday calendar does not cover is counted in calendar days): shown in the answer and the admin.
    limit_note = models.CharField(max_length=300, blank=True, db_default="",
                                  help_text="how the time limits were counted, when not as the table says")
    # db_default: bulk loaders and raw SQL writers that predate these columns still insert valid rows.
    reported_by = models.CharField(max_length=150, blank=True, db_default="", help_text="the account that submitted it")
    intake_digest = models.CharField(max_length=64, blank=True, editable=False, db_default="",
                                     help_text="hash of the report as first received: a retry must match it")
    # The table is partitioned by county (LIST on this column; docs/scale.md): one county's load, replacement and
    # removal touch only its own partitions. In the database the primary key is (id, county_code); ids stay
    # unique from the one identity sequence, and Django keys by id alone (the key's first column: one
    # probe per county's partition). Set by `save`
    # from the grid at the location ('' outside every grid: the default partition), by the writers in SQL from
    # the grid they found; the placement trigger refuses a row whose grid is not in its county.
    county_code = models.CharField(max_length=6, blank=True, editable=False, db_default="",
                                   help_text="the county of the grid at the location: the table's partition")

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at"]
        # The figures (layers/figures/stats.py) read only these columns: with them INCLUDEd, a period's rows are an
        # index-only scan, a unit's a range scan on the grid-code prefix. varchar_pattern_ops lets LIKE
        # '419001103%' use the index whatever the database's collation (docker's PostGIS is en_US.utf8).
        indexes = [
            models.Index(fields=["grid", "reported_at"], include=["closed_at", "due_at", "satisfaction"],
                         opclasses=["varchar_pattern_ops", "timestamptz_ops"], name="incident_stats_grid"),
            models.Index(fields=["reported_at"], include=["grid", "closed_at", "due_at", "satisfaction"],
                         name="incident_stats_period"),
            models.Index(fields=["assignee", "reported_at"], include=["grid", "closed_at", "due_at", "satisfaction"],
                         name="incident_stats_worker"),
            # Matters closed after a moment, and matters still open: the figures' correction to the daily
            # rollup (layers/sql/stats_units.sql) and the weekly ranking read only these.
            models.Index(fields=["closed_at"], include=["grid", "reported_at", "due_at", "assignee"],
                         name="incident_closed"),
            models.Index(fields=["grid", "reported_at"], include=["due_at", "assignee"],
                         opclasses=["varchar_pattern_ops", "timestamptz_ops"], condition=Q(closed_at__isnull=True),
                         name="incident_open"),
            models.Index(fields=["dedicated_grid"], condition=Q(dedicated_grid__isnull=False),
                         name="incident_dedicated"),
            models.Index(fields=["building"], condition=Q(building__isnull=False), name="incident_building"),
            models.Index(fields=["duplicate_of"], condition=Q(duplicate_of__isnull=False), name="incident_duplicate"),
            models.Index(fields=["status", "due_at"]),
            # A class's (or a sub-class's) matters of a period with the columns a three-zero rule tests
            # (analysis/threezero.py `breaking`), read index-only: the province page's three-zero panel visited
            # every matter of the class in the year (1.6 s of a 2.3 s page at ten counties of bench/province).
            # With the county: every read names it (geo/scope.py, to prune partitions), and a column the index
            # lacks sends each match to the table (3.9 s instead of 0.45 s for a province at ten counties).
            models.Index(fields=["category", "reported_at"],
                         include=["severity", "subcategory", "source", "grid", "id", "county_code"],
                         name="incident_class_period"),
            models.Index(fields=["subcategory", "reported_at"],
                         include=["category", "severity", "source", "grid", "id", "county_code"],
                         name="incident_subclass_period"),
        ]
        constraints = [
            # Idempotent intake: one incident per client id (NULLs, reports without one, do not clash). With the
            # county, as a partitioned table's unique key must name it (a retry reports the same place); client
            # id first, so that a lookup by client id alone (the intake's replay check) uses it.
            models.UniqueConstraint(fields=["client_id", "county_code"], name="incident_client_id"),
            models.CheckConstraint(condition=Q(satisfaction__isnull=True) | Q(satisfaction__range=(1, 5)),
                                   name="incident_satisfaction_range"),
            # closed_at is what the figures count as closed, so it must agree with the status.
            models.CheckConstraint(condition=Q(status="closed", closed_at__isnull=False)
                                   | (~Q(status="closed") & Q(closed_at__isnull=True)),
                                   name="incident_closed_has_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()} {self.get_status_display()}"

    def save(self, *args, **kwargs) -> None:
        """The county (the partition) is named before a new row is written: PostgreSQL routes the row by it,
        and the placement trigger then checks it against the grid it finds. An incident stays in its county:
        moved into another county's grid, the trigger refuses the write (its events' key is per county)."""
        # Unset, the field holds Django's DatabaseDefault marker (db_default), not a string.
        if self._state.adding and not isinstance(self.county_code, str):
            self.location = parse_geometry(self.__dict__.get("location"), kinds=("Point",), field="location")
            self.county_code = county_at(self.location)
        super().save(*args, **kwargs)

    @classmethod
    def placement_fields(cls) -> list[str]:
        return ["grid", "dedicated_grid"]

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        """figures_overdue for a row already in memory (an API answer, a dashboard list), where a query
        would cost a round trip; tests/layers/figures hold the two equal on every case."""
        if self.due_at is None:
            return False
        return self.due_at < (now or timezone.now()) and (self.closed_at is None or self.closed_at > self.due_at)

    def is_accept_overdue(self, now: dt.datetime | None = None) -> bool:
        """figures_accept_overdue for a row in memory (held equal to the SQL by tests/layers/figures)."""
        now = now or timezone.now()
        return (self.accept_due_at is not None and self.accept_due_at < now
                and (self.accepted_at is None or self.accepted_at > now)
                and (self.closed_at is None or self.closed_at > now))

    def is_due_soon(self, now: dt.datetime | None = None) -> bool:
        """figures_due_soon for a row in memory: open, due_at in [now, now + 24 h)."""
        now = now or timezone.now()
        return (self.due_at is not None and now <= self.due_at < now + dt.timedelta(hours=24)
                and (self.closed_at is None or self.closed_at > now))


class IncidentEvent(models.Model):
    """One step of an incident's closed loop: who did what, when, from which status to which."""

    # In the database each county's events partition references its incidents partition by (county_code,
    # incident_id) (layers_incident_event_key); the events are partitioned like the incidents.
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events", db_constraint=False)
    county_code = models.CharField(max_length=6, blank=True, editable=False, db_default="",
                                   help_text="the incident's county: the table's partition")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["incident", "at", "id"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        """An event is written to its incident's county (partition)."""
        if self._state.adding and not isinstance(self.county_code, str):
            if IncidentEvent.incident.is_cached(self):
                self.county_code = self.incident.county_code
            else:
                self.county_code = Incident.objects.filter(pk=self.incident_id).values_list(
                    "county_code", flat=True).first() or ""
        super().save(*args, **kwargs)


class TimeLimit(models.Model):
    """How long a class of matter may take (办理时限), keyed by category and severity; edited in the admin.

    Seeded from the rules the seed articles quote (migration 0003): 陇西 general ≤ 1 day, larger ≤ 1 week,
    major/difficult ≤ 1 month; national petition rules accept within 15 days, handle within 60, extend
    at most 30. Days are calendar days unless the unit says working days (China's official calendar:
    public holidays skipped, the weekends worked in exchange for them counted; layers/incidents/workdays.py).

    A petition's limits may be stricter than the national regulation (玉门's "双123"), never looser:
    `clean()` refuses a petition row beyond PETITION_RULE, and the loop caps an extension by it.
    """

    # 信访工作条例 (2022) art. 32-35: accept within 15 days, handle within 60 days of acceptance, extend
    # once by at most 30 days. (accept_days, handle_days, extend_days); handle days count from acceptance.
    PETITION_RULE = (15, 60, 30)
    PETITION_BASIS = "信访工作条例: 15 日内受理, 受理之日起 60 日内办结, 延期一次且不超过 30 日"

    class Unit(models.TextChoices):
        CALENDAR = "calendar", "calendar days 自然日"
        WORKING = "working", "working days 工作日"

    category = models.CharField(max_length=20, choices=Incident.Category.choices)
    severity = models.CharField(max_length=10, choices=Incident.Severity.choices)
    accept_days = models.PositiveSmallIntegerField(help_text="from report to acceptance")
    handle_days = models.PositiveSmallIntegerField(help_text="from report to closing: the due time")
    extend_days = models.PositiveSmallIntegerField(help_text="added to the due time by one extension")
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.CALENDAR)
    from_acceptance = models.BooleanField(
        default=False,
        help_text="the handling days count from acceptance (petitions: 受理之日起), not from the report; "
                  "until accepted, the due time assumes acceptance at the acceptance limit")
    basis = models.CharField(max_length=200, blank=True, help_text="the rule this limit comes from")

    class Meta:
        ordering = ["category", "severity"]
        constraints = [models.UniqueConstraint(fields=["category", "severity"], name="timelimit_key"),
                       models.CheckConstraint(condition=Q(handle_days__gt=0), name="timelimit_handle_positive")]

    def __str__(self) -> str:
        return f"{self.category}/{self.severity}: {self.handle_days} {self.unit} days"

    def clean(self) -> None:
        """A petition row may not be looser than the national regulation (the admin shows the message)."""
        if self.category != Incident.Category.PETITION:
            return
        errors = {}
        for name, most in zip(("accept_days", "handle_days", "extend_days"), self.PETITION_RULE, strict=True):
            value = getattr(self, name)
            if value is not None and value > most:
                errors[name] = f"at most {most} days for petitions ({self.PETITION_BASIS})"
        if errors:
            raise ValidationError(errors)


class CalendarOverride(models.Model):
    """A day the administrators set as a working day or a holiday, over the chinesecalendar package.

    For a year the package does not know yet (enter the State Council's notice for the year: its
    holidays and its 调休 working weekends; one row of a year makes the year covered), a day the
    package gets wrong, or a local day off. Working-day time limits read it (layers/incidents/workdays.py,
    cached per process, refreshed within seconds); limits already set are not moved.
    """

    class Kind(models.TextChoices):
        WORKING = "working", "working day 上班（含调休上班）"
        HOLIDAY = "holiday", "holiday 放假（法定节假日、调休休息）"

    date = models.DateField(unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    note = models.CharField(max_length=200, blank=True, help_text="why: the notice, the festival, the local rule")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date} {self.kind} {self.note}".strip()

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        workdays.forget()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        workdays.forget()
        return result


# The figures' derived tables (the one rollup and the open matters) and the command desk's tables
# (departments, dispatches, supervision, escalations, mediations) are models of this app, defined
# beside the code that reads them.
from layers.desk.models import Department, Dispatch, Escalation, Mediation, MediationRollup, Supervision  # noqa: E402, F401
from layers.figures.models import IncidentRollup, OpenIncident, OpenRollup  # noqa: E402, F401

"""Patrol tracks (巡查轨迹): where a grid worker walked, uploaded from the phone in batches.

A batch is the unit of upload and of idempotency: its `batch_id` is unique in the database, so the
same batch sent twice (one after the other or at the same moment) stores its tracks once; the second
upload gets the first one's report. A batch yields zero or more tracks (the cleaning splits at gaps).

A track is a LineString with its time as a measure, kept as `path` (the vertices) and `times` (the
time of each vertex, same order and length): the equivalent of a LineStringM that GeoDjango can read
and write. Each track is placed in the grids it crosses (`TrackPiece`: the part of the track inside
one basic grid, with its length), so an area scope is a prefix match on the piece's grid code, as
everywhere else, and coverage per grid is a sum over pieces.

Tracks are personal data (where a person was): read only with the personal-data right, inside scope,
and every read is audited.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import Q
from django.utils import timezone

from grids.models import Area, Worker
from layers.models import Building, Incident, Place, Room, ScopedQuerySet


class PatrolBatch(models.Model):
    """One upload: who sent it, what it held (its digest), and the cleaning report answered."""

    batch_id = models.CharField(max_length=64, unique=True, help_text="chosen by the phone; unique")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    username = models.CharField(max_length=150)
    worker = models.ForeignKey(Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    digest = models.CharField(max_length=64, help_text="sha256 of the fixes: a retry must resend the same batch")
    report = models.JSONField(default=dict)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "patrol batch"
        verbose_name_plural = "patrol batches"

    def __str__(self) -> str:
        return f"{self.batch_id} ({self.username})"


class Track(models.Model):
    """A continuous piece of a patrol: time-ordered fixes without a gap."""

    batch = models.ForeignKey(PatrolBatch, on_delete=models.CASCADE, related_name="tracks")
    seq = models.PositiveSmallIntegerField(help_text="the piece's order within its batch")
    username = models.CharField(max_length=150)
    worker = models.ForeignKey(Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    path = models.LineStringField(srid=4326)
    times = ArrayField(models.DateTimeField(), help_text="the time of each vertex of path (its measure)")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    length_m = models.FloatField()

    class Meta:
        ordering = ["started_at"]
        constraints = [models.UniqueConstraint(fields=["batch", "seq"], name="field_track_batch_seq")]
        indexes = [models.Index(fields=["worker", "started_at"])]

    def __str__(self) -> str:
        return f"track {self.pk} {self.username} {self.started_at:%Y-%m-%d %H:%M}"


class TrackPiece(models.Model):
    """The part of a track inside one basic grid: what an area scope sees, and what coverage counts."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="pieces")
    grid = models.ForeignKey(Area, to_field="code", db_column="grid_code", on_delete=models.CASCADE,
                             related_name="+")
    path = models.MultiLineStringField(srid=4326)
    length_m = models.FloatField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["track", "grid"], name="field_trackpiece_track_grid")]
        # A scope is a prefix on the grid code (varchar_pattern_ops serves LIKE '419001103%'), then a period.
        indexes = [models.Index(fields=["grid", "started_at"], opclasses=["varchar_pattern_ops", "timestamptz_ops"],
                                name="field_piece_grid_time")]


class Visit(models.Model):
    """A visit or check in the field (走访): a household or room (入户), a building, a key place, or an
    enterprise, with the task done there. Placed in the grid of what was visited, so the area scope is a
    prefix on its grid code, as for everything placed.

    Enterprises: branch `people` adds the enterprise register. Until it lands, an enterprise is named by
    `enterprise_code` (its 统一社会信用代码) and the position the worker gives; the seam is this field and
    field.visits.target_of(), where the register's lookup goes.
    """

    class Task(models.TextChoices):
        HOUSEHOLD = "household", "入户 household visit"
        PUBLICITY = "publicity", "宣传 publicity"
        INSPECTION = "inspection", "巡查 inspection"
        CONTROL = "control", "管控 control"
        HANDLING = "handling", "处置 handling"
        REPORT = "report", "报告 report"

    client_id = models.CharField(max_length=64, unique=True, null=True, blank=True,
                                 help_text="chosen by the phone: the same visit sent twice is stored once")
    task = models.CharField(max_length=16, choices=Task.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    username = models.CharField(max_length=150)
    worker = models.ForeignKey(Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Building, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    enterprise_code = models.CharField(max_length=18, blank=True, help_text="统一社会信用代码 (until the register)")
    location = models.PointField(srid=4326)
    grid = models.ForeignKey(Area, to_field="code", db_column="grid_code", null=True, on_delete=models.SET_NULL,
                             related_name="+")
    visited_at = models.DateTimeField(db_index=True)
    note = models.TextField(blank=True)
    photo = models.CharField(max_length=300, blank=True, help_text="a reference to the photo (URL or object key)")
    # No database constraint: the incidents are partitioned by county (see layers.models.Incident).
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 db_constraint=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_at"]
        constraints = [models.CheckConstraint(
            condition=(Q(room__isnull=False) & Q(building__isnull=True) & Q(place__isnull=True)
                       & Q(enterprise_code=""))
            | (Q(room__isnull=True) & Q(building__isnull=False) & Q(place__isnull=True) & Q(enterprise_code=""))
            | (Q(room__isnull=True) & Q(building__isnull=True) & Q(place__isnull=False) & Q(enterprise_code=""))
            | (Q(room__isnull=True) & Q(building__isnull=True) & Q(place__isnull=True) & ~Q(enterprise_code="")),
            name="field_visit_one_target")]
        indexes = [models.Index(fields=["grid", "visited_at"], opclasses=["varchar_pattern_ops", "timestamptz_ops"],
                                name="field_visit_grid_time"),
                   # A key place's last check (coverage: overdue against its cadence).
                   models.Index(fields=["place", "visited_at"], name="field_visit_place_time",
                                condition=Q(place__isnull=False))]

    def __str__(self) -> str:
        return f"{self.get_task_display()} {self.visited_at:%Y-%m-%d} {self.username}"


class Camera(Place):
    """A video camera (雪亮工程, 天网, a community's own) on the map: a place of kind `camera` with what the
    video platform needs to open it: a GB/T 28181 channel id (国标编码, field/channels.py checks it) or a
    stream URL (rtsp/http(s)), and the department that owns it.

    A camera is a Place (multi-table inheritance), so it is placed in its grid by the places' trigger, shows on
    the places tile layer and exports as before, and can be the target of a visit; the area scope is the
    place's grid code. Places of kind camera without this row (bare points loaded before issue 19) stay on the
    map but are not listed as cameras: they have nothing a video platform can open.
    """

    channel_id = models.CharField(max_length=20, unique=True, null=True, blank=True,
                                  help_text="GB/T 28181 20-digit channel id (国标编码)")
    stream_url = models.CharField(max_length=500, blank=True, help_text="rtsp://, http:// or https://, no credentials")
    department = models.ForeignKey("layers.Department", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text="the owner (公安局 for 雪亮工程 cameras)")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(channel_id__isnull=False) | ~Q(stream_url=""),
                                   name="field_camera_channel_or_url"),
            models.CheckConstraint(condition=Q(channel_id__isnull=True) | Q(channel_id__regex=r"^[0-9]{20}$"),
                                   name="field_camera_channel_digits"),
        ]

    def save(self, *args, **kwargs) -> None:
        from field.channels import check_camera

        self.kind = Place.Kind.CAMERA
        self.channel_id, self.stream_url = check_camera(self.channel_id, self.stream_url)
        super().save(*args, **kwargs)


class VideoPatrol(models.Model):
    """A video patrol (视频巡查; 兖州's weekly midnight patrol over the 雪亮工程 cameras): who looked at which
    cameras, from when to when, with a note and a matter opened on what was seen. It counts as a patrol
    (field/videofigures.py: the figure "video patrols")."""

    client_id = models.CharField(max_length=64, unique=True, null=True, blank=True,
                                 help_text="chosen by the client: the same patrol sent twice is stored once")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    username = models.CharField(max_length=150)
    worker = models.ForeignKey(Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    note = models.TextField(blank=True)
    # No database constraint: the incidents are partitioned by county (see layers.models.Incident).
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 db_constraint=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at"]
        constraints = [models.CheckConstraint(condition=Q(ended_at__gte=models.F("started_at")),
                                              name="field_videopatrol_ends_after_start")]
        indexes = [models.Index(fields=["worker", "started_at"], name="field_videopatrol_worker")]

    def __str__(self) -> str:
        return f"video patrol {self.started_at:%Y-%m-%d %H:%M} {self.username}"


class VideoPatrolCamera(models.Model):
    """One camera looked at in a video patrol, with the camera's grid at that moment (and the patrol's start
    copied), so a scope and a period are a prefix and a range on this row alone."""

    patrol = models.ForeignKey(VideoPatrol, on_delete=models.CASCADE, related_name="views")
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="+")
    grid = models.ForeignKey(Area, to_field="code", db_column="grid_code", null=True, on_delete=models.SET_NULL,
                             related_name="+")
    started_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patrol", "camera"], name="field_videopatrolcamera_once")]
        indexes = [models.Index(fields=["grid", "started_at"], opclasses=["varchar_pattern_ops", "timestamptz_ops"],
                                name="field_vpcamera_grid_time")]


class BitsField(models.Field):
    """A PostgreSQL bit string (varbit): the set of a grid's buildings passed, one bit per BuildingSlot.
    Written and read only by the SQL of field/sql/functions/10_coverage.sql (bit_count, bit_or)."""

    def db_type(self, connection) -> str:
        return "varbit"


class CoverageDay(models.Model):
    """The rollup of patrol tracks per basic grid, local day and worker: length walked, time out, pieces,
    and the set of the grid's buildings passed (`passed`: bit i = the building of slot i, BuildingSlot).

    Kept by statement-level triggers on field_trackpiece (field/sql/functions/10_coverage.sql); a county's
    week is a sum over its rows, and its distinct buildings passed an OR of its bit strings per grid.
    worker_id 0 = an uploader without a worker record (an operator)."""

    grid_code = models.CharField(max_length=16)
    day = models.DateField()
    worker_id = models.IntegerField(default=0)
    length_m = models.FloatField()
    out_seconds = models.FloatField()
    pieces = models.IntegerField()
    passed = BitsField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grid_code", "day", "worker_id"], name="field_coverageday_key")]
        indexes = [models.Index(fields=["grid_code", "day"], opclasses=["varchar_pattern_ops", "date_ops"],
                                name="field_coverageday_grid_day"),
                   models.Index(fields=["worker_id", "day"], name="field_coverageday_worker"),
                   models.Index(fields=["day", "grid_code"], include=["length_m", "out_seconds", "pieces"],
                                name="field_coverageday_day")]


class BuildingPass(models.Model):
    """A building passed (within 30 m, field_passes) on a local day by a worker's track: the rollup behind
    "share of the grid's buildings passed", kept with CoverageDay."""

    building_id = models.BigIntegerField()
    day = models.DateField()
    worker_id = models.IntegerField(default=0)
    grid_code = models.CharField(max_length=16)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["building_id", "day", "worker_id"],
                                               name="field_buildingpass_key")]
        indexes = [models.Index(fields=["grid_code", "day"], opclasses=["varchar_pattern_ops", "date_ops"],
                                name="field_buildingpass_grid_day"),
                   models.Index(fields=["worker_id", "day"], name="field_buildingpass_worker"),
                   # A county's period, read index-only (the demo loader vacuums it).
                   models.Index(fields=["day", "grid_code"], include=["building_id", "worker_id"],
                                name="field_buildingpass_day")]


class CoverageWeek(models.Model):
    """CoverageDay summed over an ISO week (Monday to Sunday, local days) per grid and worker, `passed` the
    OR of the days' bit strings: the distinct buildings passed in the week. A period reads its whole weeks
    here and its edge days from CoverageDay (field_coverage_period), so a season is ~13 rows per grid and
    worker, and the distinct count stays exact (a union of sets, not a sum of counts)."""

    grid_code = models.CharField(max_length=16)
    week = models.DateField()  # its Monday
    last_day = models.DateField()  # the last day of the week with a track (the "last seen" of a look-back)
    worker_id = models.IntegerField(default=0)
    length_m = models.FloatField()
    out_seconds = models.FloatField()
    pieces = models.IntegerField()
    passed = BitsField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grid_code", "week", "worker_id"],
                                               name="field_coverageweek_key")]
        indexes = [models.Index(fields=["grid_code", "week"], opclasses=["varchar_pattern_ops", "date_ops"],
                                name="field_coverageweek_grid_week"),
                   models.Index(fields=["week", "grid_code"], name="field_coverageweek_week")]


class GridBuildings(models.Model):
    """The number of buildings per grid (layers_building.grid_code), kept by statement-level triggers on
    layers_building: the denominator of "share of buildings passed" read as a few thousand rows, not a count
    of every building of the county at each request or low-zoom tile. Grids without buildings have no row."""

    grid_code = models.CharField(max_length=16, primary_key=True)
    buildings = models.IntegerField()


class GridSeen(models.Model):
    """The last track day and the last visit per grid, kept by the coverage recount and triggers on field_visit:
    "last seen" up to a period's end is read here (one row per grid), and only a grid with something later than
    that end is looked up in the rollup and the visits (field_grid_last_seen)."""

    grid_code = models.CharField(max_length=16, primary_key=True)
    track_day = models.DateField(null=True)
    visit_at = models.DateTimeField(null=True)


class BuildingSlot(models.Model):
    """A building's bit in its grid's pass sets (CoverageDay.passed, CoverageWeek.passed): given when the
    building is first passed in that grid, never reused, so older bit strings keep their meaning when
    buildings are added, removed or re-gridded (a building passed in two grids has a slot in each)."""

    grid_code = models.CharField(max_length=16)
    building_id = models.BigIntegerField()
    slot = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grid_code", "building_id"], name="field_buildingslot_key"),
                       models.UniqueConstraint(fields=["grid_code", "slot"], name="field_buildingslot_slot")]


class CheckCadence(models.Model):
    """How often a key place of a kind must be checked (巡查 of a 重点场所): a place whose last check is older
    than `every_days` is overdue. Kinds without a row are not key places for coverage."""

    kind = models.CharField(max_length=20, primary_key=True, choices=Place.Kind.choices)
    every_days = models.PositiveSmallIntegerField(help_text="a check at least this often (days)")

    class Meta:
        ordering = ["kind"]
        constraints = [models.CheckConstraint(condition=Q(every_days__gte=1) & Q(every_days__lte=366),
                                              name="field_cadence_days")]

    def __str__(self) -> str:
        return f"{self.kind}: every {self.every_days} days"

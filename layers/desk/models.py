"""The command desk's data: departments, the matters dispatched to them, supervision, escalations and
mediations.

Each is its own narrow table keyed by the incident rather than columns on layers_incident: only a few
per cent of matters go to a department, are supervised, escalated or mediated, and the incident table
(a million rows at full scale, written by every intake) stays as it is.

Each desk row carries a copy of its incident's grid code, report time, closing time and due time
(`CohortCopy`): the figures count a unit's period from these small tables alone (layers/figures/
desk.py), where a join would read a year of the incident table (half a million rows, ~0.5 s). The
database keeps the copy: a BEFORE INSERT trigger fills it and an AFTER UPDATE trigger on
layers_incident follows every change (layers/desk/sql/functions/20_cohort_copy.sql), whatever the
write path (the loop, a redraw's reassignment, the admin).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils import timezone

from grids.models import Area

# A follow-up visit (回访) is due within a month of a mediation agreement.
FOLLOWUP_DAYS = 30


class CohortCopy(models.Model):
    """The incident's columns the figures select and count by, copied and kept by the database."""

    grid_code = models.CharField(max_length=16, null=True, blank=True, editable=False)
    reported_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    due_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


def cohort_indexes(table: str, covering: tuple[str, ...] = ()) -> list[models.Index]:
    """A unit's period: a range on the grid-code prefix (pattern ops, whatever the collation), for a
    township or finer; and a range of report times, for a county, whose prefix is the whole table.

    The second covers the grid code and `covering`, the columns the table's figures read
    (layers/figures/desk.py): a county's year is then an index-only scan of a few hundred pages rather
    than a heap page per row (at 5M incidents, a year's escalation block 100 → 14 ms, the departments'
    96 → 27 ms, supervision 113 → 79 ms: EXPLAIN ANALYZE in the #15 note)."""
    return [models.Index(fields=["grid_code", "reported_at"], opclasses=["varchar_pattern_ops", "timestamptz_ops"],
                         name=f"{table}_cohort"),
            models.Index(fields=["reported_at"], include=["grid_code", *covering], name=f"{table}_reported")]


class DepartmentQuerySet(models.QuerySet):
    def within(self, code: str | None):
        """Departments a caller limited to `code` deals with: those of the units above it (the county's
        bureaus serve a township) and of the units inside it."""
        if not code:
            return self
        above = [code[:n] for n in (6, 9, 12, 15) if n <= len(code)]
        return self.filter(Q(unit_id__in=above) | Q(unit__code__startswith=code))


class Department(models.Model):
    """A functional department (职能部门) the center dispatches matters to, attached to a unit (usually
    the county: 县司法局; sometimes a township's office: 镇司法所)."""

    class Kind(models.TextChoices):
        JUSTICE = "justice", "justice 司法局"
        ECOLOGY = "ecology", "ecology and environment 生态环境局"
        HOUSING = "housing", "housing and construction 住建局"
        TRANSPORT = "transport", "transport 交通运输局"
        AGRICULTURE = "agriculture", "agriculture and rural affairs 农业农村局"
        HEALTH = "health", "health commission 卫健委"
        MARKET = "market", "market regulation 市场监管局"
        EMERGENCY = "emergency", "emergency management 应急管理局"
        POLICE = "police", "public security 公安局"
        HUMAN_RESOURCES = "human_resources", "human resources and social security 人社局"
        NATURAL_RESOURCES = "natural_resources", "natural resources 自然资源局"
        CIVIL_AFFAIRS = "civil_affairs", "civil affairs 民政局"
        EDUCATION = "education", "education 教育局"
        PETITIONS = "petitions", "letters and visits 信访局"
        WATER = "water", "water resources 水利局"
        URBAN = "urban", "urban management 城管局"
        COURT = "court", "people's court 人民法院"
        OTHER = "other", "other 其他"

    code = models.CharField(max_length=32, unique=True, help_text="unit code + '-' + a short name, e.g. 419001-SFJ")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    unit = models.ForeignKey(Area, to_field="code", db_column="unit_code", on_delete=models.PROTECT,
                             related_name="+", help_text="the unit (area code) the department belongs to")
    contact = models.CharField(max_length=100, blank=True, help_text="office phone or duty desk")
    active = models.BooleanField(default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{6,16}-[A-Z0-9]{1,15}$"),
                                              name="department_code_form")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Dispatch(CohortCopy):
    """A matter handed to a department, as the lead (牵头) or a co-handler (协办). A matter has at most
    one open lead; re-dispatching ends the open rows, a department's return ends its own."""

    class Role(models.TextChoices):
        LEAD = "lead", "lead 牵头"
        CO = "co", "co-handler 协办"

    class End(models.TextChoices):
        RETURNED = "returned", "returned by the department 退回"
        REDISPATCHED = "redispatched", "dispatched elsewhere 改派"

    incident = models.ForeignKey("layers.Incident", on_delete=models.CASCADE, related_name="dispatches",
                                 db_constraint=False)  # see Incident: kept by layers_incident_must_exist
    # By code: a department account's narrowing (layers/desk/scope.py) is then one indexed column.
    department = models.ForeignKey(Department, to_field="code", db_column="department_code",
                                   on_delete=models.PROTECT, related_name="dispatches")
    role = models.CharField(max_length=4, choices=Role.choices)
    dispatched_at = models.DateTimeField(default=timezone.now)
    dispatched_by = models.CharField(max_length=150, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end = models.CharField(max_length=12, choices=End.choices, blank=True)
    reason = models.TextField(blank=True, help_text="why the department returned it")

    class Meta:
        ordering = ["incident", "dispatched_at", "id"]
        indexes = [models.Index(fields=["department", "incident"], condition=Q(ended_at__isnull=True),
                                name="dispatch_open_department"),
                   models.Index(fields=["department", "role"], name="dispatch_department_role"),
                   *cohort_indexes("dispatch", ("department", "role", "dispatched_at", "ended_at", "end",
                                                "closed_at", "due_at"))]
        constraints = [
            models.UniqueConstraint(fields=["incident"], condition=Q(role="lead", ended_at__isnull=True),
                                    name="dispatch_one_open_lead"),
            models.CheckConstraint(condition=Q(ended_at__isnull=True, end="") | Q(ended_at__isnull=False) & ~Q(end=""),
                                   name="dispatch_end_has_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.incident_id} → {self.department_id} ({self.role})"


class Supervision(CohortCopy):
    """A supervised matter (督办), or a listed one (挂牌督办) with its owner (包案领导) and deadline.
    Reminders (催办) are events of the incident (action "remind")."""

    class Kind(models.TextChoices):
        SUPERVISED = "supervised", "supervised 督办"
        LISTED = "listed", "listed 挂牌督办"

    incident = models.OneToOneField("layers.Incident", on_delete=models.CASCADE, primary_key=True, db_constraint=False,
                                    related_name="supervision")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    owner = models.CharField(max_length=100, blank=True, help_text="the leader who owns the case 包案领导")
    deadline = models.DateTimeField(null=True, blank=True, help_text="by when the matter must be closed")
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)
    automatic = models.BooleanField(default=False, help_text="opened at intake for a large risk level")
    reminders = models.PositiveIntegerField(default=0, help_text="reminders (催办) so far; each is also an event")

    class Meta:
        indexes = [*cohort_indexes("supervision", ("opened_at", "kind", "closed_at", "deadline", "reminders"))]
        constraints = [models.CheckConstraint(
            condition=Q(kind="supervised") | (Q(kind="listed") & ~Q(owner="") & Q(deadline__isnull=False)),
            name="supervision_listed_has_owner_deadline")]

    def __str__(self) -> str:
        return f"#{self.incident_id} {self.kind}"


class Escalation(CohortCopy):
    """One escalation of a matter: the level it went to and who holds it now (小事不出格、大事不出村)."""

    class Level(models.TextChoices):
        VILLAGE = "village", "village/community 村(社区)"
        TOWNSHIP = "township", "township/street 镇(街道)"
        COUNTY = "county", "county joint group 县联合工作组"

    incident = models.ForeignKey("layers.Incident", on_delete=models.CASCADE, related_name="escalations",
                                 db_constraint=False)  # see Incident: kept by layers_incident_must_exist
    level = models.CharField(max_length=10, choices=Level.choices)
    holder = models.CharField(max_length=100, help_text="who holds the matter now")
    at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["incident", "at", "id"]
        indexes = [*cohort_indexes("escalation", ("incident", "closed_at", "level", "at"))]

    def __str__(self) -> str:
        return f"#{self.incident_id} → {self.level} ({self.holder})"


class Mediation(CohortCopy):
    """A dispute's mediation (三调联动): route, mediating body, outcome, agreement and follow-up visit."""

    class Route(models.TextChoices):
        PEOPLE = "people", "people's mediation 人民调解"
        ADMINISTRATIVE = "administrative", "administrative mediation 行政调解"
        JUDICIAL = "judicial", "judicial mediation 司法调解"
        INDUSTRY = "industry", "industry committee 行业性专业性调解"
        COURT_REFERRED = "court_referred", "court-referred 诉前委派调解"

    class Outcome(models.TextChoices):
        PENDING = "pending", "pending 调解中"
        AGREEMENT = "agreement", "agreement 调解成功"
        PARTIAL = "partial", "partial agreement 部分达成"
        FAILED = "failed", "failed 调解不成"

    class NextStep(models.TextChoices):
        ARBITRATION = "arbitration", "arbitration 仲裁"
        LITIGATION = "litigation", "litigation 诉讼"
        PETITION = "petition", "petition 信访"

    incident = models.OneToOneField("layers.Incident", on_delete=models.CASCADE, primary_key=True, db_constraint=False,
                                    related_name="mediation")
    route = models.CharField(max_length=16, choices=Route.choices)
    body = models.CharField(max_length=100, help_text="the mediating body, e.g. 某村人民调解委员会")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    next_step = models.CharField(max_length=12, choices=NextStep.choices, blank=True,
                                 help_text="where a failed mediation goes next")
    agreement_date = models.DateField(null=True, blank=True)
    followup_due = models.DateField(null=True, blank=True, help_text=f"agreement date + {FOLLOWUP_DAYS} days")
    followed_up_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        indexes = [*cohort_indexes("mediation"),
                   # The few agreements still waiting for their follow-up visit.
                   models.Index(fields=["followup_due"], name="mediation_followup_waiting",
                                condition=Q(followed_up_at__isnull=True, followup_due__isnull=False))]
        constraints = [
            models.CheckConstraint(condition=Q(outcome="failed") | Q(next_step=""), name="mediation_next_only_failed"),
            models.CheckConstraint(condition=~Q(outcome__in=["agreement", "partial"]) | Q(agreement_date__isnull=False),
                                   name="mediation_agreement_dated"),
        ]

    def __str__(self) -> str:
        return f"#{self.incident_id} {self.route} {self.outcome}"

    @staticmethod
    def followup_for(agreement: dt.date | None) -> dt.date | None:
        return None if agreement is None else agreement + dt.timedelta(days=FOLLOWUP_DAYS)


class MediationRollup(models.Model):
    """Mediations per area (levels 1-4, as IncidentRollup), local month of the dispute's report, route,
    outcome and next step: what keeps a county's year of mediation figures off ~100,000 rows at full
    scale. Kept by statement-level triggers on layers_mediation (layers/desk/sql/functions/
    30_mediation_rollup.sql), which also see the cohort copy follow its incident; the days before the
    first and after the last whole month of a period are counted from the rows (layers/figures/desk.py)."""

    level = models.PositiveSmallIntegerField(help_text="1 county, 2 township, 3 village, 4 basic grid")
    area_code = models.CharField(max_length=16)
    month = models.DateField(help_text="first day of the local month of report (GRIDMAP_TIME_ZONE)")
    route = models.CharField(max_length=16)
    outcome = models.CharField(max_length=10)
    next_step = models.CharField(max_length=12)
    n = models.IntegerField(default=0)
    followed_up = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["area_code", "month", "route", "outcome", "next_step"], name="mediationrollup_key",
            opclasses=["varchar_pattern_ops", "date_ops", "varchar_ops", "varchar_ops", "varchar_ops"])]
        indexes = [models.Index(fields=["level", "month"], name="mediationrollup_level_month")]

    def __str__(self) -> str:
        return f"{self.area_code} {self.month:%Y-%m} {self.route}/{self.outcome}: {self.n}"

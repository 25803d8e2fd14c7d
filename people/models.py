"""民情: the people, households, enterprises and key groups of a grid, on the unified address.

- A Person lives in one room (layers.Room, 25-digit room address) at a time: Residence rows keep every
  move, and a partial unique index lets at most one of a person's residences be open (moved_out empty),
  whatever writes it (the ORM, an import's COPY, psql).
- A Household lives in a room; its members are people.
- An Enterprise (or organisation) is registered on a building (17-digit building address), with its
  unified social credit code validated by its check character (GB 32100).
- A KeyTag puts a person in one of the key groups (the "six lists"), with the responsible grid worker
  and the follow-up cadence; FollowUp rows record the visits.

Scope: a person, a household or an enterprise is inside an area when its room's (or its own) building
is placed in a grid of that area: `within(code)` is a prefix match on the building's grid_code, the
same rule as every placed thing. A person with no current residence is inside no area, so only
unrestricted users (administrators) see them.

Personal data: everything that identifies a person (PERSONAL_FIELDS) is read only by users with the
personal-data right, and every such read is audited (people/represent.py). Identity numbers are kept
as a keyed hash plus a ciphertext (people/identity.py says why).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Worker
from layers.models import Building, Room

# What identifies a person or the person behind an organisation: never in tiles, OGC, default exports,
# dashboards, or answers to users without the personal-data right.
PERSONAL_FIELDS = {
    "person": ("name", "id_number", "gender", "birth_date", "phone", "residences", "key_groups"),
    "enterprise": ("legal_representative", "phone"),
}


class KeyGroup(models.TextChoices):
    """The "six lists" (六类重点人群) a grid follows up."""

    RELEASED = "released", _("released from prison 刑满释放")
    CORRECTION = "correction", _("community correction 社区矫正")
    DRUG = "drug", _("drug rehabilitation 社区戒毒康复")
    MENTAL = "mental", _("severe mental disorder 严重精神障碍")
    PETITION = "petition", _("key petitioner 重点信访")
    AT_RISK_YOUTH = "youth", _("at-risk youth 重点青少年")


class PersonQuerySet(models.QuerySet):
    def within(self, code: str | None) -> PersonQuerySet:
        """People whose current room is in a building placed inside the area (None: everyone)."""
        if not code:
            return self
        return self.filter(residences__moved_out__isnull=True,
                           residences__room__building__grid__code__startswith=code)


class Person(models.Model):
    """A resident. `demo` marks generated people (names made up by the demo loader, never real ones)."""

    name = models.CharField(max_length=50)
    id_hash = models.CharField(max_length=64, unique=True, help_text="HMAC-SHA256 of the identity number")
    id_cipher = models.BinaryField(editable=False, help_text="the identity number, encrypted (pgcrypto)")
    gender = models.CharField(max_length=1, choices=[("M", _("male")), ("F", _("female"))])
    birth_date = models.DateField()
    phone = models.CharField(max_length=20, blank=True)
    household = models.ForeignKey("Household", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="members")
    demo = models.BooleanField(default=False, help_text="generated demo data, not a real person")
    created_at = models.DateTimeField(default=timezone.now)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        # Never the name: str() ends up in logs, admin history and error messages.
        return f"person #{self.pk}"

    def current_residence(self) -> Residence | None:
        return self.residences.filter(moved_out__isnull=True).select_related("room__building").first()


class HouseholdQuerySet(models.QuerySet):
    def within(self, code: str | None) -> HouseholdQuerySet:
        return self if not code else self.filter(room__building__grid__code__startswith=code)


class Household(models.Model):
    """A household (户) living in a room; its members are the people whose household it is."""

    number = models.CharField(max_length=32, blank=True, help_text="户号 in the household register")
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    demo = models.BooleanField(default=False)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return f"household #{self.pk}"


class Residence(models.Model):
    """A person living in a room from moved_in until moved_out (empty: lives there now)."""

    class Tenure(models.TextChoices):
        OWNER = "owner", _("owner-occupier 自住")
        TENANT = "tenant", _("tenant 租住")
        OTHER = "other", _("other 其他")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="residences")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    tenure = models.CharField(max_length=8, choices=Tenure.choices, default=Tenure.OWNER)
    moved_in = models.DateField()
    moved_out = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["person", "moved_in", "id"]
        verbose_name = _("residence")
        verbose_name_plural = _("residences")
        # No second index on room for the current residents only: the foreign key's index on room serves the
        # same look-ups (a room's few past residences are filtered out), and every residence written (an
        # import's 100,000: ~0.3 s of CPU) kept both (people 0101).
        constraints = [
            # One current room per person, enforced by the database whatever the write path.
            models.UniqueConstraint(fields=["person"], condition=Q(moved_out__isnull=True),
                                    name="residence_one_current"),
            models.CheckConstraint(condition=Q(moved_out__isnull=True) | Q(moved_out__gte=F("moved_in")),
                                   name="residence_period_order"),
        ]

    def __str__(self) -> str:
        return f"residence #{self.pk}"


class EnterpriseQuerySet(models.QuerySet):
    def within(self, code: str | None) -> EnterpriseQuerySet:
        return self if not code else self.filter(building__grid__code__startswith=code)


class Enterprise(models.Model):
    """An enterprise or organisation registered on a building, identified by its credit code."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("company 企业")
        INDIVIDUAL = "individual", _("individual business 个体工商户")
        SOCIAL = "social", _("social organisation 社会组织")
        PUBLIC = "public", _("public institution 事业单位")
        OTHER = "other", _("other 其他")

    credit_code = models.CharField(max_length=18, unique=True, help_text="unified social credit code (GB 32100)")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.COMPANY)
    industry = models.CharField(max_length=60, blank=True)
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="+")
    employees = models.PositiveIntegerField(default=0)
    # Personal: the person behind the organisation.
    legal_representative = models.CharField(max_length=50, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    demo = models.BooleanField(default=False)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["credit_code"]
        verbose_name = _("enterprise or organisation")
        verbose_name_plural = _("enterprises and organisations")
        constraints = [models.CheckConstraint(condition=Q(credit_code__regex=r"^[0-9A-HJ-NP-RTUWXY]{18}$"),
                                              name="enterprise_credit_code_chars")]

    def __str__(self) -> str:
        return f"{self.credit_code} {self.name}"


class KeyTag(models.Model):
    """A person in a key group since `since` (until `until`), followed up every `cadence_days` days by
    the responsible worker."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="key_tags")
    group = models.CharField(max_length=12, choices=KeyGroup.choices)
    worker = models.ForeignKey(Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cadence_days = models.PositiveSmallIntegerField(default=30)
    since = models.DateField()
    until = models.DateField(null=True, blank=True)
    # Kept by the database for now's follow-up figures (people/sql/functions/30_followups.sql): the day the
    # next follow-up is due, and the basic grid the person lives in now. Never written by the app: a trigger
    # recomputes both on every insert or update of a tag, and after follow-ups, moves and redraws.
    due_on = models.DateField(null=True, blank=True, editable=False)
    grid_code = models.CharField(max_length=16, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["person", "group"]
        verbose_name = _("key-group tag")
        verbose_name_plural = _("key-group tags")
        # Now's figures of an area: a range on the grid-code prefix (varchar_pattern_ops serves LIKE 'x%').
        indexes = [models.Index(fields=["grid_code", "due_on"], name="keytag_grid_due",
                                opclasses=["varchar_pattern_ops", "date_ops"])]
        constraints = [
            models.UniqueConstraint(fields=["person", "group"], condition=Q(until__isnull=True),
                                    name="keytag_one_open"),
            models.CheckConstraint(condition=Q(cadence_days__gte=1), name="keytag_cadence_positive"),
        ]

    def __str__(self) -> str:
        return f"key tag #{self.pk} ({self.group})"


class FollowUp(models.Model):
    """A follow-up (走访) of a key person (one of their key-group tags) by a worker.

    `at` is when it happened, as the phone says: a phone offline in a village records it there and
    sends it later, so `at` may lie days before `recorded_at` (when the server stored it), never after
    it nor before the tag began (people.followups checks). The note is personal data: read only with the
    personal-data right, audited. `client_id` makes a phone's retry store once."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("home visit 上门走访")
        PHONE = "phone", _("phone call 电话")
        OTHER = "other", _("other 其他")

    class Outcome(models.TextChoices):
        STABLE = "stable", _("stable 情况稳定")
        CONCERN = "concern", _("needs attention 需关注")
        UNREACHED = "unreached", _("not reached 未见到本人")
        REPORTED = "reported", _("matter reported 已上报事件")

    tag = models.ForeignKey(KeyTag, on_delete=models.CASCADE, related_name="follow_ups")
    worker = models.ForeignKey(Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.VISIT)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.STABLE)
    note = models.TextField(blank=True)
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    client_id = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["tag", "-at"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [models.Index(fields=["tag", "at"], name="followup_tag_at"),
                   models.Index(fields=["at"], name="followup_at")]

    def __str__(self) -> str:
        return f"follow-up #{self.pk}"


class UnitCount(models.Model):
    """The people rollup: per area (county, township, village, basic grid: a row per level) and measure
    (population, households, enterprises, key_<group>, rooms_empty/let/owner), the current count.

    Kept by statement-level triggers (people/sql/functions/20_rollup.sql) on every table a count reads
    (residences, households, enterprises, key tags, rooms, buildings), in the transaction of the write;
    each affected grid is recounted from the rows and the difference added to it and its three
    ancestors. Current counts only (no months): people figures are a state, not a flow.
    """

    level = models.PositiveSmallIntegerField()
    area_code = models.CharField(max_length=16)
    measure = models.CharField(max_length=24)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area_code", "measure"], name="people_unitcount_key",
                                               opclasses=["varchar_pattern_ops", "varchar_ops"])]
        indexes = [models.Index(fields=["level", "area_code"], name="people_unitcount_level")]

    def __str__(self) -> str:
        return f"{self.area_code} {self.measure}: {self.n}"


class IncidentLink(models.Model):
    """The person and/or enterprise an incident concerns, named at intake (layers.incidents.links).

    Kept here, not on layers.Incident, because layers may not know people (tests/geo/test_layering.py).
    One row per incident; the person is personal data (shown only with the right, inside the scope,
    audited), the enterprise's public fields are shown to every viewer of the incident.
    """

    incident = models.OneToOneField("layers.Incident", on_delete=models.CASCADE, primary_key=True, db_constraint=False,
                                    related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)
    linked_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("incident link")
        verbose_name_plural = _("incident links")
        constraints = [models.CheckConstraint(condition=Q(person__isnull=False) | Q(enterprise__isnull=False),
                                              name="incidentlink_names_someone")]

    def __str__(self) -> str:
        return f"links of incident #{self.incident_id}"

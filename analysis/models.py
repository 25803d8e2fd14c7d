"""The analysis tables an administrator edits: the index's versioned weight table and the three-zero rules.

Nothing here holds a figure: the index, the warnings and the three-zero verdicts are computed from the
figures' one home (layers/figures, docs/figures.md) each time they are asked for. What is stored is
only what a person decides: how much each input weighs (and its normalisation anchors) from which
month on, and which matters break a three-zero unit.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layers.models import Incident


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def _forget() -> None:
    """A weight change drops this process's cached month maps (analysis.index.month_map: the choropleth
    tiles); other processes' expire within 10 minutes."""
    from analysis import threezero
    from analysis.index import forget

    forget()
    threezero.forget()


class WeightVersion(models.Model):
    """One version of the index's weight table, in force from `valid_from` (the first day of a month)
    until the next version's first month. The index of a month is computed with the version in force
    in that month, so last year's index keeps last year's weights: a change of weights is a NEW
    version from this month or a coming one, and a version that applies to a past month (valid_from
    before this month) cannot be edited or deleted (the admin shows it read-only, save() refuses it).
    This month's index is provisional until the month ends, so a version from this month stays editable."""

    valid_from = models.DateField(unique=True, help_text=_("first day of the first month these weights apply to"))
    note = models.CharField(max_length=200, blank=True, help_text=_("why the weights changed"))
    green_at = models.FloatField(default=85.0, help_text=_("a score at or above this is green (safe)"))
    amber_at = models.FloatField(default=70.0, help_text=_("a score at or above this (and below green) is amber; "
                                                           "below it, red"))
    created_by = models.CharField(max_length=150, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["valid_from"]
        verbose_name = _("index weight version")
        verbose_name_plural = _("index weight versions")
        constraints = [models.CheckConstraint(condition=Q(amber_at__lte=models.F("green_at")),
                                              name="weightversion_bands_order")]

    def __str__(self) -> str:
        return f"{self.valid_from:%Y-%m}"

    def save(self, *args, history: bool = False, **kwargs) -> None:
        """`history`: write a version for months already past (the seed migration, tests building a past);
        the admin never passes it."""
        self._history = history
        if self.in_force and not history:
            raise ValidationError(_("weights already in force are history: add a new version from a coming month"))
        self.full_clean(exclude=["created_by"])
        super().save(*args, **kwargs)
        _forget()

    def delete(self, *args, **kwargs):
        if self.in_force:
            raise ValidationError(_("weights already in force are history and cannot be deleted"))
        return super().delete(*args, **kwargs)

    @property
    def in_force(self) -> bool:
        """Whether a month that has ended was computed with it (it began before this month)."""
        return self.pk is not None and WeightVersion.objects.filter(pk=self.pk, valid_from__lt=this_month()).exists()

    def clean(self) -> None:
        if self.valid_from and self.valid_from.day != 1:
            raise ValidationError({"valid_from": _("a weight version starts on the first day of a month")})
        if self.valid_from and self.valid_from < this_month() and not getattr(self, "_history", False):
            raise ValidationError({"valid_from": _("new weights apply from this month or a coming one; earlier months "
                                                   "keep the weights they were computed with")})
        if self.amber_at is not None and self.green_at is not None and self.amber_at > self.green_at:
            raise ValidationError({"amber_at": _("amber must not start above green")})

class Weight(models.Model):
    """One input's weight and normalisation anchors in a version. The input's sub-score is
    100 × clamp((bad − value) / (bad − good), 0, 1): 100 at `good` or better, 0 at `bad` or worse,
    linear between (analysis/inputs.py says why fixed anchors rather than peers' min and max)."""

    version = models.ForeignKey(WeightVersion, on_delete=models.CASCADE, related_name="weights")
    input = models.CharField(max_length=40, help_text=_("an input of the registry (analysis/inputs.py)"))
    weight = models.FloatField(help_text=_("relative weight, ≥ 0 (0: the input does not count)"))
    good = models.FloatField(help_text=_("the value that scores 100"))
    bad = models.FloatField(help_text=_("the value that scores 0"))

    class Meta:
        ordering = ["version", "input"]
        constraints = [models.UniqueConstraint(fields=["version", "input"], name="weight_one_per_input"),
                       models.CheckConstraint(condition=Q(weight__gte=0), name="weight_not_negative"),
                       models.CheckConstraint(condition=~Q(good=models.F("bad")), name="weight_anchors_differ")]

    def __str__(self) -> str:
        return f"{self.version} {self.input} ×{self.weight}"

    def save(self, *args, history: bool = False, **kwargs) -> None:
        if self.version.in_force and not history:
            raise ValidationError(_("weights already in force are history: add a new version from a coming month"))
        self.full_clean()
        super().save(*args, **kwargs)
        _forget()

    def clean(self) -> None:
        from analysis.inputs import REGISTRY
        if self.input not in REGISTRY:
            raise ValidationError({"input": _("unknown input {key!r}; known: {known}").format(
                key=self.input, known=", ".join(REGISTRY))})
        if self.weight is not None and self.weight < 0:
            raise ValidationError({"weight": _("a weight is 0 or more")})
        if self.good is not None and self.good == self.bad:
            raise ValidationError({"bad": _("good and bad must differ")})

class ThreeZeroRule(models.Model):
    """One way a unit loses its three-zero (三零) status: a matter of these classes, severities,
    sub-classes and sources (each empty: any), escalated at least to `min_escalation` (empty: whether
    escalated or not), reported in the unit during the period. Rules of the same criterion are
    alternatives; provinces word the criteria differently, so the administrator edits them."""

    class Criterion(models.TextChoices):
        PETITION = "petition", _("no petition escalated upward 零越级上访")
        ACCIDENT = "accident", _("no safety accident 零安全事故")
        CRIMINAL = "criminal", _("no criminal case 零刑事案件")

    class Escalation(models.TextChoices):
        ANY = "", _("escalated or not")
        VILLAGE = "village", _("escalated to the village or higher")
        TOWNSHIP = "township", _("escalated to the township or higher")
        COUNTY = "county", _("escalated to the county")

    criterion = models.CharField(max_length=10, choices=Criterion.choices)
    name = models.CharField(max_length=100)
    categories = models.JSONField(default=list, blank=True, help_text=_("incident classes (empty: any)"))
    severities = models.JSONField(default=list, blank=True, help_text=_("severities (empty: any)"))
    subcategories = models.JSONField(default=list, blank=True, help_text=_("sub-classes (empty: any)"))
    sources = models.JSONField(default=list, blank=True, help_text=_("sources (empty: any)"))
    min_escalation = models.CharField(max_length=10, choices=Escalation.choices, blank=True, default="")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["criterion", "name"]
        verbose_name = _("three-zero rule")
        verbose_name_plural = _("three-zero rules")

    def __str__(self) -> str:
        return f"{self.get_criterion_display()}: {self.name}"

    def save(self, *args, **kwargs) -> None:
        self.full_clean()
        super().save(*args, **kwargs)
        _forget()  # this process's kept verdicts (analysis.threezero.verdicts); others' expire in 10 min

    def clean(self) -> None:
        allowed = {"categories": {c for c, _l in Incident.Category.choices},
                   "severities": {s for s, _l in Incident.Severity.choices},
                   "sources": {s for s, _l in Incident.Source.choices}}
        for name in ("categories", "severities", "subcategories", "sources"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ValidationError({name: _("a list of names")})
            unknown = sorted(set(value) - allowed[name]) if name in allowed else []
            if unknown:
                raise ValidationError({name: _("unknown: {names}").format(names=", ".join(unknown))})
        if not (self.categories or self.severities or self.subcategories or self.sources or self.min_escalation):
            raise ValidationError(_("a rule that names nothing would break every unit with any matter"))

"""Who may do what, where: user profiles with a role and an area scope, API tokens, the audit trail.

These live in geo/ because every app's views use them; geo imports no higher layer, so the scope is
stored as an area code (a string), which is all the querysets' `within(code)` needs.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # One language at a time: English msgids, Chinese in locale/zh_Hans (值班员, 网格规划, 领导...).
    OPERATOR = "operator", _("command-center operator")
    PLANNER = "planner", _("planner")
    LEADER = "leader", _("leader")
    ANALYST = "analyst", _("analyst")
    GRID_WORKER = "grid_worker", _("grid worker")
    DEPARTMENT = "department", _("department")
    ADMINISTRATOR = "administrator", _("administrator")


class Profile(models.Model):
    """A user's role and area scope. No profile means no access to data (only superusers bypass)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gridmap")
    role = models.CharField(max_length=16, choices=Role.choices)
    scope = models.CharField(max_length=16, blank=True,
                             help_text="area code the user is limited to (county, township, village or grid); "
                                       "empty = the whole database (administrators)")
    personal_data = models.BooleanField(default=False,
                                        help_text="may see and export personal fields (names, phones)")
    worker_no = models.CharField(max_length=32, blank=True, help_text="employee_no of the grid worker, if any")
    # A code, not a foreign key: geo imports no app (layers.desk.models.Department holds the codes).
    department = models.CharField(max_length=32, blank=True,
                                  help_text="code of the department a department account acts for "
                                            "(layers Department), e.g. 419001-SFJ")

    class Meta:
        verbose_name = _("role and scope")
        verbose_name_plural = _("roles and scopes")

    def __str__(self) -> str:
        return f"{self.user} ({self.role}, {self.scope or 'all'})"


class ApiTokenQuerySet(models.QuerySet):
    def matching(self, key: str):
        return self.filter(key_hash=ApiToken.hash(key), revoked=False)


class ApiToken(models.Model):
    """A bearer token for the API and tiles. Only its hash is stored; the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="first characters, to tell tokens apart")
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def new_key(self) -> str:
        """Give this (unsaved) token a fresh random key and return it: only its hash and prefix are kept."""
        key = secrets.token_urlsafe(32)
        self.key_hash, self.prefix = self.hash(key), key[:8]
        return key

    @classmethod
    def issue(cls, user, label: str = "") -> str:
        """Create a token for the user and return its key (the only time the key is available)."""
        token = cls(user=user, label=label)
        key = token.new_key()
        token.save()
        return key


class AuditRecord(models.Model):
    """One audited action: boundary changes, incident transitions, exports, logins, user changes."""

    class Action(models.TextChoices):
        LOGIN = "login", _("login")
        LOGIN_FAILED = "login_failed", _("failed login")
        BOUNDARY_CHANGE = "boundary_change", _("boundary change")
        INCIDENT_TRANSITION = "incident_transition", _("incident transition")
        EXPORT = "export", _("export")
        USER_CHANGE = "user_change", _("user change")
        CALENDAR_CHANGE = "calendar_change", _("working-day calendar change")
        PERSONAL_READ = "personal_read", _("personal data read")
        ANALYSIS_READ = "analysis_read", _("analysis read (index, warnings, three-zero)")
        ANALYSIS_CHANGE = "analysis_change", _("analysis rule change (index weights, three-zero rules)")
        PATROL_UPLOAD = "patrol_upload", _("patrol upload")
        VISIT = "visit", _("field visit")
        ADDRESS_CHANGE = "address_change", _("address created or imported")
        PEOPLE_CHANGE = "people_change", _("people or enterprises imported")
        CAMERA_CHANGE = "camera_change", _("cameras imported")
        VIDEO_PATROL = "video_patrol", _("video patrol")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    username = models.CharField(max_length=150, blank=True, help_text="kept if the user is deleted")
    action = models.CharField(max_length=24, choices=Action.choices, db_index=True)
    target = models.CharField(max_length=200, blank=True, help_text="what was acted on: an area code, incident id…")
    detail = models.JSONField(default=dict, blank=True, help_text="filters, before/after, reason…")
    rows = models.PositiveIntegerField(null=True, blank=True, help_text="rows exported, objects changed")
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.target}"


class RateCounter(models.Model):
    """Requests per caller and time window, for geo.ratelimit."""

    bucket = models.CharField(max_length=32)
    who = models.CharField(max_length=64)
    window_start = models.BigIntegerField()
    hits = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bucket", "who", "window_start"], name="ratecounter_key")]
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")

    def __str__(self) -> str:
        return f"{self.bucket} {self.who} {self.window_start}: {self.hits}"

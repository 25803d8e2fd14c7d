"""The administrator sets how often each kind of key place must be checked (coverage's overdue checks)."""

from django.contrib import admin

from field.models import CheckCadence


@admin.register(CheckCadence)
class CheckCadenceAdmin(admin.ModelAdmin):
    """Kinds of place with a required check cadence; a kind without a row is not a key place for coverage.
    Changes are in the admin's own history (LogEntry)."""

    list_display = ("kind", "every_days")
    ordering = ("kind",)

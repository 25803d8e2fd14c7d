"""The administrator's analysis tables: the index's weight versions and the three-zero rules.

A weight version already in force (it began at or before this month) is history: shown read-only, so
last year's index keeps last year's weights; a change is a new version from a coming month ("Save as
new" on an old one copies its weights). Every change is audited (analysis_change).
"""

from django.contrib import admin
from django.db import transaction

from analysis.models import ThreeZeroRule, Weight, WeightVersion
from geo.access import audit
from geo.models import AuditRecord


class WeightInline(admin.TabularInline):
    model = Weight
    extra = 0

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.in_force

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class Audited:
    """Audit every save and delete of the admin's analysis tables."""

    def save_model(self, request, obj, form, change) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit(request.user, AuditRecord.Action.ANALYSIS_CHANGE, target=f"{obj._meta.model_name}:{obj.pk}",
                  detail={"change": "edit" if change else "add", "object": str(obj),
                          "fields": sorted(form.changed_data)}, request=request)

    def save_formset(self, request, form, formset, change) -> None:
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            changed = [str(o) for o in formset.new_objects + [o for o, _f in formset.changed_objects]]
            if changed or formset.deleted_objects:
                audit(request.user, AuditRecord.Action.ANALYSIS_CHANGE, target=f"weightversion:{form.instance.pk}",
                      detail={"weights": changed, "deleted": [str(o) for o in formset.deleted_objects]},
                      request=request)

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            audit(request.user, AuditRecord.Action.ANALYSIS_CHANGE, target=f"{obj._meta.model_name}:{obj.pk}",
                  detail={"change": "delete", "object": str(obj)}, request=request)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(WeightVersion)
class WeightVersionAdmin(Audited, admin.ModelAdmin):
    list_display = ("valid_from", "note", "green_at", "amber_at", "created_by", "created_at")
    inlines = [WeightInline]
    save_as = True

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or not obj.in_force)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or not obj.in_force)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user.get_username()
        super().save_model(request, obj, form, change)


@admin.register(ThreeZeroRule)
class ThreeZeroRuleAdmin(Audited, admin.ModelAdmin):
    list_display = ("criterion", "name", "categories", "severities", "subcategories", "sources", "min_escalation",
                    "active")
    list_filter = ("criterion", "active")

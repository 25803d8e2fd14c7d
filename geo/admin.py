"""Users with their role and scope, API tokens, and the audit trail (browsable and exportable as CSV)."""

from __future__ import annotations

import csv

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpResponse

from geo.models import ApiToken, AuditRecord, Profile


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False


class GridmapUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ("username", "is_active", "is_staff", "role", "scope")

    @admin.display(description="role")
    def role(self, user) -> str:
        return getattr(getattr(user, "gridmap", None), "role", "")

    @admin.display(description="scope")
    def scope(self, user) -> str:
        return getattr(getattr(user, "gridmap", None), "scope", "")


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), GridmapUserAdmin)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "label", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    readonly_fields = ("key_hash", "prefix", "created_at", "last_used_at")
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        queryset.update(revoked=True)


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "action", "target", "rows", "ip")
    list_filter = ("action",)
    search_fields = ("username", "target")
    date_hierarchy = "at"
    actions = ["export_csv"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Export the selected records as CSV")
    def export_csv(self, request, queryset) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="gridmap-audit.csv"'
        writer = csv.writer(response)
        writer.writerow(["at", "username", "action", "target", "rows", "ip", "detail"])
        for record in queryset.order_by("at"):
            writer.writerow([record.at.isoformat(), record.username, record.action, record.target,
                             record.rows, record.ip, record.detail])
        return response

"""Users with their role and scope, API tokens, and the audit trail (browsable and exportable as CSV)."""

from __future__ import annotations

import csv
import json

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpResponse
from django.template.response import TemplateResponse

from geo.access import audit
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
    """Tokens are issued here with a generated key, shown once on the page that follows the save.

    Only the key's hash is stored, so the add form has no key field at all: a key typed by hand would
    be weak, and an empty one made every add after the first collide on the unique hash (a 500).
    """

    list_display = ("prefix", "user", "label", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    raw_id_fields = ("user",)
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return ("user", "label") if obj is None else ("user", "label", "prefix", "created_at", "last_used_at",
                                                      "revoked")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("user", "prefix", "created_at", "last_used_at")

    def save_model(self, request, obj: ApiToken, form, change: bool) -> None:
        if not change:
            obj._issued_key = obj.new_key()
            audit(request.user, AuditRecord.Action.USER_CHANGE, target=obj.user.get_username(),
                  detail={"api_token": "issued", "prefix": obj.prefix, "label": obj.label}, request=request)
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj: ApiToken, post_url_continue=None):
        """The one page that shows the key, not cached; the list and the change form never show it."""
        key = getattr(obj, "_issued_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "token": obj, "key": key,
                   "title": "API token issued"}
        response = TemplateResponse(request, "admin/geo/apitoken/issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        queryset.update(revoked=True)


class ReadOnly:
    """Mixin for a model admin of records it shows and never edits: the audit trail, and boundary
    history (the planner is the one honest way to change a boundary)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("at", "username", "action", "target", "rows", "ip")
    list_filter = ("action",)
    search_fields = ("username", "target")
    date_hierarchy = "at"
    actions = ["export_csv"]

    @admin.action(description="Export the selected records as CSV")
    def export_csv(self, request, queryset) -> HttpResponse:
        """UTF-8 with a byte-order mark, which Excel needs to read Chinese names as Chinese rather than as
        mojibake; the detail column is JSON (what any tool can parse), not Python's repr of a dict."""
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="gridmap-audit.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(["at", "username", "action", "target", "rows", "ip", "detail"])
        for record in queryset.order_by("at"):
            writer.writerow([record.at.isoformat(), record.username, record.action, record.target,
                             "" if record.rows is None else record.rows, record.ip or "",
                             json.dumps(record.detail, ensure_ascii=False, sort_keys=True)])
        return response

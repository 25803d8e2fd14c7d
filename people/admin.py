"""The admin of people and enterprises obeys the same rules as the API: people only for users with the
personal-data right, inside their scope; an enterprise's representative only for them; every page that
shows personal fields (a list or a record) writes one audit row naming the records shown.

People are read here, not edited: they are registered and moved through people/services.py (imports,
the API), which check and hash the identity number; the admin cannot bypass that.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from geo.access import access_for_user
from geo.errors import InvalidInput
from layers.incidents import links
from people import identity, represent, services
from people.models import PERSONAL_FIELDS, Enterprise, FollowUp, Household, IncidentLink, KeyTag, Person, Residence


def _access(request):
    return access_for_user(request.user)


class ScopedAdmin(admin.ModelAdmin):
    """A model admin whose rows are narrowed to the user's area scope."""

    def get_queryset(self, request):
        return super().get_queryset(request).within(_access(request).scope)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ResidenceInline(ReadOnlyInline):
    model = Residence
    fields = readonly_fields = ("room", "tenure", "moved_in", "moved_out")


class KeyTagInline(ReadOnlyInline):
    model = KeyTag
    fields = readonly_fields = ("group", "worker", "cadence_days", "since", "until")


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    list_display = ("id", "name", "gender", "birth_date", "demo")
    list_filter = ("demo", "gender")
    fields = readonly_fields = ("name", "identity_number", "gender", "birth_date", "phone", "household", "demo")
    inlines = [ResidenceInline, KeyTagInline]

    def has_module_permission(self, request) -> bool:
        return _access(request).personal_data and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _access(request).personal_data and super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("identity number"))
    def identity_number(self, obj: Person) -> str:
        return services.decrypt([obj.pk]).get(obj.pk, "")

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl") if hasattr(response, "context_data") else None
        if changelist is not None:
            represent.audit_read(_access(request), "person", [p.pk for p in changelist.result_list], request)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and str(object_id).isdigit():
            represent.audit_read(_access(request), "person", [int(object_id)], request)
        return response


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = ("id", "number", "room", "demo")
    raw_id_fields = ("room",)

    def has_module_permission(self, request) -> bool:
        return _access(request).personal_data and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _access(request).personal_data and super().has_view_permission(request, obj)


class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = ("credit_code", "name", "kind", "industry", "building", "employees", "legal_representative",
                  "phone", "demo")

    def clean_credit_code(self) -> str:
        try:
            return identity.normalize_credit_code(self.cleaned_data.get("credit_code"))
        except InvalidInput as exc:
            raise ValidationError(exc.message) from exc


@admin.register(Enterprise)
class EnterpriseAdmin(ScopedAdmin):
    form = EnterpriseForm
    list_display = ("credit_code", "name", "kind", "industry", "building", "employees", "demo")
    list_filter = ("kind", "demo")
    search_fields = ("credit_code", "name")
    raw_id_fields = ("building",)

    def get_exclude(self, request, obj=None):
        return () if _access(request).personal_data else PERSONAL_FIELDS["enterprise"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and str(object_id).isdigit():
            represent.audit_read(_access(request), "enterprise", [int(object_id)], request)
        return response


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    """Read-only: a follow-up is recorded by the worker's phone or the API (people/followups.py checks who
    may, and when it may have happened); the note is personal, so every page that shows follow-ups is a
    personal read of their people, audited."""

    list_display = ("id", "person", "group", "worker", "at", "kind", "outcome", "recorded_by")
    list_filter = ("kind", "outcome", "tag__group")
    fields = readonly_fields = ("person", "group", "worker", "at", "kind", "outcome", "note", "recorded_by",
                                "recorded_at", "client_id")
    list_select_related = ("tag", "worker")

    def get_queryset(self, request):
        scope = _access(request).scope
        found = super().get_queryset(request)
        return found.filter(tag__person__in=Person.objects.within(scope)) if scope else found

    @admin.display(description=_("person"))
    def person(self, obj: FollowUp) -> str:
        return f"person #{obj.tag.person_id}"

    @admin.display(description=_("key group"))
    def group(self, obj: FollowUp) -> str:
        return obj.tag.get_group_display()

    def has_module_permission(self, request) -> bool:
        return _access(request).personal_data and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _access(request).personal_data and super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl") if hasattr(response, "context_data") else None
        if changelist is not None:
            people = sorted({f.tag.person_id for f in changelist.result_list})
            represent.audit_read(_access(request), "person", people, request)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and str(object_id).isdigit():
            person = FollowUp.objects.filter(pk=int(object_id)).values_list("tag__person_id", flat=True).first()
            if person is not None:
                represent.audit_read(_access(request), "person", [person], request)
        return response


class IncidentLinkInline(admin.StackedInline):
    """The person or enterprise an incident concerns, on the incident's admin page (layers' IncidentAdmin
    takes it through layers.incidents.links.provide_inline: layers may not import people).

    Read-only: a link is made at intake, where the API checks it. The enterprise shows to every user of
    the page; the person only to users with the personal-data right and living inside their scope, and
    showing it writes one `personal_read` row."""

    model = IncidentLink
    fk_name = "incident"
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = verbose_name_plural = _("person or enterprise concerned")

    def _person_shown(self, request, obj) -> int | None:
        access = _access(request)
        link = IncidentLink.objects.filter(incident_id=getattr(obj, "pk", None)).values_list("person_id", flat=True)
        person = link.first()
        if person is None or not access.personal_data:
            return None
        return person if Person.objects.within(access.scope).filter(pk=person).exists() else None

    def get_fields(self, request, obj=None):
        person = self._person_shown(request, obj)
        if person is not None and not getattr(request, "_gridmap_link_audited", False):
            request._gridmap_link_audited = True
            represent.audit_read(_access(request), "person", [person], request)
        return ("enterprise_shown", "person_shown", "linked_at", "linked_by") if person is not None else (
            "enterprise_shown", "linked_at", "linked_by")

    def get_readonly_fields(self, request, obj=None):
        return ("enterprise_shown", "person_shown", "linked_at", "linked_by")

    @admin.display(description=_("enterprise or organisation"))
    def enterprise_shown(self, link: IncidentLink) -> str:
        e = link.enterprise
        return f"{e.credit_code} {e.name}" if e is not None else "—"

    @admin.display(description=_("person"))
    def person_shown(self, link: IncidentLink) -> str:
        return f"person #{link.person_id}" if link.person_id else "—"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


links.provide_inline(IncidentLinkInline)

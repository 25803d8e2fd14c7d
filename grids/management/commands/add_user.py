"""python manage.py add_user NAME --role ROLE --scope CODE [--department CODE] [--password P] [--personal-data]

For headless servers: creates or updates a user with a role and an area scope and prints a new API
token. It lives in grids/ because the scope is checked against the area tree. A department account
(--role department) names its department's code (layers' Department, looked up through the app
registry: grids imports no higher app).
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from geo.access import audit, create_user
from geo.models import AuditRecord, Role
from grids.models import Area


class Command(BaseCommand):
    help = "Create or update a user with a role and area scope; prints an API token."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--scope", default="", help="area code the user is limited to (empty: everything, "
                                                        "administrators only)")
        parser.add_argument("--password", help="for page login; without it the user has API/tile access only")
        parser.add_argument("--personal-data", action="store_true", help="may see and export personal fields")
        parser.add_argument("--department", default="", help="department code, for --role department "
                                                              "(e.g. 419001-SFJ)")

    def handle(self, *args, name: str, role: str, scope: str, password: str | None, personal_data: bool,
               department: str = "", **options) -> None:
        if scope and not Area.objects.filter(code=scope).exists():
            raise CommandError(f"--scope {scope}: no area with that code")
        if not scope and role != Role.ADMINISTRATOR:
            raise CommandError(f"a {role} needs --scope (an area code); only administrators see everything")
        if (role == Role.DEPARTMENT) != bool(department):
            raise CommandError("--department is required for --role department, and only for it")
        if department and not apps.get_model("layers", "Department").objects.filter(code=department).exists():
            raise CommandError(f"--department {department}: no department with that code")
        with transaction.atomic():
            user, key = create_user(name, role, scope, password, personal_data, department=department)
            audit("add_user", AuditRecord.Action.USER_CHANGE, target=name,
                  detail={"role": role, "scope": scope, "personal_data": personal_data,
                          "department": department})
        self.stdout.write(self.style.SUCCESS(f"user {name}: {role}, scope {scope or 'all'}"))
        self.stdout.write(f"API token (shown once): {key}")

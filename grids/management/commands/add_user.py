"""python manage.py add_user NAME --role ROLE --scope CODE [--password P] [--personal-data]

For headless servers: creates or updates a user with a role and an area scope and prints a new API
token. It lives in grids/ because the scope is checked against the area tree.
"""

from __future__ import annotations

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

    def handle(self, *args, name: str, role: str, scope: str, password: str | None, personal_data: bool,
               **options) -> None:
        if scope and not Area.objects.filter(code=scope).exists():
            raise CommandError(f"--scope {scope}: no area with that code")
        if not scope and role != Role.ADMINISTRATOR:
            raise CommandError(f"a {role} needs --scope (an area code); only administrators see everything")
        with transaction.atomic():
            user, key = create_user(name, role, scope, password, personal_data)
            audit("add_user", AuditRecord.Action.USER_CHANGE, target=name,
                  detail={"role": role, "scope": scope, "personal_data": personal_data})
        self.stdout.write(self.style.SUCCESS(f"user {name}: {role}, scope {scope or 'all'}"))
        self.stdout.write(f"API token (shown once): {key}")

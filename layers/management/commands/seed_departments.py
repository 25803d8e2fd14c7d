"""python manage.py seed_departments COUNTY_CODE: create the county's departments (layers/desk/departments.py).

Idempotent: departments that exist are left as they are (edit names and contacts in the admin).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from grids.models import Area
from layers.desk.departments import seed


class Command(BaseCommand):
    help = "Create the departments (bureaus, township judicial offices and police stations) of a county."

    def add_arguments(self, parser) -> None:
        parser.add_argument("county", help="the county's 6-digit area code")

    def handle(self, *args, county: str, **options) -> None:
        if not Area.objects.filter(code=county, level=1).exists():
            raise CommandError(f"{county}: no county with that code")
        created = seed(county)
        self.stdout.write(self.style.SUCCESS(f"{created} departments created under {county}"))

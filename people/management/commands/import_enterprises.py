"""python manage.py import_enterprises FILE [--dry-run] [--user NAME] [--encoding ...] [--sheet NAME]

Enterprises and organisations from a register (CSV or Excel): unified social credit code, name,
building address code, and optionally type, industry, employees, legal representative and phone.
Every bad row is printed with its line number (bad check character, unknown building, code repeated or
already registered...) and then nothing is written.
"""

from people.importing import run_enterprises
from people.management.commands._importer import ImportCommand


class Command(ImportCommand):
    help = "Import enterprises and organisations onto building addresses from CSV or Excel; all rows or none."
    runner = staticmethod(run_enterprises)
    actor = "import_enterprises"

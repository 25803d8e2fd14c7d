"""python manage.py import_people FILE [--dry-run] [--user NAME] [--encoding ...] [--sheet NAME]

People from a district's register (CSV or Excel): name, identity number, room address code, and
optionally tenure, moved-in date, phone and household number (Chinese or English headers: see
people/importing.py PEOPLE_COLUMNS). Every bad row is printed with its line number (bad check digit,
unknown room, identity number repeated or already registered...) and then nothing is written.
"""

from people.importing import run_people
from people.management.commands._importer import ImportCommand


class Command(ImportCommand):
    help = "Import people onto room addresses from CSV or Excel; all rows or none."
    runner = staticmethod(run_people)
    actor = "import_people"

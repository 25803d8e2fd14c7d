"""python manage.py import_addresses FILE --kind buildings|rooms [--dry-run] [--scope CODE] [--user NAME]
[--encoding utf-8|gb18030] [--sheet NAME] [--codes-out FILE]

CSV (UTF-8, UTF-8 with BOM or GB18030, detected) or Excel .xlsx, with Chinese or English headers (see
README, "Importing addresses"). Every bad row is printed with its line number and field, and then
nothing is written; otherwise all rows are written in one transaction. Rows without an address code
get the next free numbers. --dry-run does the whole import, allocation included, and rolls it back.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from addresses import importing
from geo.errors import GridmapError
from grids.imports import command_actor


class Command(BaseCommand):
    help = "Import buildings or rooms with unified address codes from CSV or Excel; all rows or none."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--kind", required=True, choices=["buildings", "rooms"])
        parser.add_argument("--dry-run", action="store_true",
                            help="check everything and show what would be written (codes too); write nothing")
        parser.add_argument("--scope", help="refuse rows outside this area code (default: the --user's scope, "
                                            "else the whole database)")
        parser.add_argument("--user", help="the account the import is done as: its scope applies and the audit "
                                           "trail names it (it needs the addresses permission)")
        parser.add_argument("--encoding", help="of a CSV: utf-8, utf-8-sig or gb18030 (default: detected)")
        parser.add_argument("--sheet", help="of an Excel file (default: the first)")
        parser.add_argument("--codes-out", help="write line,address_code of every row (the allocated codes) to "
                                                "this CSV")

    def handle(self, *args, **o) -> None:
        actor, scope = command_actor("import_addresses", o["user"], o["scope"])
        try:
            report, job = importing.run(Path(o["file"]), o["kind"], scope=scope, actor=actor, dry_run=o["dry_run"],
                                        encoding=o["encoding"], sheet=o["sheet"], progress=sys.stderr.isatty())
        except GridmapError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(report.format())
        if report.ok:
            self.stdout.write(f"{job.allocated} new codes allocated" + (" (dry run: not kept)" if o["dry_run"] else ""))
            for line, code in job.codes[:10]:
                self.stdout.write(f"  line {line}: {code}")
            if len(job.codes) > 10:
                self.stdout.write(f"  ... {len(job.codes) - 10} more" + ("" if o["codes_out"] else
                                                                        " (--codes-out FILE lists them all)"))
            if o["codes_out"]:
                importing.write_codes(job, Path(o["codes_out"]))
        else:
            raise CommandError(f"{report.bad_lines} bad rows; nothing written")

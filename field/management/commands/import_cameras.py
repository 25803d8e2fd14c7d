"""python manage.py import_cameras FILE [--dry-run] [--scope CODE] [--user NAME] [--encoding utf-8|gb18030]
[--sheet NAME]

A camera register from CSV (UTF-8, UTF-8 with BOM or GB18030, detected) or Excel .xlsx, with Chinese or
English headers (docs/field.md, "Cameras"). Every bad row is printed with its line number and field, and then
nothing is written; otherwise all rows are written in one transaction (a code already registered is updated).
--dry-run does the whole import and rolls it back.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from field import camera_import
from geo.errors import GridmapError
from grids.imports import command_actor


class Command(BaseCommand):
    help = "Import cameras (GB/T 28181 channel id or stream URL) from CSV or Excel; all rows or none."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check everything and write nothing")
        parser.add_argument("--scope", help="refuse cameras outside this area code (default: the --user's scope, "
                                            "else the whole county)")
        parser.add_argument("--user", help="the account the import is done as: its scope applies and the audit "
                                           "trail names it (it needs the addresses permission)")
        parser.add_argument("--encoding", help="of a CSV: utf-8, utf-8-sig or gb18030 (default: detected)")
        parser.add_argument("--sheet", help="of an Excel file (default: the first)")

    def handle(self, *args, **o) -> None:
        actor, scope = command_actor("import_cameras", o["user"], o["scope"])
        try:
            report, job = camera_import.run(Path(o["file"]), scope=scope, actor=actor, dry_run=o["dry_run"],
                                            encoding=o["encoding"], sheet=o["sheet"], progress=sys.stderr.isatty())
        except GridmapError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(report.format())
        if not report.ok:
            raise CommandError(f"{report.bad_lines} bad rows; nothing written")
        self.stdout.write(f"{job.updated} already registered (updated), {report.written - job.updated} new"
                          + (" (dry run: nothing kept)" if o["dry_run"] else ""))

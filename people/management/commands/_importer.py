"""What import_people and import_enterprises share: the options, the --user's scope, the report."""

from __future__ import annotations

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from geo.access import access_for_user
from geo.errors import GridmapError


class ImportCommand(BaseCommand):
    runner = None  # people.importing.run_people or run_enterprises
    actor = ""

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true",
                            help="check every row and write them in a transaction that is rolled back")
        parser.add_argument("--user", help="the account the import is done as: only addresses in its area are "
                                           "accepted, the audit trail names it, and it needs the personal-data "
                                           "right (default: no restriction, audited as the command)")
        parser.add_argument("--encoding", help="of a CSV: utf-8, utf-8-sig or gb18030 (default: detected)")
        parser.add_argument("--sheet", help="of an Excel file (default: the first)")

    def handle(self, *args, **o) -> None:
        access, actor = None, self.actor
        if o["user"]:
            user = get_user_model().objects.filter(username=o["user"]).first()
            access = access_for_user(user)
            if user is None or not access.personal_data:
                raise CommandError(f"--user {o['user']}: no such active account with the personal-data right")
            actor = access
        try:
            report = type(self).runner(Path(o["file"]), access=access, actor=actor, dry_run=o["dry_run"],
                                       encoding=o["encoding"], sheet=o["sheet"], progress=sys.stderr.isatty())
        except GridmapError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(report.format())
        if not report.ok:
            raise CommandError(f"{report.bad_lines} bad rows; nothing written")

"""python manage.py month_end_reports [--period 2026-11|2026-Q4|2026] [--level -1..4] [--area CODE] --out DIR

Every unit's report for a month, a quarter or a year, written to DIR/<period>/<code>-<period>.pdf, with a
progress bar: what a cron job runs on the 1st of each month. Without --period it writes the month that
just ended, and when that month ends a quarter the quarter's reports too, and in January the year's
(2026-12 → 2026-12, 2026-Q4 and 2026). The same code path as /reports/<code>/<period>.pdf
(reports.views.make) with full access and without personal fields (a file on disk is forwarded), and one
audit record for the run.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.access import ROLE_PERMISSIONS, Access, audit
from geo.errors import GridmapError
from geo.models import AuditRecord, Role
from grids.models import Area
from reports import periods, views

# Full access (whoever runs manage.py reads the database anyway), but never personal fields.
COMMAND_ACCESS = Access(user_id=None, username="manage.py month_end_reports", role=Role.ADMINISTRATOR, scope=None,
                        permissions=ROLE_PERMISSIONS[Role.ADMINISTRATOR] - {"export_personal"})


class Command(BaseCommand):
    help = ("Write every unit's report as PDF, with progress: the month just ended, and the quarter and year it "
            "ends; or --period.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", help="YYYY-MM, YYYY-Qn or YYYY (default: last month, with the quarter and "
                                             "the year it ends)")
        parser.add_argument("--level", type=int, action="append", choices=[-1, 0, 1, 2, 3, 4],
                            help="unit levels to report on, repeatable: -1 provinces, 0 cities, 1 counties, 2 "
                                 "townships, 3 villages, 4 grids (default: 1, 2 and 3)")
        parser.add_argument("--area", help="only units inside this area code")
        parser.add_argument("--out", required=True, help="directory; the reports go to DIR/<period>/")

    def handle(self, *args, **options) -> None:
        try:
            chosen = [periods.parse(options["period"])] if options["period"] else periods.ending_with(
                periods.last_month())
        except GridmapError as exc:
            raise CommandError(str(exc)) from exc
        levels = options["level"] or [1, 2, 3]
        units = Area.objects.current().within(options["area"]).filter(level__in=levels).order_by("level", "code")
        codes = list(units.values_list("code", flat=True))
        if not codes:
            raise CommandError(f"no unit at levels {levels} inside {options['area'] or 'the database'}")
        for period in chosen:
            self.write(period, codes, levels, options)

    def write(self, period: periods.ReportPeriod, codes: list[str], levels: list[int], options: dict) -> None:
        folder = Path(options["out"]).expanduser() / period.text
        folder.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        written = 0
        for code in tqdm(codes, desc=f"reports {period.text}", unit="report", disable=None):
            _report, body = views.make(COMMAND_ACCESS, code, period.text)
            target = folder / f"{code}-{period.text}.pdf"
            tmp = target.with_suffix(".pdf.part")
            tmp.write_bytes(body)
            tmp.replace(target)  # a half-written file never carries the final name
            written += 1
        audit(COMMAND_ACCESS, AuditRecord.Action.EXPORT, target=f"reports {period.text}",
              detail={"report": period.text, "levels": levels, "area": options["area"] or "", "folder": str(folder)},
              rows=written)
        self.stdout.write(f"{written} reports for {period.text} in {folder} ({time.monotonic() - started:.1f} s)")

#!/usr/bin/env python
"""bench/reports.py: one township's monthly report PDF (issue 20: ≤ 5 s on full-scale 济源), printed
beside the target.

    .venv/bin/python bench/reports.py                      # the township with most incidents, last month
    .venv/bin/python bench/reports.py --code 419001103 --period 2026-11 --runs 5 --png page1.png

Each run makes the whole report as /reports/<code>/<period>.pdf does (reports.views.make: the figures
and their comparisons, the children, the classes, the worst-overdue matters, the index and warnings
when the analysis app is installed, the map from PostGIS, the layout and the embedded font), as an
administrator, in-process. The first run is printed apart (it registers the font and warms the
process); the target is judged on the slowest of the following runs. --png renders page 1 (pypdfium2)
for a look at what prints.

The machine is shared: run one benchmark at a time; the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")

import django  # noqa: E402

django.setup()

from geo.access import ROLE_PERMISSIONS, Access  # noqa: E402
from geo.models import Role  # noqa: E402
from geo.sql import rows  # noqa: E402
from reports import periods, views  # noqa: E402

TARGET_S = 5.0
ADMIN = Access(user_id=None, username="bench/reports.py", role=Role.ADMINISTRATOR, scope=None,
               permissions=ROLE_PERMISSIONS[Role.ADMINISTRATOR])


def busiest_township(period: periods.ReportPeriod) -> str:
    found = rows("""
        SELECT area_code FROM layers_incidentrollup
        WHERE level = 2 AND month = %(month)s GROUP BY 1 ORDER BY sum(n) DESC LIMIT 1""",
                 {"month": period.first})
    if not found:
        sys.exit(f"no township has incidents in {period.text}: load a county first "
                 "(manage.py load_demo --scenario jiyuan --scale 1 --incidents 1000000)")
    return found[0]["area_code"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", help="the township (default: the one with most incidents in the period)")
    parser.add_argument("--period", help="YYYY-MM or YYYY-Qn (default: last month)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--png", help="write page 1, rendered at 150 dpi, to this file")
    parser.add_argument("--pdf", help="write the report to this file")
    args = parser.parse_args()
    period = periods.parse(args.period) if args.period else periods.last_month()
    code = args.code or busiest_township(period)
    load = os.getloadavg()[0]

    times = []
    body = b""
    for _ in range(args.runs + 1):
        started = time.perf_counter()
        report, body = views.make(ADMIN, code, period.text)
        times.append(time.perf_counter() - started)
    first, rest = times[0], times[1:]
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(io.BytesIO(body))
    print(f"report {code} {report.area.name} {period.text}: {len(document)} pages, {len(body) / 1024:.0f} KB, "
          f"{len(report.children)} child units, {report.unit.now.intake:,} incidents in the period "
          f"(load average {load:.1f})")
    worst = max(rest)
    verdict = "met" if worst <= TARGET_S else "NOT met"
    print(f"  first run {first:.2f} s; next {len(rest)} runs median {statistics.median(rest):.2f} s, "
          f"max {worst:.2f} s   target ≤ {TARGET_S:.0f} s: {verdict}")
    if args.png:
        document[0].render(scale=150 / 72).to_pil().save(args.png)
        print(f"  page 1 → {args.png}")
    if args.pdf:
        Path(args.pdf).write_bytes(body)
        print(f"  report → {args.pdf}")


if __name__ == "__main__":
    main()

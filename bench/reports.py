#!/usr/bin/env python
"""bench/reports.py: one township's monthly report PDF (issue 20: ≤ 5 s on full-scale 济源), cold and
warm, printed beside the target.

    .venv/bin/python bench/reports.py                      # the township with most incidents, last month
    .venv/bin/python bench/reports.py --code 419001103 --period 2026-11 --runs 5 --cold 3 --png page1.png

Each run makes the whole report as /reports/<code>/<period>.pdf does (reports.views.make: the figures
and their comparisons, the children, the classes, the worst-overdue matters, the index and warnings,
the map from PostGIS, the layout and the embedded font), as an administrator.

- cold: the first report of a new process (`--cold` processes, each started afresh: nothing imported
  beyond Django's setup, nothing kept in geo.kept, the font not registered), in two ways: as a bare
  process (a manage.py command's first report), and as a gunicorn worker starts (geo/warm.py's
  warm-ups run when the application loads, before any request; their time is printed apart). The
  database's own cache stays warm between processes; it is not ours to empty on a shared machine.
- warm: `--runs` more reports in this process after a first one (what every later request costs;
  the warnings and month scores then come from geo.kept).

Each cold run prints where its time went (the figures, the index, the warnings, the PDF). The machine
is shared: run one benchmark at a time; the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")

TARGET_S = 5.0


def setup() -> None:
    import django

    django.setup()


def admin():
    from geo.access import ROLE_PERMISSIONS, Access
    from geo.models import Role

    return Access(user_id=None, username="bench/reports.py", role=Role.ADMINISTRATOR, scope=None,
                  permissions=ROLE_PERMISSIONS[Role.ADMINISTRATOR])


def busiest_township(period) -> str:
    from geo.sql import rows

    found = rows("""
        SELECT area_code FROM layers_incidentrollup
        WHERE level = 2 AND month = %(month)s GROUP BY 1 ORDER BY sum(n) DESC LIMIT 1""",
                 {"month": period.first})
    if not found:
        sys.exit(f"no township has incidents in {period.text}: load a county first "
                 "(manage.py load_demo --scenario jiyuan --scale 1 --incidents 1000000)")
    return found[0]["area_code"]


def timed(module, name: str, spent: dict) -> None:
    """Wrap module.name so that its time adds up in spent[name]."""
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

    setattr(module, name, wrapper)


def child(code: str, period: str, served: bool) -> None:
    """One cold report in this fresh process; prints its figures as JSON."""
    started = time.perf_counter()
    setup()
    setup_s = time.perf_counter() - started
    warm_s = 0.0
    if served:
        from geo import warm

        warm_s = warm.run()
    from reports import analysis, content, pdf, views

    spent: dict[str, float] = {}
    timed(analysis, "add_to", spent)  # the index and the warnings
    timed(analysis, "month_warnings", spent)  # of which the warnings
    timed(content, "gather", spent)  # every figure, the map's shapes, and add_to
    timed(views.pdf, "build", spent)  # the layout, the font, the PDF
    assert views.pdf is pdf
    started = time.perf_counter()
    views.make(admin(), code, period)
    total = time.perf_counter() - started
    print(json.dumps({"total": total, "setup": setup_s, "warm": warm_s, **spent}))


def cold_runs(code: str, period: str, served: bool, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        args = [sys.executable, __file__, "--child", "--code", code, "--period", period] + (["--served"] if served
                                                                                             else [])
        done = subprocess.run(args, capture_output=True, text=True, check=True, cwd=ROOT)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def verdict(seconds: float) -> str:
    return "met" if seconds <= TARGET_S else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", help="the township (default: the one with most incidents in the period)")
    parser.add_argument("--period", help="YYYY-MM, YYYY-Qn or YYYY (default: last month)")
    parser.add_argument("--runs", type=int, default=5, help="warm runs in this process")
    parser.add_argument("--cold", type=int, default=3, help="new processes for each kind of cold run")
    parser.add_argument("--png", help="write page 1, rendered at 150 dpi, to this file")
    parser.add_argument("--pdf", help="write the report to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.code, args.period, args.served)
        return
    setup()
    from reports import periods, views

    period = periods.parse(args.period) if args.period else periods.last_month()
    code = args.code or busiest_township(period)
    print(f"report {code} {period.text}; load average {os.getloadavg()[0]:.1f} "
          f"(target: ≤ {TARGET_S:.0f} s, cold and warm)")
    for served, label in ((False, "cold, bare new process (a command's first report)"),
                          (True, "cold, new process started as a gunicorn worker is (geo/warm.py first)")):
        runs = cold_runs(code, period.text, served, args.cold)
        totals = [r["total"] for r in runs]
        worst = max(totals)
        print(f"  {label}: median {statistics.median(totals):.2f} s, max {worst:.2f} s over {len(runs)} "
              f"processes   target ≤ {TARGET_S:.0f} s: {verdict(worst)}")
        for r in runs:
            parts = ", ".join(f"{k} {r.get(k, 0):.2f}" for k in ("gather", "add_to", "month_warnings", "build"))
            print(f"      {r['total']:.2f} s = {parts}   (setup {r['setup']:.2f} s, warm-up {r['warm']:.2f} s "
                  "before the first request)")

    views.make(admin(), code, period.text)  # this process's first
    times, body, report = [], b"", None
    for _ in range(args.runs):
        started = time.perf_counter()
        report, body = views.make(admin(), code, period.text)
        times.append(time.perf_counter() - started)
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(io.BytesIO(body))
    worst = max(times)
    print(f"  warm, {len(times)} runs after a first: median {statistics.median(times):.2f} s, max {worst:.2f} s"
          f"   target ≤ {TARGET_S:.0f} s: {verdict(worst)}")
    print(f"  the report: {report.area.name}, {len(document)} pages, {len(body) / 1024:.0f} KB, "
          f"{len(report.children)} child units, {report.unit.now.intake:,} incidents in the period; "
          f"load average now {os.getloadavg()[0]:.1f}")
    if args.png:
        document[0].render(scale=150 / 72).to_pil().save(args.png)
        print(f"  page 1 → {args.png}")
    if args.pdf:
        Path(args.pdf).write_bytes(body)
        print(f"  report → {args.pdf}")


if __name__ == "__main__":
    main()

"""python manage.py check_grids [--area CODE] [--sliver-m2 1] [--geojson FILE] [--json]

Checks that the children of every area tile it: gaps, overlaps, children outside their parent,
invalid geometries, slivers. Prints one line per problem with its area in m² (and writes the
geometries as GeoJSON with --geojson); exits with status 1 when it finds a problem, so it can guard a
script or a CI job.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geo.errors import GridmapError
from grids import coverage
from grids.codes import check_digits
from grids.models import Area


class Command(BaseCommand):
    help = "Check grid coverage (gaps, overlaps, outside, invalid, slivers); exit status 1 if any problem."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--area", help="check this area and everything below it (default: every area)")
        parser.add_argument("--sliver-m2", type=float, default=coverage.DEFAULT_SLIVER_M2,
                            help="pieces and polygon parts smaller than this many m² are slivers (default 1)")
        parser.add_argument("--geojson", help="also write the problems as a GeoJSON FeatureCollection to this file")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the whole report as JSON")

    def handle(self, *args, area: str | None, sliver_m2: float, geojson: str | None, as_json: bool,
               **options) -> None:
        if sliver_m2 < 0:
            raise CommandError("--sliver-m2 must be 0 or more")
        target = None
        if area:
            try:
                check_digits(area, "--area")
            except GridmapError as exc:
                raise CommandError(exc.message) from exc
            target = Area.objects.filter(code=area).first()
            if target is None:
                raise CommandError(f"--area {area}: no area with that code")
        started = time.perf_counter()
        report = coverage.check(target, sliver_m2=sliver_m2)
        elapsed = time.perf_counter() - started
        if as_json:
            self.stdout.write(_dumps(report.as_dict()))
        else:
            for problem in report.problems:
                self.stdout.write(problem.describe())
            counts = ", ".join(f"{n} {kind}" for kind, n in report.counts().items() if n) or "no problems"
            self.stdout.write(f"checked {report.parents_checked} parent areas and {report.children_checked} "
                              f"children in {elapsed:.2f} s: {counts}")
        if geojson:
            features = [{"type": "Feature", "geometry": p.geometry,
                         "properties": {k: v for k, v in p.as_dict().items() if k != "geometry"}}
                        for p in report.problems]
            Path(geojson).write_text(_dumps({"type": "FeatureCollection", "features": features}))
            self.stdout.write(f"wrote {len(features)} problems to {geojson}")
        if not report.ok:
            raise CommandError(f"{len(report.problems)} coverage problem(s) found")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)

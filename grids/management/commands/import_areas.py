"""python manage.py import_areas FILE --level L --code-field F [--name-field F] [--parent-field F]
[--kind-field F] [--layer NAME] [--srid N] [--from-gcj02] [--fix-invalid] [--valid-from DATE]
[--reason TEXT] [--commit [--skip-refused]]

GeoJSON, GeoPackage, Shapefile (.shp or zipped). A dry run by default: it prints what would be
created, changed, left unchanged and refused (with reasons), the coverage problems the result would
have, and what would change grid. --commit writes it all in one transaction; with refused rows it
writes nothing unless --skip-refused.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geo.errors import GridmapError
from grids import importer
from grids.http import parse_date, parse_level


class Command(BaseCommand):
    help = "Import areas of one level from GeoJSON, GeoPackage or Shapefile; a dry run unless --commit."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--level", required=True,
                            help="1-5 or county, township, village, grid, dedicated")
        parser.add_argument("--code-field", required=True, help="the field holding the area code (text)")
        parser.add_argument("--name-field", help="the field holding the name (default: the code)")
        parser.add_argument("--parent-field", help="the field holding the parent's code (default: the code's prefix)")
        parser.add_argument("--kind-field", help="street/town/community/village/urban/rural/school... "
                                                 "(default: from the code, or the village for grids)")
        parser.add_argument("--layer", help="the layer to read, in a file with several (GeoPackage)")
        parser.add_argument("--srid", type=int, help="EPSG code of the coordinates, when the file does not say "
                                                     "or says wrongly (e.g. 4546 for CGCS2000 GK CM 111E)")
        parser.add_argument("--from-gcj02", action="store_true",
                            help="the coordinates are GCJ-02 (copied from Amap/Tencent): remove the offset")
        parser.add_argument("--fix-invalid", action="store_true",
                            help="repair invalid polygons with make_valid (reported row by row)")
        parser.add_argument("--valid-from", help="YYYY-MM-DD the new boundaries take effect (default: today for "
                                                 "changed areas; new areas are taken to have always existed)")
        parser.add_argument("--reason", default="", help="why (kept with each boundary version and in the audit)")
        parser.add_argument("--commit", action="store_true", help="write (default: a dry run that writes nothing)")
        parser.add_argument("--skip-refused", action="store_true", help="with --commit: import the rows that "
                                                                        "pass even if others are refused")

    def handle(self, *args, **o) -> None:
        try:
            level = parse_level(o["level"], "--level")
            options = importer.Options(
                level=level, code_field=o["code_field"], name_field=o["name_field"], parent_field=o["parent_field"],
                kind_field=o["kind_field"], srid=o["srid"], from_gcj02=o["from_gcj02"], fix_invalid=o["fix_invalid"],
                layer=o["layer"], valid_from=parse_date(o["valid_from"], "--valid-from"), reason=o["reason"])
            path = Path(o["file"])
            rows, srid = importer.prepare(path, options, progress=self.stderr.write)
            self.report_rows(rows)
            result = importer.execute(path, options, rows, srid, commit=o["commit"], skip_refused=o["skip_refused"])
        except GridmapError as exc:
            raise CommandError(exc.message) from exc
        self.report(result, srid)

    def report_rows(self, rows: list[importer.Row]) -> None:
        for row in rows:
            if row.action == "refuse":
                self.stdout.write(f"refuse  row {row.number} ({row.code}): {row.reason}")
            else:
                m2 = f" ({row.area_m2:,.0f} m²)" if row.area_m2 else ""
                what = f": {', '.join(row.changed)}" if row.changed else ""
                self.stdout.write(f"{row.action:<8} {row.code} {row.name}{what}{m2}")
            if row.fixed:
                self.stdout.write(f"fixed   row {row.number} ({row.code}): {row.fixed}")

    def report(self, result: importer.Result, srid: int) -> None:
        counts = {a: result.count(a) for a in ("create", "change", "unchanged", "refuse")}
        fixed = sum(1 for r in result.rows if r.fixed)
        self.stdout.write(f"{len(result.rows)} rows (EPSG:{srid}): {counts['create']} to create, {counts['change']} "
                          f"to change, {counts['unchanged']} unchanged, {counts['refuse']} refused, {fixed} repaired")
        for problem in result.problems:
            self.stdout.write(f"coverage: {problem.describe()}")
        if not result.problems and (counts["create"] or counts["change"]):
            self.stdout.write("coverage after the import: no problems")
        for name, moves in result.moves.items():
            if moves["count"]:
                self.stdout.write(f"{name} changing grid: {moves['count']}")
        if result.committed:
            self.stdout.write(self.style.SUCCESS(f"committed {counts['create']} new and {counts['change']} changed "
                                                 "areas"))
        else:
            self.stdout.write("dry run: nothing was written; add --commit to write")

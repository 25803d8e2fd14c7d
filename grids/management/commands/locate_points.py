"""python manage.py locate_points FILE.csv [-o OUT.csv] [--lon-field lon] [--lat-field lat] [--at DATE]
[--from-gcj02] [--delimiter ,]

Adds county_code, township_code, village_code, grid_code and dedicated_codes (";"-separated) to every
row of a CSV of points. Rows whose coordinates are not usable keep blank codes and are counted (the
first ten are listed). Set-based in PostGIS: a million points take seconds.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geo.errors import GridmapError
from grids.bulk import locate_csv
from grids.http import parse_date


class Command(BaseCommand):
    help = "Add the codes of the areas containing each point to a CSV (lon, lat columns)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="CSV with a header row")
        parser.add_argument("-o", "--output", help="where to write (default: FILE with .located.csv)")
        parser.add_argument("--lon-field", default="lon")
        parser.add_argument("--lat-field", default="lat")
        parser.add_argument("--at", help="YYYY-MM-DD: locate with the boundaries valid on that day")
        parser.add_argument("--from-gcj02", action="store_true",
                            help="the coordinates come from Amap/Tencent (GCJ-02): remove the offset first")
        parser.add_argument("--delimiter", default=",")

    def handle(self, *args, file: str, output: str | None, lon_field: str, lat_field: str, at: str | None,
               from_gcj02: bool, delimiter: str, **options) -> None:
        src = Path(file)
        if not src.is_file():
            raise CommandError(f"{src}: no such file")
        dst = Path(output) if output else src.with_suffix(".located.csv")
        if dst.resolve() == src.resolve():
            raise CommandError("the output would overwrite the input; choose another --output")
        try:
            day = parse_date(at, "--at")
            result = locate_csv(src, dst, lon_field=lon_field, lat_field=lat_field, at=day, from_gcj02=from_gcj02,
                                delimiter=delimiter, progress=lambda m: self.stderr.write(m))
        except GridmapError as exc:
            raise CommandError(exc.message) from exc
        for example in result.refused_examples:
            self.stderr.write(f"refused {example}")
        timing = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
        self.stdout.write(f"{result.rows:,} rows: {result.located:,} in an area ({result.in_grid:,} in a grid), "
                          f"{result.refused:,} refused; wrote {dst} ({timing})")

"""python manage.py export_layer LAYER --format F [--area CODE] [--since DATE] ... -o FILE

The same code path as /api/export/ (layers.exports.service): the same parameters, checks, SQL and
writers, and an audit record. It runs with full access (whoever can run manage.py on the server can
read the database anyway); personal fields only with --personal.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.access import ROLE_PERMISSIONS, Access
from geo.errors import GridmapError
from geo.models import Role
from layers.exports import service, writers
from layers.exports.query import FORMAT_ALIASES, FORMATS
from layers.exports.registry import REGISTRY

COMMAND_ACCESS = Access(user_id=None, username="manage.py export_layer", role=Role.ADMINISTRATOR, scope=None,
                        permissions=ROLE_PERMISSIONS[Role.ADMINISTRATOR])
OPTIONS = ("area", "bbox", "since", "until", "class", "status", "severity", "source", "flag", "level", "crs",
           "geometry", "period", "year", "ytd")


def format_from_path(path: Path) -> str | None:
    name = path.name.lower()
    for fmt in FORMATS.values():
        if name.endswith(fmt.extension):
            return fmt.id
    return {".shp": "shp", ".zip": "shp", ".json": "geojson"}.get(path.suffix.lower())


class Command(BaseCommand):
    help = "Export a layer to a file (GeoJSON, GeoPackage, zipped Shapefile, FlatGeobuf or CSV), with progress."

    def add_arguments(self, parser) -> None:
        parser.add_argument("layer", help=f"one of {', '.join(REGISTRY)}")
        parser.add_argument("-o", "--output", required=True, help="the file to write (replaced if it exists)")
        parser.add_argument("-f", "--format", help=f"one of {', '.join(FORMATS)} (default: from the file name)")
        parser.add_argument("--area", help="area code: only what lies inside it")
        parser.add_argument("--bbox", help="minx,miny,maxx,maxy in lon/lat")
        parser.add_argument("--since", help="first day, YYYY-MM-DD (incidents, workload)")
        parser.add_argument("--until", help="last day, YYYY-MM-DD (incidents, workload)")
        parser.add_argument("--class", dest="class", help="incident classes, comma-separated")
        parser.add_argument("--status", help="statuses, comma-separated, or 'open'")
        parser.add_argument("--severity", help="severities, comma-separated")
        parser.add_argument("--source", help="intake sources, comma-separated")
        parser.add_argument("--flag", help="live flags, any of: accept_overdue, due_soon (comma-separated)")
        parser.add_argument("--level", help="area level (grids 1-5, workload 1-4)")
        parser.add_argument("--crs", help="output CRS: 4326 (default), 4490 or 3857")
        parser.add_argument("--geometry", help="CSV geometry: wkt (default) or lonlat")
        parser.add_argument("--personal", action="store_true", help="include personal fields (names, phones)")
        parser.add_argument("--period", help="safety_index: YYYY-MM, YYYY-Qn or YYYY (default: the last 12 months)")
        parser.add_argument("--year", help="threezero: the year (default: this year)")
        parser.add_argument("--ytd", help="threezero: 1 for the year to date")

    def handle(self, *args, **options) -> None:
        path = Path(options["output"]).expanduser()
        if not path.parent.is_dir():
            raise CommandError(f"cannot write {path}: the directory {path.parent} does not exist")
        fmt = options["format"] or format_from_path(path)
        if fmt is None:
            raise CommandError(f"cannot tell the format from {path.name!r}; pass --format "
                               f"({', '.join(FORMATS)})")
        fmt = FORMAT_ALIASES.get(fmt, fmt)
        params = {name: options[name] for name in OPTIONS if options.get(name)}
        if options["personal"]:
            params["personal"] = "1"
        try:
            job = service.start(options["layer"], fmt, params, COMMAND_ACCESS, rate_limited=False)
            total = writers.count(job.query)
            with tqdm(total=total, unit=" rows", file=sys.stderr, disable=options["verbosity"] == 0,
                      desc=f"{job.query.layer.id} → {path.name}") as bar:
                job.progress = bar.update
                rows = service.save(job, path)
        except GridmapError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror}") from exc
        self.stdout.write(f"wrote {rows} {job.query.layer.id} rows to {path} ({job.output.format.id})")

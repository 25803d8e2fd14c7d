"""The bytes of an export, in constant memory whatever its size.

GeoJSON and CSV: PostgreSQL renders every row (render.py) and `COPY (SELECT ...) TO STDOUT` streams
them; we join rows into ~1 MiB chunks and pass them on. COPY's text format doubles each backslash
(PostgreSQL's JSON output holds no raw tab, newline or carriage return, the other characters it
escapes), so undoing that is a single replace; each row ends in a newline, which JSON allows between
features, so no row needs parsing.

GeoPackage, Shapefile, FlatGeobuf: a server-side cursor feeds Arrow record batches of BATCH_ROWS rows
to pyogrio.write_arrow, which GDAL writes as they come (FlatGeobuf cannot be appended to, so a single
streaming write is the one way that works for every driver). Shapefiles are then zipped.

Each writer runs in its own transaction: a consistent snapshot for the whole file, and the place for
`SET LOCAL TIME ZONE`, which ends with it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from geo import sql as geo_sql
from layers.exports import render
from layers.exports.query import ExportQuery, Output
from layers.exports.registry import BOOL, DATE, DATETIME, FLOAT, INT, Column

if TYPE_CHECKING:
    import pyarrow as pa

CHUNK_BYTES = 1 << 20
BATCH_ROWS = 20_000
UTF8_BOM = b"\xef\xbb\xbf"

Progress = Callable[[int], None]  # called with the number of rows just written


def geojson_chunks(query: ExportQuery, progress: Progress) -> Iterator[bytes]:
    """An RFC 7946 FeatureCollection, in chunks of about CHUNK_BYTES."""
    sql, params = render.feature_sql(query)
    yield b'{"type":"FeatureCollection","features":[\n'
    separator = b""
    for rows in _copy_rows(f"COPY ({sql}) TO STDOUT", params):
        progress(len(rows))
        yield separator + b",".join(rows).replace(b"\\\\", b"\\")
        separator = b","
    yield b"]}\n"


def csv_chunks(query: ExportQuery, output: Output, progress: Progress) -> Iterator[bytes]:
    """CSV with a header, UTF-8 with a byte-order mark so that spreadsheet programs read the Chinese right."""
    sql, params = render.csv_sql(query, output)
    yield UTF8_BOM
    header = True
    for rows in _copy_rows(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", params):
        progress(len(rows) - header)
        header = False
        yield b"".join(rows)


@contextmanager
def display_zone() -> Iterator[None]:
    """A transaction in which times render in the display zone, GRIDMAP_TIME_ZONE (see render.py).

    SET LOCAL ends with the transaction, but inside a caller's transaction (tests, an atomic block) it
    would outlive our savepoint, and Django, which takes every time it reads for UTC, would read times
    wrong: so on success the zone is set back explicitly (on failure the savepoint's rollback does it).
    """
    reader = geo_sql.reader()  # on the standby when the request may read from it (geo/replica.py)
    with transaction.atomic(using=reader.alias):
        with reader.cursor() as cursor:
            cursor.execute(render.SET_ZONE, {"zone": settings.TIME_ZONE})
        yield
        with reader.cursor() as cursor:
            cursor.execute("SELECT set_config('TimeZone', %s, true)", [reader.timezone_name])


def _copy_rows(statement: str, params: dict) -> Iterator[list[bytes]]:
    """Rows of a COPY TO STDOUT, grouped into lists of about CHUNK_BYTES."""
    with display_zone(), geo_sql.reader().cursor() as cursor:
        with cursor.cursor.copy(statement, params) as copy:
            rows: list[bytes] = []
            size = 0
            for row in copy:
                rows.append(row)
                size += len(row)
                if size >= CHUNK_BYTES:
                    yield rows
                    rows, size = [], 0
            if rows:
                yield rows


def arrow_schema(query: ExportQuery, output: Output) -> pa.Schema:
    import pyarrow as pa  # here, not at the top: pyarrow and GDAL cost 140 MB a process that only streams

    shapefile = output.format.id == "shp"
    types = {INT: pa.int64(), FLOAT: pa.float64(), BOOL: pa.bool_(), DATE: pa.date32(),
             DATETIME: pa.timestamp("us", tz="UTC")}

    def arrow_type(c: Column) -> pa.DataType:
        if c.kind == DATETIME and shapefile:
            return pa.string()
        return types.get(c.kind, pa.string())

    fields = [pa.field(c.shp_name if shapefile else c.name, arrow_type(c))
              for c in query.layer.visible_columns(query.personal)]
    return pa.schema([*fields, pa.field("geometry", pa.binary())])


def write_file(query: ExportQuery, output: Output, directory: Path, progress: Progress) -> Path:
    """Write a GeoPackage, FlatGeobuf or zipped Shapefile into the empty `directory`; returns its path."""
    import pyarrow as pa
    from pyogrio.raw import write_arrow
    from pyproj import CRS

    path = directory / f"{query.layer.id}{output.format.extension.removesuffix('.zip')}"
    schema = arrow_schema(query, output)
    sql, params = render.arrow_sql(query, output)
    with display_zone():
        with geo_sql.reader().chunked_cursor() as cursor:
            cursor.execute(sql, params)
            reader = pa.RecordBatchReader.from_batches(schema, _batches(cursor, schema, progress))
            write_arrow(reader, str(path), layer=query.layer.id, driver=output.format.driver,
                        geometry_name="geometry", geometry_type=query.layer.geometry_type,
                        crs=CRS.from_epsg(output.srid).to_wkt(),
                        encoding="UTF-8" if output.format.id == "shp" else None,
                        layer_options={"SPATIAL_INDEX": "YES"} if output.format.id == "fgb" else None)
    return _zip_shapefile(path) if output.format.id == "shp" else path


def _batches(cursor, schema: pa.Schema, progress: Progress) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    while rows := cursor.fetchmany(BATCH_ROWS):
        columns = zip(*rows, strict=True)
        yield pa.record_batch([pa.array(values, type=f.type) for values, f in zip(columns, schema, strict=True)],
                              schema=schema)
        progress(len(rows))


def _zip_shapefile(shp: Path) -> Path:
    """Zip the .shp and its sidecar files (.shx .dbf .prj .cpg): QGIS and GDAL open a .shp.zip directly."""
    zip_path = shp.with_name(shp.name + ".zip")
    stem = shp.name.removesuffix(".shp")
    parts = sorted(p for p in shp.parent.glob(f"{stem}.*") if p.suffix != ".zip")
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in parts:
            archive.write(part, arcname=part.name)
            part.unlink()
    return zip_path


def features(query: ExportQuery, *, limit: int | None = None, offset: int = 0) -> list[str]:
    """A page of GeoJSON Features (OGC API items), ordered by feature id so that pages do not overlap."""
    sql, params = render.feature_sql(query, order=True, limit=limit, offset=offset)
    with display_zone(), geo_sql.reader().cursor() as cursor:
        cursor.execute(sql, params)
        rows = [row[0] for row in cursor.fetchall()]
    return rows


def count(query: ExportQuery) -> int:
    """How many rows the export (or an OGC API request's filters) matches."""
    sql, params = render.count_sql(query)
    with geo_sql.reader().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]

"""One export from start to end, the same for the API and for `manage.py export_layer`.

start() checks the request, applies the rate limit (geo.ratelimit's "export" bucket) and writes the
audit record before the first byte
(so an export that fails half-way is still on record); the record gets its row count, and whether the
export completed, when the last row has been written. Then either the bytes are streamed (GeoJSON,
CSV: chunks()) or a file is written (GeoPackage, Shapefile, FlatGeobuf: write_file()); save() puts
any format at a path, for the command.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.db import DatabaseError
from django.http import HttpRequest

from geo import ratelimit
from geo.access import Access, audit
from geo.models import AuditRecord
from layers.exports import writers
from layers.exports.query import ExportQuery, Output, filename, parse_export

log = logging.getLogger(__name__)


@dataclass
class ExportJob:
    query: ExportQuery
    output: Output
    filename: str
    record: AuditRecord
    rows: int = 0
    progress: Callable[[int], None] | None = None

    def _count(self, n: int) -> None:
        self.rows += n
        if self.progress:
            self.progress(n)


def start(layer_id: str, fmt: str, params: Mapping[str, str], access: Access, *, request: HttpRequest | None = None,
          rate_limited: bool = True) -> ExportJob:
    """Parse and check the export, apply the caller's rate limit, and audit it; nothing is read yet."""
    query, output = parse_export(layer_id, fmt, params, access)
    if rate_limited:  # GRIDMAP_RATE_LIMITS["export"], shared by every worker
        ratelimit.check(access, "export", ip=request.META.get("REMOTE_ADDR") if request else None)
    record = audit(access, AuditRecord.Action.EXPORT, target=query.layer.id, detail=describe(query, output),
                   request=request)
    return ExportJob(query, output, filename(query, output), record)


def describe(query: ExportQuery, output: Output) -> dict:
    """What the audit trail keeps of an export: layer, format and every filter that narrowed it."""
    f = query.filters
    detail = {"format": output.format.id, "crs": output.srid, "personal": query.personal,
              "scope_prefix": query.prefix if query.prefix is not False else None, "area": f.area,
              "bbox": list(query.bbox) if query.bbox else None, "level": query.level,
              "class": list(f.categories), "status": list(f.statuses), "severity": list(f.severities),
              "source": list(f.sources), "flag": list(f.flags), "since": str(f.since) if f.since else None,
              "until": str(f.until) if f.until else None, "supervision": f.supervision or None,
              "department": f.department or None, "complete": False}
    return {k: v for k, v in detail.items() if v not in (None, [])}


def chunks(job: ExportJob) -> Iterator[bytes]:
    """The bytes of a GeoJSON or CSV export, as PostgreSQL produces them."""
    complete = False
    try:
        if job.output.format.id == "geojson":
            yield from writers.geojson_chunks(job.query, job._count)
        else:
            yield from writers.csv_chunks(job.query, job.output, job._count)
        complete = True
    finally:
        finish(job, complete)


def write_file(job: ExportJob, directory: Path) -> Path:
    """Write a GeoPackage, Shapefile (zipped) or FlatGeobuf into `directory`; returns the file's path."""
    complete = False
    try:
        path = writers.write_file(job.query, job.output, directory, job._count)
        complete = True
    finally:
        finish(job, complete)
    return path


def open_file(job: ExportJob) -> IO[bytes]:
    """The export as an open file whose directory is already gone: nothing is left behind on disk
    once the response has been sent (or abandoned)."""
    directory = Path(tempfile.mkdtemp(prefix="gridmap-export-"))
    try:
        return open(write_file(job, directory), "rb")  # noqa: SIM115 - the response closes it
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def save(job: ExportJob, path: Path) -> int:
    """Write the export at `path`, any format; the file appears only once complete. Returns the row count.

    A path that exists and is not a regular file (/dev/stdout, /dev/null, a FIFO) is written into, never
    renamed over: replacing /dev/null with a file, as root, breaks the whole machine.
    """
    special = path.exists() and not path.is_file()
    with tempfile.TemporaryDirectory(prefix=".gridmap-export-", dir=None if special else path.parent) as tmp:
        if job.output.format.streamed:
            produced = Path(tmp) / job.filename
            with open(produced, "wb") as out:
                for chunk in chunks(job):
                    out.write(chunk)
        else:
            produced = write_file(job, Path(tmp))
        if special:
            with open(produced, "rb") as source, open(path, "wb") as target:
                shutil.copyfileobj(source, target)
        else:
            os.replace(produced, path)
    return job.rows


def finish(job: ExportJob, complete: bool) -> None:
    """Record the rows written and whether the export completed (a client may hang up half-way)."""
    detail = {**job.record.detail, "complete": complete}
    try:
        AuditRecord.objects.filter(pk=job.record.pk).update(rows=job.rows, detail=detail)
    except DatabaseError:
        log.warning("could not record the end of export %s (%s rows)", job.record.pk, job.rows, exc_info=True)

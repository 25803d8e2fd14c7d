"""OGC API - Features collections: which export layer (and level) each one serves, its extent, and the
parsing of the items parameters (bbox, limit, offset, datetime) into an ExportQuery.

A collection is an export layer seen through the standard: the same rows, columns, scope and filters
as /api/export/, never the personal fields (OGC API reads need only the "view" permission, and personal
data leaves Gridmap only through an audited export). Grids and workload are split by level, because
QGIS shows one layer per collection and levels drawn on top of each other are of no use.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.gis.db.models import Extent
from django.db.models import Max, Min
from django.utils import timezone

from geo.access import Access
from geo.errors import InvalidInput
from grids.models import Area
from layers.exports.query import ExportQuery, get_layer, parse_bbox, parse_options
from layers.exports.registry import ExportLayer
from layers.incidents.filters import effective_prefix, for_access, parse_filters
from layers.models import Incident

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
DEFAULT_LIMIT, MAX_LIMIT = 100, 10_000
MAX_OFFSET = 10**12  # far beyond any table here, far below PostgreSQL's bigint
DIGITS = re.compile(r"[0-9]+")  # str.isdigit() also takes '²' and other digits int() refuses
BASE_PARAMS = {"bbox", "bbox-crs", "limit", "offset", "datetime", "f", "token"}
INCIDENT_PARAMS = {"area", "class", "status", "severity", "source", "flag", "supervision", "department"}


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    layer_id: str
    level: int | None = None
    description: str = ""

    @property
    def layer(self) -> ExportLayer:
        return get_layer(self.layer_id)

    def allowed_params(self) -> set[str]:
        return (BASE_PARAMS | (INCIDENT_PARAMS if self.layer.incident_filters else {"area"})
                | {o.name for o in self.layer.options})


WORKLOAD = ("intake, open, overdue, closed and on-time incidents and workers per {}, as on the map's workload "
            "layer; datetime (dates) sets the period")
COLLECTIONS: dict[str, Collection] = {c.id: c for c in [
    Collection("provinces", "Provinces 省", "grids", -1, "Province boundaries (current): the union of their counties'"),
    Collection("cities", "Cities 市/州", "grids", 0, "City boundaries (current), the province-administered placeholder "
               "(xx90) included"),
    Collection("counties", "Counties 县/区", "grids", 1, "County boundaries (current)"),
    Collection("townships", "Townships and streets 乡镇/街道", "grids", 2, "Township and street boundaries (current)"),
    Collection("villages", "Villages and communities 村/社区", "grids", 3,
               "Village and residents' community boundaries (current)"),
    Collection("grids", "Basic grids 基础网格", "grids", 4, "Basic grid boundaries (current)"),
    Collection("dedicated_grids", "Dedicated grids 专属网格", "grids", 5,
               "Dedicated grids: schools, hospitals, markets, enterprises... (current)"),
    Collection("buildings", "Buildings 楼栋", "buildings", None,
               "Buildings with their unified address code, as address points"),
    Collection("rooms", "Room addresses 户室", "rooms", None, "Room addresses, at their building's address point"),
    Collection("places", "Places 场所", "places", None, "Cameras, schools, markets, mediation rooms, service stations"),
    Collection("incidents", "Incidents 事件", "incidents", None,
               "Reported matters and where they stand in the closed loop (no personal fields); datetime filters "
               "on reported_at; area, class, status, severity and source filter as on the map"),
    Collection("workload_townships", "Workload per township", "workload", 2, WORKLOAD.format("township")),
    Collection("workload_villages", "Workload per village/community", "workload", 3,
               WORKLOAD.format("village/community")),
    Collection("workload", "Workload per basic grid", "workload", 4, WORKLOAD.format("basic grid")),
]}


def provide(*collections: Collection) -> None:
    """Add collections of another app's export layer (registry.provide), e.g. people's counts."""
    for collection in collections:
        if collection.id in COLLECTIONS and COLLECTIONS[collection.id] != collection:
            raise ValueError(f"OGC collection {collection.id!r} is provided twice")
        COLLECTIONS[collection.id] = collection


def spatial_extent(access: Access) -> list[float] | None:
    """The extent of the areas the caller may see (all collections lie inside them)."""
    box = Area.objects.current().within(access.scope).aggregate(e=Extent("boundary"))["e"]
    return [round(v, 6) for v in box] if box else None


def temporal_extent(collection: Collection, access: Access) -> list[str | None] | None:
    if collection.layer.temporal is None:
        return None
    span = Incident.objects.within(access.scope).aggregate(lo=Min("reported_at"), hi=Max("reported_at"))
    return [v.isoformat().replace("+00:00", "Z") if v else None for v in (span["lo"], span["hi"])]


def items_query(collection: Collection, params: Mapping[str, str], access: Access,
                fid: str | int | None = None) -> ExportQuery:
    """The rows an items request asks for; every bad value is a 400 naming the parameter."""
    allowed = collection.allowed_params()
    for name in params:
        if name not in allowed:
            raise InvalidInput(f"{name}: unknown parameter; {collection.id} items take "
                               f"{', '.join(sorted(allowed - {'token'}))}", field=name)
    crs = params.get("bbox-crs")
    if crs and crs not in (CRS84, "CRS84", "OGC:CRS84"):
        raise InvalidInput(f"bbox-crs: only {CRS84} is supported", field="bbox-crs")
    filters = for_access(parse_filters({k: v for k, v in params.items() if k in INCIDENT_PARAMS}), access)
    query = ExportQuery(layer=collection.layer, filters=filters, prefix=effective_prefix(access.scope, filters.area),
                        bbox=parse_bbox(params["bbox"], allow_3d=True) if params.get("bbox") else None,
                        level=collection.level, fid=fid, options=parse_options(collection.layer, params))
    raw = params.get("datetime")
    if not raw or collection.layer.temporal is None and collection.layer_id != "workload":
        return query  # a collection with no time ignores datetime, as the standard allows
    lower, upper, dates_only = parse_datetime(raw)
    if collection.layer_id == "workload":
        if not dates_only:
            raise InvalidInput("datetime: workload counts whole days; give a date or an interval of dates "
                               "(2026-01-01/2026-03-31)", field="datetime")
        days = {"since": lower.astimezone(timezone.get_default_timezone()).date().isoformat() if lower else "",
                "until": upper.astimezone(timezone.get_default_timezone()).date().isoformat() if upper else ""}
        # Through the tiles' own checks (range of years, span), as if given as since/until.
        period = parse_filters(days)
        return dataclasses.replace(query, filters=dataclasses.replace(filters, since=period.since, until=period.until))
    return dataclasses.replace(query, period=(lower, upper))


def parse_datetime(raw: str) -> tuple[dt.datetime | None, dt.datetime | None, bool]:
    """An RFC 3339 instant or interval ('a/b', '../b', 'a/..', '/b', 'a/') as inclusive bounds.

    A date stands for its whole local day (GRIDMAP_TIME_ZONE), and so does a time without an offset.
    Returns (lower, upper, whether every given end was a plain date).
    """
    if any(c.isspace() for c in raw):
        # RFC 3339 (and OGC API's datetime) has no spaces; one usually is an unencoded '+' of an offset.
        raise InvalidInput(f"datetime: {raw!r} contains a space; RFC 3339 has none (send a '+' of a time "
                           "zone offset as %2B)", field="datetime")
    ends = raw.split("/")
    if len(ends) > 2:
        raise InvalidInput(f"datetime: {raw!r} is not an instant or an interval start/end", field="datetime")
    if len(ends) == 1:
        lower, upper, is_date = _bounds(ends[0], raw)
        if lower is None:
            raise InvalidInput("datetime: an instant cannot be open ('..'); use an interval", field="datetime")
        return lower, upper, is_date
    lower, _, date_lower = _bounds(ends[0], raw)
    _, upper, date_upper = _bounds(ends[1], raw)
    if lower is None and upper is None:
        raise InvalidInput("datetime: both ends of the interval are open", field="datetime")
    if lower and upper and upper < lower:
        raise InvalidInput(f"datetime: the interval {raw!r} ends before it starts", field="datetime")
    return lower, upper, date_lower and date_upper


def _bounds(text: str, raw: str) -> tuple[dt.datetime | None, dt.datetime | None, bool]:
    """The first and last instant one end of a datetime parameter covers (None, None for open)."""
    if text in ("", ".."):
        return None, None, True
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())
            return start, start + dt.timedelta(days=1, microseconds=-1), True
        moment = dt.datetime.fromisoformat(text.replace("z", "Z"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.get_default_timezone())
        moment.astimezone(dt.UTC)  # 0001-01-01T00:00:00+08:00 has no UTC: refuse it here
        # In the local zone: PostgreSQL refuses offsets beyond ±15:59 that RFC 3339 allows (-20:38).
        moment = moment.astimezone(timezone.get_default_timezone())
    except (ValueError, OverflowError) as exc:
        raise InvalidInput(f"datetime: {raw!r} is not RFC 3339 (e.g. 2026-11-22T03:10:00Z, 2026-11-01/2026-11-30)",
                           field="datetime") from exc
    return moment, moment, False


def parse_paging(params: Mapping[str, str]) -> tuple[int, int]:
    """limit (1..MAX_LIMIT, larger values are served as MAX_LIMIT, as the standard asks) and offset (>= 0)."""
    limit, offset = params.get("limit", ""), params.get("offset", "")
    if limit and (not DIGITS.fullmatch(limit) or int(limit) < 1):
        raise InvalidInput(f"limit: {limit!r} is not a whole number from 1 to {MAX_LIMIT}", field="limit")
    if offset and (not DIGITS.fullmatch(offset) or int(offset) > MAX_OFFSET):
        raise InvalidInput(f"offset: {offset!r} is not a whole number from 0 to {MAX_OFFSET}", field="offset")
    return min(int(limit or DEFAULT_LIMIT), MAX_LIMIT), int(offset or 0)


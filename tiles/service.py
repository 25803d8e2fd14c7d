"""Serve one tile: validate, find it in the cache or build it in one SQL statement, and answer.

Shared by the Django view and the WSGI fast path (geo/wsgi.py) so both give the same answers;
it returns a plain TileResponse rather than an HttpResponse for that reason.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from django.conf import settings

from geo import sql as geo_sql
from geo.access import Access, audit, public_layers, request_access
from geo.errors import AUTHENTICATE, Forbidden, InvalidInput, NotAuthenticated, NotFound
from geo.models import AuditRecord
from layers.incidents.filters import effective_prefix, for_access, parse_filters
from tiles import cache, versions
from tiles.registry import MARGIN, REGISTRY, TileLayer, TileQuery, tile_counties

MAX_ZOOM = 22
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"


@dataclass
class TileResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def parse_layers(names: str) -> list[TileLayer]:
    layers: list[TileLayer] = []
    for name in names.split(","):
        if name not in REGISTRY:
            raise NotFound(f"unknown tile layer {name!r}; available: {', '.join(REGISTRY)}")
        if REGISTRY[name] not in layers:
            layers.append(REGISTRY[name])
    return layers


def parse_zxy(z: str, x: str, y: str) -> tuple[int, int, int]:
    try:
        zi, xi, yi = int(z), int(x), int(y)
    except ValueError as exc:
        raise InvalidInput(f"tile coordinates must be integers, got {z}/{x}/{y}", field="z") from exc
    if not 0 <= zi <= MAX_ZOOM:
        raise InvalidInput(f"zoom {zi} is out of range 0..{MAX_ZOOM}", field="z")
    limit = 1 << zi
    if not 0 <= xi < limit:
        raise InvalidInput(f"x {xi} is out of range 0..{limit - 1} at zoom {zi}", field="x")
    if not 0 <= yi < limit:
        raise InvalidInput(f"y {yi} is out of range 0..{limit - 1} at zoom {zi}", field="y")
    return zi, xi, yi


def access_for_layers(request, layers: list[TileLayer], access: Access | None = None) -> Access:
    """The caller's access if it may view these layers: a role with "view" (403 otherwise), or, for
    anonymous callers, layers opened by GRIDMAP_PUBLIC_LAYERS (401 otherwise). The view and the WSGI
    fast path both ask here, so they answer alike."""
    access = access if access is not None else request_access(request)
    personal = [layer.id for layer in layers if layer.personal]
    if access.authenticated:
        if not access.can("view"):
            raise Forbidden(f"{access.username} has no role that may view maps")
        closed = [layer.id for layer in layers if not layer.departments]
        if closed and access.narrowed:
            raise Forbidden(f"{access.username}: the {', '.join(closed)} layer is the grid workers' patrols; a "
                            "department account sees its matters")
        if personal and not access.personal_data:
            raise Forbidden(f"{access.username}: the {', '.join(personal)} layer is personal data (where a person "
                            "was); it needs the personal-data right")
        return access
    if personal:  # never public, whatever GRIDMAP_PUBLIC_LAYERS says
        raise NotAuthenticated(AUTHENTICATE)
    if layers and all(layer.id in public_layers() for layer in layers):
        return Access(user_id=None, username="public", role=None, scope=None, permissions=frozenset({"view"}))
    raise NotAuthenticated(AUTHENTICATE)


def tile(layer_names: str, z: str, x: str, y: str, params: Mapping[str, str], access: Access | None = None,
         *, request=None, accepts_gzip: bool = True, if_none_match: str | None = None) -> TileResponse:
    layers = parse_layers(layer_names)
    zi, xi, yi = parse_zxy(z, x, y)
    access = access_for_layers(request, layers, access)
    filters = for_access(parse_filters(params), access)
    prefix = effective_prefix(access.scope, filters.area)
    shown = [layer for layer in layers if layer.minzoom <= zi <= layer.maxzoom]
    headers = {"Cache-Control": "private, max-age=0, must-revalidate", "Vary": "Accept-Encoding, Authorization, Cookie"}
    if prefix is False or not shown:
        return TileResponse(204, headers=headers)
    depends = tuple(sorted({dep for layer in shown for dep in layer.depends_on}))
    # The stamp and the content come from the same server (the standby's versions for its content).
    reader = geo_sql.reader()
    stamp = versions.index(reader.alias).stamp(depends, zi, xi, yi, MARGIN)
    # A live flag filter changes with the clock, not only with writes: such tiles are cached a minute.
    clock = f"&t={int(time.time() // 60)}" if filters.flags else ""
    key = hashlib.blake2b(
        f"{reader.settings_dict['NAME']}:{','.join(layer.id for layer in shown)}/{zi}/{xi}/{yi}"
        f"?{filters.canonical()}&p={prefix or ''}&v={stamp}{clock}"
        .encode(), digest_size=16).hexdigest()
    etag = f'"{key}"'
    headers["ETag"] = etag
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return TileResponse(304, headers=headers)
    gzipped = cache.get(key)
    raw = None
    if gzipped is None:
        raw = build(shown, TileQuery(zi, xi, yi, filters, prefix or None), reader)
        if settings.GRIDMAP_TILE_CACHE or accepts_gzip:  # no compress-then-decompress round trip
            gzipped = gzip.compress(raw, compresslevel=5) if raw else b""
            cache.put(key, gzipped)
    if not (raw if gzipped is None else gzipped):
        return TileResponse(204, headers=headers)
    personal = [layer.id for layer in shown if layer.personal]
    if personal:  # a tile of tracks is a read of personal data: audited, from the cache or not
        audit(access, AuditRecord.Action.PERSONAL_READ, target=f"tiles/{','.join(personal)}/{zi}/{xi}/{yi}",
              detail={"layers": personal, "tile": [zi, xi, yi], "scope": prefix or "", "filters": filters.canonical()},
              request=request)
    headers["Content-Type"] = MEDIA_TYPE
    if accepts_gzip:
        headers["Content-Encoding"] = "gzip"
        return TileResponse(200, gzipped, headers)
    return TileResponse(200, raw if raw is not None else gzip.decompress(gzipped), headers)


def build(layers: list[TileLayer], query: TileQuery, reader=None) -> bytes:
    """The tile's MVT bytes: one statement, one round trip, whatever the number of layers (after one small
    query naming the counties the count layers cover, at zooms whose scope names none: tile_counties).
    The CTEs the layers share (the count layers' areas and counts) are written once, before them."""
    query = replace(query, layers=tuple(layer.id for layer in layers))
    with (reader or geo_sql.reader()).cursor() as cursor:
        query = replace(query, counties=tile_counties(query, cursor))
        params = query.params()
        ctes: dict[str, str] = {}
        parts = []
        for layer in layers:
            if layer.shared is not None:
                defined, extra = layer.shared(query)
                for name, definition in defined.items():
                    ctes.setdefault(name, definition)
                params.update(extra)
            sql, extra = layer.sql(query)
            parts.append(sql)
            params.update(extra)
        with_ = f"WITH {', '.join(ctes.values())} " if ctes else ""
        cursor.execute(f"{with_}SELECT " + " || ".join(parts), params)
        data = cursor.fetchone()[0]
    return bytes(data) if data else b""

"""OGC API - Features, Part 1 core with GeoJSON, at /ogc/: what QGIS and GDAL's OAPIF driver open.

    /ogc/                                           landing page
    /ogc/api                                        OpenAPI 3.0 description (paging limits, filters)
    /ogc/conformance                                core, geojson, oas30
    /ogc/collections, /ogc/collections/{id}         with spatial (CRS84) and temporal extents
    /ogc/collections/{id}/items                     bbox, limit, offset, datetime (+ area, class, status...)
    /ogc/collections/{id}/items/{featureId}

Callers authenticate like everywhere else; map clients that cannot set a header put `?token=` in the
URL, and every link we return carries it on, so that following `next` keeps working.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from geo.access import Access, require
from geo.errors import InvalidInput, NotFound
from layers.exports import writers
from layers.exports.registry import INT
from layers.ogc import openapi
from layers.ogc.collections import (
    COLLECTIONS,
    CRS84,
    DIGITS,
    Collection,
    items_query,
    parse_paging,
    spatial_extent,
    temporal_extent,
)

JSON, GEOJSON = "application/json", "application/geo+json"
MAX_ID = 2**63 - 1  # ids are bigint: a larger number names no feature
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]


def _start(request: HttpRequest) -> Access:
    access = require(request, "view")
    fmt = request.GET.get("f")
    if fmt and fmt not in ("json", "geojson", JSON, GEOJSON):
        raise InvalidInput(f"f: {fmt!r} is not served; use f=json (there is no HTML)", field="f")
    return access


def _url(request: HttpRequest, path: str, **params) -> str:
    """An absolute link, carrying the caller's ?token= on (QGIS and GDAL follow links verbatim)."""
    token = request.GET.get("token")
    query = {**({"token": token} if token else {}), **{k: v for k, v in params.items() if v is not None}}
    return request.build_absolute_uri(path) + (f"?{urlencode(query)}" if query else "")


def _json(body: dict, content_type: str = JSON) -> JsonResponse:
    return JsonResponse(body, content_type=content_type, json_dumps_params={"ensure_ascii": False})


def _collection(collection_id: str) -> Collection:
    if collection_id not in COLLECTIONS:
        raise NotFound(f"no collection {collection_id!r}; available: {', '.join(COLLECTIONS)}")
    return COLLECTIONS[collection_id]


@require_safe
def landing(request: HttpRequest) -> JsonResponse:
    _start(request)
    return _json({
        "title": "Gridmap 网格地图",
        "description": "Areas, grids, buildings, places, incidents and workload of the county social-governance "
                       "center, as OGC API - Features",
        "links": [
            {"href": _url(request, "/ogc/"), "rel": "self", "type": JSON, "title": "this document"},
            {"href": _url(request, "/ogc/api"), "rel": "service-desc", "type": openapi.MEDIA_TYPE,
             "title": "the API definition (OpenAPI 3.0)"},
            {"href": _url(request, "/ogc/conformance"), "rel": "conformance", "type": JSON,
             "title": "conformance classes"},
            {"href": _url(request, "/ogc/collections"), "rel": "data", "type": JSON, "title": "collections"},
        ],
    })


@require_safe
def api(request: HttpRequest) -> JsonResponse:
    _start(request)
    return _json(openapi.document(request.build_absolute_uri("/ogc")), openapi.MEDIA_TYPE)


@require_safe
def conformance(request: HttpRequest) -> JsonResponse:
    _start(request)
    return _json({"conformsTo": CONFORMANCE})


def _describe(request: HttpRequest, collection: Collection, access: Access, spatial: list[float] | None) -> dict:
    base = f"/ogc/collections/{collection.id}"
    extent: dict = {"spatial": {"bbox": [spatial] if spatial else [[-180.0, -90.0, 180.0, 90.0]], "crs": CRS84}}
    temporal = temporal_extent(collection, access)
    if temporal is not None:
        extent["temporal"] = {"interval": [temporal],
                              "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return {
        "id": collection.id, "title": collection.title, "description": collection.description,
        "itemType": "feature", "crs": [CRS84], "storageCrs": CRS84, "extent": extent,
        "links": [
            {"href": _url(request, base), "rel": "self", "type": JSON, "title": collection.title},
            {"href": _url(request, f"{base}/items"), "rel": "items", "type": GEOJSON, "title": "features"},
        ],
    }


@require_safe
def collections(request: HttpRequest) -> JsonResponse:
    access = _start(request)
    spatial = spatial_extent(access)
    return _json({
        "links": [{"href": _url(request, "/ogc/collections"), "rel": "self", "type": JSON}],
        "collections": [_describe(request, c, access, spatial) for c in COLLECTIONS.values()],
    })


@require_safe
def collection(request: HttpRequest, collection_id: str) -> JsonResponse:
    access = _start(request)
    return _json(_describe(request, _collection(collection_id), access, spatial_extent(access)))


@require_safe
def items(request: HttpRequest, collection_id: str) -> HttpResponse:
    """A page of features, next/prev links to page through them, and numberMatched on the first page.

    Clients read the count once, from the first page (GDAL's feature count); later pages skip it and
    fetch one feature more than they return to know whether a next page exists. GDAL before 3.8 pages
    by 10 whatever the API says, which makes the per-page cost what matters.
    """
    access = _start(request)
    chosen = _collection(collection_id)
    query = items_query(chosen, request.GET, access)
    limit, offset = parse_paging(request.GET)
    features = writers.features(query, limit=limit + 1, offset=offset)
    more = len(features) > limit
    features = features[:limit]
    path = f"/ogc/collections/{chosen.id}/items"
    params = {k: v for k, v in request.GET.items() if k not in ("token", "offset", "limit")}
    links = [{"href": _url(request, path, **params, limit=limit, offset=offset or None), "rel": "self",
              "type": GEOJSON, "title": "this page"},
             {"href": _url(request, f"/ogc/collections/{chosen.id}"), "rel": "collection", "type": JSON}]
    if more:
        links.append({"href": _url(request, path, **params, limit=limit, offset=offset + len(features)),
                      "rel": "next", "type": GEOJSON, "title": "next page"})
    if offset > 0:
        links.append({"href": _url(request, path, **params, limit=limit, offset=max(0, offset - limit) or None),
                      "rel": "prev", "type": GEOJSON, "title": "previous page"})
    meta = {"type": "FeatureCollection", "numberReturned": len(features),
            "timeStamp": timezone.now().isoformat(timespec="seconds").replace("+00:00", "Z"), "links": links}
    if offset == 0:
        meta["numberMatched"] = len(features) if not more else writers.count(query)
    head = json.dumps(meta, ensure_ascii=False)
    body = head[:-1] + ',"features":[' + ",".join(features) + "]}"
    return HttpResponse(body.encode(), content_type=GEOJSON)


@require_safe
def item(request: HttpRequest, collection_id: str, feature_id: str) -> HttpResponse:
    access = _start(request)
    chosen = _collection(collection_id)
    fid: str | int = feature_id
    if chosen.layer.fid_kind == INT:
        if not DIGITS.fullmatch(feature_id) or int(feature_id) > MAX_ID:
            raise NotFound(f"no feature {feature_id!r} in {chosen.id}")
        fid = int(feature_id)
    query = items_query(chosen, {k: v for k, v in request.GET.items() if k in ("f", "token")}, access, fid=fid)
    found = writers.features(query, limit=1)
    if not found:
        raise NotFound(f"no feature {feature_id!r} in {chosen.id}")
    feature = json.loads(found[0])
    feature["links"] = [
        {"href": _url(request, f"/ogc/collections/{chosen.id}/items/{feature_id}"), "rel": "self", "type": GEOJSON},
        {"href": _url(request, f"/ogc/collections/{chosen.id}"), "rel": "collection", "type": JSON},
    ]
    return _json(feature, GEOJSON)

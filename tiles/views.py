"""Tile endpoints: the catalog, TileJSON 3.0.0 per layer (or list of layers), and the tiles."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from geo import sql as geo_sql
from layers.incidents.filters import effective_prefix, for_access, parse_filters
from tiles import service
from tiles.registry import REGISTRY

PASSED_PARAMS = ("class", "status", "severity", "source", "since", "until", "supervision", "department", "area",
                 "not_visited", "token")


@require_GET
def catalog(request: HttpRequest) -> JsonResponse:
    """Every tile layer the caller may read, with its TileJSON and tile URL template (a personal layer, the
    patrol tracks, only for the personal-data right)."""
    access = service.access_for_layers(request, [layer for layer in REGISTRY.values() if not layer.personal])
    base = request.build_absolute_uri("/tiles/")
    return JsonResponse({"layers": [
        {**layer.tilejson_entry(), "tilejson": f"{base}{layer.id}.json",
         "tiles": f"{base}{layer.id}/{{z}}/{{x}}/{{y}}.pbf",
         "filters": [p for p in PASSED_PARAMS[:-1] if p != "not_visited"] if layer.filtered
         else list(layer.params)}
        for layer in REGISTRY.values() if not layer.personal or access.personal_data]},
        json_dumps_params={"ensure_ascii": False})


@require_GET
def tilejson(request: HttpRequest, layers: str) -> JsonResponse:
    chosen = service.parse_layers(layers)
    access = service.access_for_layers(request, chosen)
    filters = for_access(parse_filters(request.GET), access)
    prefix = effective_prefix(access.scope, filters.area)
    bounds, illustrative = _bounds(prefix)
    query = urlencode({k: request.GET[k] for k in PASSED_PARAMS if request.GET.get(k)})
    url = request.build_absolute_uri(f"/tiles/{layers}/") + "{z}/{x}/{y}.pbf" + (f"?{query}" if query else "")
    west, south, east, north = bounds
    body = {
        "tilejson": "3.0.0",
        "name": f"Gridmap {layers}",
        "scheme": "xyz",
        "tiles": [url],
        "minzoom": min(layer.minzoom for layer in chosen),
        "maxzoom": max(layer.maxzoom for layer in chosen),
        "bounds": [west, south, east, north],
        "center": [round((west + east) / 2, 6), round((south + north) / 2, 6), 9],
        "vector_layers": [layer.tilejson_entry() for layer in chosen],
        "attribution": "Gridmap" + (" — illustrative boundaries, not official" if illustrative else ""),
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _bounds(prefix: str | None | bool) -> tuple[list[float], bool]:
    """Extent of the areas the caller may see (the whole world if there are none)."""
    if prefix is False:
        return [-180.0, -85.0511, 180.0, 85.0511], False
    with geo_sql.reader().cursor() as cursor:
        # Raw SQL: one aggregate extent over the scope's top areas, rounded for the client.
        cursor.execute("""
            SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), il FROM (
                SELECT ST_Extent(boundary) AS e, bool_or(illustrative) AS il FROM grids_area
                WHERE valid_to IS NULL AND code LIKE %s
            ) s""", [(prefix or "") + "%"])
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return [-180.0, -85.0511, 180.0, 85.0511], False
    return [round(v, 6) for v in row[:4]], bool(row[4])


@require_GET
def tile(request: HttpRequest, layers: str, z: str, x: str, y: str) -> HttpResponse:
    result = service.tile(layers, z, x, y, request.GET, request=request,
                          accepts_gzip="gzip" in request.headers.get("Accept-Encoding", ""),
                          if_none_match=request.headers.get("If-None-Match"))
    response = HttpResponse(result.body, status=result.status,
                            content_type=result.headers.pop("Content-Type", service.MEDIA_TYPE))
    for name, value in result.headers.items():
        response[name] = value
    return response


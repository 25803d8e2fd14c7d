"""Views of the core: the health check, who the caller is, and the API's description."""

from __future__ import annotations

from django.contrib.gis import gdal, geos
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from geo import openapi as openapi_document
from geo.access import require


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, PostGIS, GDAL and GEOS versions; 503 if the database does not answer.

    Open to anonymous callers (load balancers, monitoring) and says nothing about the data.
    """
    body = {"status": "ok", "gdal": gdal.gdal_full_version().decode(), "geos": geos.geos_version().decode()}
    try:
        with connection.cursor() as cursor:
            cursor.execute("select version(), postgis_lib_version(), postgis_full_version()")
            pg, postgis, postgis_full = cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure means "unhealthy", reported, not raised
        body.update(status="error", database=f"unreachable: {exc.__class__.__name__}")
        return JsonResponse(body, status=503)
    body.update(database=pg, postgis=postgis, postgis_full=postgis_full)
    return JsonResponse(body)


@require_GET
def me(request: HttpRequest) -> JsonResponse:
    """Who the caller is: role, scope and permissions, so a client can show only what the user may do."""
    access = require(request, "view")
    return JsonResponse({"username": access.username, "role": access.role, "scope": access.scope,
                         "permissions": sorted(access.permissions)})


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    """/api/openapi.json: the OpenAPI 3.1 description of every /api/ route (geo/openapi.py)."""
    require(request, "view")
    return JsonResponse(openapi_document.document(request.build_absolute_uri("/")),
                        content_type=openapi_document.MEDIA_TYPE, json_dumps_params={"ensure_ascii": False})

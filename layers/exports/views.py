"""/api/export/ (what can be exported) and /api/export/<layer>.<format> (the export itself)."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from geo.access import require
from layers.exports import service
from layers.exports.query import FORMATS, INCIDENT_PARAMS, allowed_params
from layers.exports.registry import REGISTRY


@require_GET
def catalog(request: HttpRequest) -> JsonResponse:
    """Every exportable layer with its columns and filters, and the formats, so a script can discover them."""
    access = require(request, "export")
    base = request.build_absolute_uri("/api/export/")
    layers = []
    for layer in REGISTRY.values():
        layers.append({
            "id": layer.id, "title": layer.title, "description": layer.description,
            "geometry": layer.geometry_type, "levels": list(layer.levels),
            "filters": sorted(allowed_params(layer, FORMATS["csv"]) - {"token", "crs", "personal", "geometry"}),
            "columns": [{"name": c.name, "type": c.kind, "shapefile_name": c.shp_name, "description": c.description,
                         "personal": c.personal} for c in layer.visible_columns(access.personal_data)],
            "urls": {f.id: f"{base}{layer.id}.{f.id}" for f in FORMATS.values()},
        })
    return JsonResponse({
        "layers": layers,
        "formats": [{"id": f.id, "extension": f.extension, "media_type": f.media_type, "description": f.description}
                    for f in FORMATS.values()],
        "incident_filters": list(INCIDENT_PARAMS),
        "personal_data": access.personal_data,
    }, json_dumps_params={"ensure_ascii": False})


@require_GET
def export(request: HttpRequest, layer: str, fmt: str) -> HttpResponse:
    """Stream GeoJSON or CSV straight from PostgreSQL; write other formats to a temporary file and send it."""
    access = require(request, "export")
    job = service.start(layer, fmt, request.GET, access, request=request)
    media_type = job.output.format.media_type
    if job.output.format.streamed:
        response = StreamingHttpResponse(service.chunks(job), content_type=media_type)
    else:
        response = FileResponse(service.open_file(job), content_type=media_type)
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response

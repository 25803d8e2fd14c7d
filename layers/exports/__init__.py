"""Exports for analysts: every layer as GeoJSON, GeoPackage, zipped Shapefile, FlatGeobuf or CSV.

    registry.py  the exportable layers: their columns and the SQL that selects their rows
    query.py     an export request, parsed and checked (filters shared with tiles), and its WHERE clause
    render.py    the per-format SELECT around a layer's rows (PostGIS builds GeoJSON, WKT, WKB)
    writers.py   the bytes: GeoJSON and CSV streamed by COPY, files written by pyogrio from Arrow batches
    service.py   one export from start to end: rate limit, audit, stream or file (API and command alike)
    views.py     /api/export/<layer>.<format>

Nothing here holds a whole export in memory: rows come from PostgreSQL through COPY or a server-side
cursor, in chunks, and leave as soon as they are rendered.
"""

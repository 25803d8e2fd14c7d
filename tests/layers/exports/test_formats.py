"""GeoPackage, zipped Shapefile, FlatGeobuf and CSV exports read back with geopandas and compared with the
database; output CRS; workload equal to the workload tiles; export_layer; bad inputs; the rate limit."""

from __future__ import annotations

import io
import math
import zipfile

import geopandas as gpd
import mapbox_vector_tile
import pandas as pd
import pytest
import shapely
from django.core.management import CommandError, call_command

from geo.models import AuditRecord
from layers.exports.registry import REGISTRY
from tests.support.exports import compare as compare_rows
from tests.support.exports import download, expected

LAYERS = ["grids", "buildings", "rooms", "places", "incidents"]


def read(fmt: str, body: bytes, tmp_path, csv_geometry: str = "wkt", srid: int = 4326) -> gpd.GeoDataFrame:
    """Read an export back the way an analyst's tools would."""
    if fmt == "csv":
        assert body.startswith(b"\xef\xbb\xbf")
        frame = pd.read_csv(io.BytesIO(body), encoding="utf-8-sig", dtype=str, keep_default_na=False)
        if csv_geometry == "lonlat":
            x, y = ("x", "y") if srid == 3857 else ("lon", "lat")
            geometry = gpd.points_from_xy(frame[x].astype(float), frame[y].astype(float))
        else:
            geometry = gpd.GeoSeries.from_wkt(frame["wkt"])
        return gpd.GeoDataFrame(frame, geometry=geometry, crs=srid)
    path = tmp_path / {"gpkg": "x.gpkg", "fgb": "x.fgb", "shp": "x.shp.zip"}[fmt]
    path.write_bytes(body)
    return gpd.read_file(path)


def to_multi(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A Shapefile has no MultiPolygon type: single parts come back as Polygons."""
    frame = frame.copy()
    frame["geometry"] = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in frame.geometry]
    return frame


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "fgb", "csv"])
@pytest.mark.parametrize("layer", LAYERS)
def test_every_format_reads_back_as_the_database(client, county, admin_key, tmp_path, layer, fmt):
    response, body = download(client, admin_key, f"/api/export/{layer}.{fmt}")
    assert response.status_code == 200, body[:300]
    frame = read(fmt, body, tmp_path)
    if fmt != "csv":
        assert frame.crs.to_epsg() == 4326
    names = {c.name: c.shp_name for c in REGISTRY[layer].columns} if fmt == "shp" else None
    if REGISTRY[layer].polygons:
        frame = to_multi(frame)
    compare_rows(layer, frame, expected(layer), names=names)


@pytest.mark.parametrize("layer", ["incidents", "grids"])
def test_csv_with_lon_lat_columns(client, county, admin_key, tmp_path, layer):
    _, body = download(client, admin_key, f"/api/export/{layer}.csv?geometry=lonlat")
    frame = read("csv", body, tmp_path, csv_geometry="lonlat")
    want = expected(layer)
    assert len(frame) == len(want)
    key = REGISTRY[layer].columns[0].name
    for _, row in frame.iterrows():
        fid = int(row[key]) if layer == "incidents" else row[key]
        geometry = want[fid]["geometry"]
        if layer == "incidents":
            assert row.geometry.equals_exact(geometry, 1e-7)
        else:  # a point inside each polygon (ST_PointOnSurface), even the one with a hole
            assert geometry.contains(row.geometry)


@pytest.mark.parametrize("fmt", ["gpkg", "fgb", "shp", "csv"])
@pytest.mark.parametrize("srid", [3857, 4490])
def test_output_crs(client, county, admin_key, tmp_path, fmt, srid):
    _, body = download(client, admin_key, f"/api/export/incidents.{fmt}?crs={srid}")
    frame = read(fmt, body, tmp_path, srid=srid)
    assert frame.crs.to_epsg() == srid
    if srid == 3857:
        assert frame.total_bounds[0] > 1e7  # metres, not degrees
    back = frame.to_crs(4326) if srid == 3857 else frame.set_crs(4326, allow_override=True)
    want = expected("incidents")
    for _, row in back.iterrows():
        assert row.geometry.equals_exact(want[int(row["id"])]["geometry"], 1e-6)


def test_shapefile_zip_holds_one_shapefile_with_utf8_and_short_field_names(client, county, admin_key):
    response, body = download(client, admin_key, "/api/export/incidents.shp")
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].endswith('.shp.zip"')
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert sorted(names) == ["incidents.cpg", "incidents.dbf", "incidents.prj", "incidents.shp", "incidents.shx"]
    assert zipfile.ZipFile(io.BytesIO(body)).read("incidents.cpg").strip().upper() in (b"UTF-8", b"65001")
    for layer in REGISTRY.values():
        short = [c.shp_name for c in layer.columns]
        assert all(len(n) <= 10 for n in short) and len(set(short)) == len(short), layer.id


def test_personal_fields_stay_out_of_files_without_the_permission(client, county, admin_key, analyst_key, tmp_path):
    for key, asked, present in ((admin_key, "", False), (admin_key, "?personal=1", True),
                                (analyst_key, "", False)):
        _, body = download(client, key, f"/api/export/incidents.gpkg{asked}")
        frame = read("gpkg", body, tmp_path)
        assert ("reporter_name" in frame.columns) is present
        assert ("张三" in set(frame.get("reporter_name", []))) is present
    response, _ = download(client, analyst_key, "/api/export/incidents.csv?personal=1")
    assert response.status_code == 403


def test_scope_holds_in_files(client, county, analyst_key, tmp_path):
    for fmt in ("gpkg", "csv"):
        _, body = download(client, analyst_key, f"/api/export/buildings.{fmt}")
        frame = read(fmt, body, tmp_path)
        assert set(frame["address_code"]) == set(expected("buildings", scope="419001103"))


def _tile_counts(client, key: str, z: int, query: str = "") -> dict[str, dict]:
    x, y = int((112.55 + 180) / 360 * 2 ** z), int(
        (1 - math.asinh(math.tan(math.radians(35.05))) / math.pi) / 2 * 2 ** z)
    response = client.get(f"/tiles/workload/{z}/{x}/{y}.pbf?{query}", HTTP_AUTHORIZATION=f"Bearer {key}",
                          HTTP_ACCEPT_ENCODING="identity")
    layer = mapbox_vector_tile.decode(response.content).get("workload", {"features": []})
    return {f["properties"]["code"]: f["properties"] for f in layer["features"]}


@pytest.mark.parametrize(("z", "level"), [(12, 4), (8, 2)])
@pytest.mark.parametrize("query", ["", "since=2026-03-01&until=2026-03-31", "class=dispute", "status=open"])
def test_workload_gives_the_numbers_of_the_workload_tiles(client, county, admin_key, tmp_path, z, level, query):
    tiles = _tile_counts(client, admin_key, z, query)
    _, body = download(client, admin_key, f"/api/export/workload.gpkg?level={level}&{query}")
    frame = read("gpkg", body, tmp_path)
    fields = ["intake", "open", "overdue", "closed", "on_time", "workers"]
    exported = {row["code"]: {f: int(row[f]) for f in fields} for _, row in frame.iterrows()}
    assert tiles and set(tiles) <= set(exported)  # the tile covers part of the county, the export all of it
    for code, props in tiles.items():
        assert exported[code] == {f: props.get(f, 0) for f in fields}, code
    assert sum(v["intake"] for v in exported.values()) > 0 or query == "class=dispute"


def test_workload_for_a_scoped_user_counts_only_the_scope(client, county, analyst_key):
    _, body = download(client, analyst_key, "/api/export/workload.csv?level=1")
    frame = pd.read_csv(io.BytesIO(body), encoding="utf-8-sig", dtype={"code": str})
    assert list(frame["code"]) == ["419001"]  # the county contains the scope: listed, counting inside it
    assert int(frame["intake"].iloc[0]) == 4  # not the other township's incident


# ------------------------------------------------------------------------------------------ command

@pytest.mark.parametrize("name", ["out.geojson", "out.gpkg", "out.shp.zip", "out.fgb", "out.csv"])
def test_export_layer_command_writes_every_format(county, tmp_path, capsys, name):
    path = tmp_path / name
    call_command("export_layer", "incidents", "-o", str(path), "--area", "419001103", "--since", "2026-01-01")
    out = capsys.readouterr()
    assert "wrote 3 incidents rows" in out.out
    assert "3/3" in out.err  # tqdm's progress
    frame = gpd.read_file(path) if not name.endswith(".csv") else read("csv", path.read_bytes(), tmp_path)
    assert sorted(int(i) for i in frame["id"]) == sorted(i.pk for k, i in county["incidents"].items()
                                                         if k in ("closed", "late", "overdue"))
    record = AuditRecord.objects.get(action="export")
    assert (record.username, record.rows, record.detail["complete"]) == ("manage.py export_layer", 3, True)
    assert list(tmp_path.iterdir()) == [path]  # nothing left behind


@pytest.mark.parametrize(("args", "message"), [
    (["nothing", "-o", "x.geojson"], "unknown layer 'nothing'"),
    (["incidents", "-o", "x.kml"], "cannot tell the format"),
    (["incidents", "-o", "x.out", "--format", "kml"], "format: unknown format 'kml'"),
    (["incidents", "-o", "x.geojson", "--since", "2026-02-30"], "since: '2026-02-30' is not a date"),
    (["incidents", "-o", "x.geojson", "--crs", "3857"], "GeoJSON is always WGS84"),
    (["buildings", "-o", "x.csv", "--since", "2026-01-01"], "since: not a parameter of the buildings export"),
    (["grids", "-o", "x.gpkg", "--level", "7"], "level: '7' is not a level"),
    (["incidents", "-o", "/no/such/dir/x.geojson"], "does not exist"),
])
def test_export_layer_command_refuses_bad_input(county, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError, match=message):
        call_command("export_layer", *args)


# --------------------------------------------------------------------------------------- bad inputs

@pytest.mark.parametrize(("url", "status", "field", "message"), [
    ("/api/export/nothing.geojson", 404, None, "unknown layer 'nothing'; available: grids, buildings"),
    ("/api/export/incidents.kml", 400, "format", "use one of geojson, gpkg, shp, fgb, csv"),
    ("/api/export/incidents.geojson?bbox=1,2,3", 400, "bbox", "expected minx,miny,maxx,maxy"),
    ("/api/export/incidents.geojson?bbox=a,b,c,d", 400, "bbox", "expected numbers"),
    ("/api/export/incidents.geojson?bbox=112,35,nan,36", 400, "bbox", "finite"),
    ("/api/export/incidents.geojson?bbox=112.6,35,112.4,35.1", 400, "bbox", "min must not be more than max"),
    ("/api/export/incidents.geojson?bbox=35,112,35.1,112.6", 400, "bbox", "latitude 112.0..112.6 is out of range"),
    ("/api/export/incidents.geojson?bbox=-190,35,112,36", 400, "bbox", "longitude"),
    ("/api/export/incidents.gpkg?crs=2385", 400, "crs", "use one of 4326"),
    ("/api/export/incidents.gpkg?crs=EPSG:abc", 400, "crs", "is not an output CRS"),
    ("/api/export/incidents.geojson?crs=4490", 400, "crs", "RFC 7946"),
    ("/api/export/incidents.geojson?since=2026-13-01", 400, "since", "is not a date"),
    ("/api/export/incidents.geojson?since=2026-03-02&until=2026-03-01", 400, "until", "is before since"),
    ("/api/export/incidents.geojson?until=9999-12-31", 400, "until", "is out of range"),
    ("/api/export/grids.geojson?level=²", 400, "level", "is not a level"),
    ("/api/export/incidents.geojson?class=theft", 400, "class", "unknown value 'theft'"),
    ("/api/export/incidents.geojson?status=lost", 400, "status", "unknown value 'lost'"),
    ("/api/export/incidents.geojson?area=41900", 400, "area", "is not an area code"),
    ("/api/export/incidents.geojson?categroy=dispute", 400, "categroy", "not a parameter of the incidents export"),
    ("/api/export/places.geojson?class=dispute", 400, "class", "not a parameter of the places export"),
    ("/api/export/grids.geojson?level=9", 400, "level", "use one of -1, 0, 1, 2, 3, 4, 5"),
    ("/api/export/workload.geojson?level=5", 400, "level", "use one of 1, 2, 3, 4"),
    ("/api/export/incidents.geojson?level=2", 400, "level", "not a parameter"),
    ("/api/export/incidents.csv?geometry=geojson", 400, "geometry", "use wkt or lonlat"),
    ("/api/export/incidents.gpkg?geometry=wkt", 400, "geometry", "not a parameter"),
    ("/api/export/incidents.geojson?personal=maybe", 400, "personal", "not a yes/no value"),
])
def test_bad_inputs_are_400s_naming_the_parameter(client, county, admin_key, url, status, field, message):
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {admin_key}")
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert message in error["message"]
    assert error.get("field") == field
    assert not AuditRecord.objects.filter(action="export").exists()


def test_rate_limit_answers_429_with_retry_after(client, county, analyst_key, settings, tmp_path):
    settings.GRIDMAP_RATE_LIMITS = {**settings.GRIDMAP_RATE_LIMITS, "export": (2, 3600)}
    for _ in range(2):
        assert download(client, analyst_key, "/api/export/places.csv")[0].status_code == 200
    response = client.get("/api/export/places.csv", HTTP_AUTHORIZATION=f"Bearer {analyst_key}")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3601
    assert "at most 2 per 3600 s" in response.json()["error"]["message"]
    assert AuditRecord.objects.filter(action="export").count() == 2
    # The command is not limited. (Into a FIFO-like special file it writes, never renames over it.)
    call_command("export_layer", "places", "-o", str(tmp_path / "places.csv"), "--format", "csv", verbosity=0)
    assert (tmp_path / "places.csv").stat().st_size > 0


def test_export_into_a_device_writes_into_it_and_leaves_it_a_device(county, tmp_path):
    """`export_layer -o /dev/null` once replaced the machine's /dev/null with a file; a private null
    device node stands in for it here, so a regression cannot harm the machine again."""
    import os
    import stat

    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    call_command("export_layer", "places", "-o", str(node), "--format", "csv", verbosity=0)
    assert stat.S_ISCHR(node.stat().st_mode)


def test_catalog_lists_layers_columns_and_formats(client, county, analyst_key):
    body = client.get("/api/export/", HTTP_AUTHORIZATION=f"Bearer {analyst_key}").json()
    assert [layer["id"] for layer in body["layers"]] == list(REGISTRY)
    incidents = next(layer for layer in body["layers"] if layer["id"] == "incidents")
    assert "reporter_name" not in {c["name"] for c in incidents["columns"]}
    assert {"class", "status", "since", "until", "bbox", "area"} <= set(incidents["filters"])
    assert [f["id"] for f in body["formats"]] == ["geojson", "gpkg", "shp", "fgb", "csv"]

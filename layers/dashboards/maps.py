"""Dashboard maps: plain functions from data to a folium.Map.

Heavy layers (outlines, workload, incidents, places, buildings) are Leaflet.VectorGrid layers over
Gridmap's own tile endpoint, so a county with thousands of grids and a million incidents costs the
page nothing; the heat map is a few thousand weighted points (one per grid); area names are a compact
inline list. Styles and popups live in static/dashboards/map.js.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import Element
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.plugins import HeatMap, VectorGridProtobuf
from folium.template import Template

from layers.dashboards import assets, basemap

MAX_ZOOM = 18
# Layers and the zoom from which they are requested (the tile layers' own minzoom).
# Places from z13 rather than the tiles' z10: thousands of cameras would blanket a county view.
MIN_ZOOMS = {"places": 13, "buildings": 15, "tracks": 14}
# Stacking of the vector layers: the workload fill hides the grids layer but not the upper-level outlines,
# and catches clicks when shown; points on top.
Z_INDEX = {"grids": 3, "coverage": 3.8, "people": 3.9, "workload": 4, "outlines": 4.5, "incidents": 5, "places": 6,
           "tracks": 6.5, "buildings": 7}


POPUP_CAMERAS = 5  # cameras listed in an incident's popup (nearest first, within the API's default radius)


@dataclass(frozen=True)
class MapSpec:
    """Everything a dashboard map shows; built by the views, rendered by `build`."""

    bounds: tuple[float, float, float, float]  # west, south, east, north
    text: dict[str, str]
    tile_query: str = ""  # since/until/class for the incident and workload tiles
    area: str = ""  # restrict the tiles to this unit (drill-down pages)
    token: str = ""  # an API token the page was opened with, passed on to the tiles
    heat: list[list[float]] = field(default_factory=list)  # [lat, lon, weight]
    heat_spacing: float = 1000.0  # typical distance between grids' points, metres
    labels: list[list] = field(default_factory=list)  # [lat, lon, name, level, code]
    layers: tuple[str, ...] = ("grids", "heat", "incidents", "workload", "people", "coverage", "tracks", "places",
                               "buildings", "labels")
    show: frozenset[str] = frozenset({"grids", "heat", "places", "buildings", "labels"})
    routes: dict[str, str] = field(default_factory=dict)  # level → page URL with CODE for the code
    scope: str = ""  # codes the caller may open (prefix)
    load_breaks: tuple[float, ...] = (1, 2, 4, 8, 16)  # open-per-worker colour classes
    figure_names: tuple[tuple[str, str], ...] = ()  # (property, label) shown in area popups
    wall: dict | None = None  # the live wall's options (gridmap.wall in map.js); None: a page without it
    overlays: tuple[tuple[str, str], ...] = ()  # (name, GeoJSON url) offered by panels, off by default
    personal: bool = False  # the caller has the personal-data right: the patrol tracks layer is offered
    patrols: bool = True  # the coverage and tracks layers are offered (not to department accounts: their tiles refuse)


class _Script(folium.MacroElement):
    """A snippet of script run after the map and the layers added before it exist. Its text passes
    through branca's Jinja rendering, so it must carry no user data (see _Verbatim)."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "GridmapScript"
        self.code = code


class _Verbatim(Element):
    """Script text added to the figure as it is. Branca compiles every rendered snippet as a Jinja
    template, which for kilobytes of inline data costs more than the rest of the page, and would
    evaluate any "{{" in an area's name."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _VerbatimScript(folium.MacroElement):
    """A line of script run after the map exists, emitted verbatim: unlike _Script it may carry names
    (class labels), which must not pass through Jinja."""

    _template = Template("")

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "GridmapVerbatim"
        self.code = code

    def render(self, **kwargs) -> None:
        self.get_root().script.add_child(_Verbatim(self.code), name=self.get_name())
        super().render(**kwargs)


class _DataLayer(JSCSSMixin, Layer):
    """A layer built by one line of script over inline data, emitted verbatim (see _Verbatim)."""

    _template = Template("")

    def __init__(self, name: str, show: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)

    def script(self) -> str:
        raise NotImplementedError

    def render(self, **kwargs) -> None:
        # Before super().render(), which adds the layer to the map: the variable must exist by then.
        self.get_root().script.add_child(_Verbatim(f"var {self.get_name()} = {self.script()};"), name=self.get_name())
        super().render(**kwargs)


class AreaLabels(_DataLayer):
    """Area names as a layer of the layer control, drawn by gridmap.labelLayer (map.js)."""

    def __init__(self, rows: list[list], name: str, show: bool = True) -> None:
        super().__init__(name, show)
        self._name = "AreaLabels"
        self.rows = rows

    def script(self) -> str:
        return f"gridmap.labelLayer({self._parent.get_name()}, {script_json(self.rows)})"


class WeightedHeat(_DataLayer):
    """Leaflet.heat over [lat, lon, weight] points: folium's HeatMap, without re-validating every point
    in Python (the points come from PostGIS) and without compiling them as a template."""

    default_js = HeatMap.default_js

    def __init__(self, points: list[list[float]], name: str, show: bool = True, **options) -> None:
        super().__init__(name, show)
        self._name = "HeatMap"
        self.points = points
        self.options = options

    def script(self) -> str:
        return f"L.heatLayer({script_json(self.points)}, {script_json(self.options)})"


class RemoteGeoJSON(_DataLayer):
    """A GeoJSON layer fetched from a same-origin URL the first time it is switched on
    (gridmap.remoteLayer): a panel's overlay (sections.py) costs the page nothing until chosen."""

    def __init__(self, url: str, name: str, show: bool = False) -> None:
        super().__init__(name, show)
        self._name = "RemoteGeoJSON"
        self.url = url

    def script(self) -> str:
        return f"gridmap.remoteLayer({script_json(self.url)})"


def script_json(value) -> str:
    """Compact JSON, safe inside <script>, with Chinese kept as UTF-8 (half the bytes of \\u escapes)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char in "<>&":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def tile_url(layer: str, spec: MapSpec, filtered: bool, area: bool = True) -> str:
    """A relative tile URL template: same origin, so the browser sends the session cookie."""
    params = [spec.tile_query] if filtered and spec.tile_query else []
    if area and spec.area:
        params.append(f"area={spec.area}")
    if spec.token:
        params.append(f"token={spec.token}")
    query = "&".join(p for p in params if p)
    return f"/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf" + (f"?{query}" if query else "")


def _vector_options(layer: str, style_js: str, interactive: bool, **extra) -> str:
    options = {"interactive": interactive, "maxNativeZoom": MAX_ZOOM, "maxZoom": MAX_ZOOM,
               "minZoom": MIN_ZOOMS.get(layer, 0), "zIndex": Z_INDEX[layer], **extra}
    # A JS object literal: the style is a function, which a dict cannot carry.
    return json.dumps(options)[:-1] + f', "vectorTileLayerStyles": {{"{layer}": {style_js}}}}}'


def vector_layer(parent: folium.Map | folium.FeatureGroup, layer: str, spec: MapSpec, *, name: str, style_js: str,
                 filtered: bool = False, interactive: bool = False, area: bool = True,
                 **extra) -> VectorGridProtobuf:
    control = isinstance(parent, folium.Map)
    vg = VectorGridProtobuf(tile_url(layer, spec, filtered, area), name=name,
                            options=_vector_options(layer, style_js, interactive, **extra), overlay=True,
                            control=control, show=layer in spec.show or not control)
    vg.add_to(parent)
    if interactive:
        popup_options = {"routes": spec.routes, "text": {"open": spec.text["open_page"],
                                                         "building": spec.text["building"],
                                                         "count": spec.text["intake"]},
                         "figures": [list(pair) for pair in spec.figure_names]}
        if layer == "incidents":  # an incident point's popup lists the nearest cameras (field: issue 19)
            popup_options["cameras"] = {
                "url": f"/api/incidents/ID/cameras?limit={POPUP_CAMERAS}"
                       + (f"&token={spec.token}" if spec.token else ""),
                "title": spec.text["cameras_near"], "none": spec.text["cameras_none"]}
        scope = json.dumps(spec.scope)
        parent.add_child(_Script(
            f"gridmap.bindPopups({vg.get_name()}, {_map_name(parent)}, Object.assign({json.dumps(popup_options)}, "
            f"{{linkable: function (code) {{ return code.indexOf({scope}) === 0; }}}}));"))
    return vg


def _map_name(element: folium.MacroElement) -> str:
    while not isinstance(element, folium.Map):
        element = element._parent
    return element.get_name()


def outlines(m: folium.Map, spec: MapSpec) -> folium.FeatureGroup:
    """Area boundaries: the tiles draw one level per zoom (townships to z9, villages z10-11, grids from
    z12); two more layers of overzoomed z9 and z11 tiles keep township and village outlines on top of
    the grids. Those two carry no area filter, so a drill-down page shows its neighbours' outlines."""
    group = folium.FeatureGroup(name=spec.text["layer_grids"], show="grids" in spec.show).add_to(m)
    vector_layer(group, "grids", spec, name="grids", style_js="gridmap.styles.grids", interactive=True)
    # (name, levels, native zoom, shown from, shown up to): past "up to" the low-zoom geometry is too coarse
    # to sit on the grids' lines, and the grid outlines tell the story alone.
    for name, levels, native, lowest, highest in (("villages", [3], 11, 12, 16), ("townships", [1, 2], 9, 10, 14)):
        layer = vector_layer(group, "grids", spec, name=name, area=False,
                             style_js=f"gridmap.styles.outline({json.dumps(levels)}, {m.get_name()})",
                             maxNativeZoom=native, minZoom=lowest, maxZoom=highest,
                             zIndex=Z_INDEX["outlines"] + (0.1 if native == 9 else 0))
        group.add_child(_Script(f"gridmap.keepStrokes({layer.get_name()}, {m.get_name()});"))
    return group


def grid_spacing(bounds: tuple[float, float, float, float], grids: int) -> float:
    """Typical distance between neighbouring grids, in metres, from the unit's extent and grid count."""
    west, south, east, north = bounds
    width = (east - west) * 111_320 * math.cos(math.radians((south + north) / 2))
    height = (north - south) * 110_540
    return math.sqrt(width * height / max(grids, 1))


def _nice(value: float) -> float:
    """Round up to 1, 2 or 5 times a power of ten, so legend classes read as round numbers."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def load_breaks(open_count: int, workers: int) -> tuple[float, ...]:
    """Colour classes of open incidents per worker around the unit's own average, so a quiet day and a
    busy year both spread over the scale."""
    average = open_count / workers if workers else 0
    base = _nice(average / 2) if average else 1.0
    return tuple(round(base * m, 6) for m in (1, 2, 3, 4, 6))


def heat_points(labels: list[list], counts: dict[str, int]) -> list[list[float]]:
    """Each basic grid's label point weighted by its incidents. The heat layer scales colours to its
    hottest spot, so one outlier grid would wash out the county: weights are capped at the 95th
    percentile (when there are enough grids for a percentile to mean something)."""
    heat = [[lat, lon, counts[code]] for lat, lon, _, level, code in labels if level == 4 and counts.get(code)]
    if len(heat) >= 20:
        cap = sorted(w for _, _, w in heat)[int(0.95 * (len(heat) - 1))]
        heat = [[lat, lon, min(w, cap)] for lat, lon, w in heat]
    return heat


# ------------------------------------------------------------------------------------------ the layers

@dataclass(frozen=True)
class MapLayer:
    """One layer of the dashboard map, declared once: how it is added and what the legend says of it.

    `add(m, spec)` adds the layer and returns the Leaflet layer (a folium element; None: the layer is not
    for this caller, as the tracks without the personal-data right) whose presence on the map decides
    whether its legend part shows, so the legend follows the layer switcher: switch the
    people layer on and the density classes appear, switch the workload off and its classes go.
    `legend(spec)` is that part's HTML (None: the layer has nothing to explain). A new layer is one
    `register_layer()` call and brings its legend with it; `build()` adds the registered layers named in
    `spec.layers`, in registration order. The HTML must carry only the page's own text (no user data)."""

    key: str
    add: Callable[[folium.Map, MapSpec], Any]
    legend: Callable[[MapSpec], str] | None = None
    after_overlays: bool = False  # added after the panels' overlays (the names, on top of everything)


LAYERS: dict[str, MapLayer] = {}


def register_layer(layer: MapLayer) -> MapLayer:
    LAYERS[layer.key] = layer
    return layer


# Residents per km² (the people choropleth): the classes' upper bounds and colours, here once; the style in
# map.js and the legend both read them.
DENSITY_BREAKS = (50, 100, 200, 500, 1000, 2000)
DENSITY_COLORS = ("#f1eef6", "#d4b9da", "#c994c7", "#df65b0", "#e7298a", "#ce1256", "#91003f")
LOAD_COLORS = ("#fff5d6", "#fddc8a", "#fdae61", "#f46d43", "#d73027", "#8e0c1f")
NO_DATA = "#d9d9d9"
# Patrol coverage (issue 19): the share of an area's buildings passed within 30 m, in classes.
COVERAGE_BREAKS = (0.2, 0.4, 0.6, 0.8)
COVERAGE_COLORS = ("#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")


def _classes(colors: tuple[str, ...], breaks: tuple[float, ...], first: str = "0", fmt: str = "g") -> str:
    edges = [first, *[format(b, fmt) for b in breaks]]
    return "".join(f"<i style='background:{c}'></i>{edges[i]}{'–' + edges[i + 1] if i + 1 < len(edges) else '+'}<br>"
                   for i, c in enumerate(colors))


def _legend_grids(spec: MapSpec) -> str:
    t = spec.text
    return "".join(f"<span class='gm-line gm-l{level}'></span>{t[name]}<br>"
                   for level, name in ((2, "township"), (3, "village"), (4, "grid"), (5, "dedicated")))


def _legend_workload(spec: MapSpec) -> str:
    t = spec.text
    return (f"<div class='gm-load'>{t['legend_load']}<br>{_classes(LOAD_COLORS, spec.load_breaks)}"
            f"<i style='background:{NO_DATA}'></i>{t['legend_no_workers']}<br><i class='gm-late'></i>"
            f"{t['legend_overdue']}</div>")


def _legend_people(spec: MapSpec) -> str:
    t = spec.text
    return (f"<div class='gm-load'>{t['layer_people']}:<br>{_classes(DENSITY_COLORS, DENSITY_BREAKS)}"
            f"<i style='background:{NO_DATA}'></i>{t['legend_no_residents']}</div>")


def _legend_coverage(spec: MapSpec) -> str:
    t = spec.text
    return (f"<div class='gm-load'>{t['layer_coverage']}:<br>{_classes(COVERAGE_COLORS, COVERAGE_BREAKS, fmt='.0%')}"
            f"<i style='background:{NO_DATA}'></i>{t['legend_no_buildings']}</div>")


def _legend_incidents(spec: MapSpec) -> str:
    t = spec.text
    return (f"<span class='gm-dot gm-incident'></span>{t['layer_incidents']} "
            f"<span class='gm-dot gm-incident-late'></span>{t['legend_overdue']}<br>")


def _add_workload(m: folium.Map, spec: MapSpec):
    breaks = json.dumps(list(spec.load_breaks))
    return vector_layer(m, "workload", spec, name=spec.text["layer_workload"],
                        style_js=f"gridmap.styles.workload({breaks})", filtered=True, interactive=True)


def _add_people(m: folium.Map, spec: MapSpec):
    # Residents per km² (the people tiles carry counts only; issue 18), off until chosen.
    style = f"gridmap.styles.people({json.dumps(list(DENSITY_BREAKS))}, {json.dumps(list(DENSITY_COLORS))})"
    return vector_layer(m, "people", spec, name=spec.text["layer_people"], style_js=style, interactive=True)


def _add_coverage(m: folium.Map, spec: MapSpec):
    # Patrol coverage of the last 7 days (issue 19): share of the buildings passed within 30 m.
    if not spec.patrols:
        return None
    style = f"gridmap.styles.coverage({json.dumps(list(COVERAGE_BREAKS))}, {json.dumps(list(COVERAGE_COLORS))})"
    return vector_layer(m, "coverage", spec, name=spec.text["layer_coverage"], style_js=style, interactive=True)


def _add_tracks(m: folium.Map, spec: MapSpec):
    # The tracks are personal data: offered only to the personal-data right (the tiles refuse others).
    if not spec.personal or not spec.patrols:
        return None
    return vector_layer(m, "tracks", spec, name=spec.text["layer_tracks"], style_js="gridmap.styles.tracks")


def _add_heat(m: folium.Map, spec: MapSpec):
    # Radius and blur are set from the grids' spacing on screen by gridmap.adaptHeat; the heat plugin
    # scales intensities to the hottest spot itself.
    heat = WeightedHeat(spec.heat, name=spec.text["layer_heat"], show="heat" in spec.show, radius=22, blur=18,
                        minOpacity=0.25, maxZoom=13).add_to(m)
    m.add_child(_Script(f"gridmap.adaptHeat({heat.get_name()}, {m.get_name()}, {spec.heat_spacing:.0f});"))
    return heat


def _add_labels(m: folium.Map, spec: MapSpec):
    return AreaLabels(spec.labels, name=spec.text["layer_labels"], show="labels" in spec.show).add_to(m)


def _points(layer: str, style: str, text_key: str):
    def add(m: folium.Map, spec: MapSpec):
        return vector_layer(m, layer, spec, name=spec.text[text_key], style_js=style,
                            filtered=layer == "incidents", interactive=True)
    return add


def _dots(*pairs: tuple[str, str]) -> Callable[[MapSpec], str]:
    def legend(spec: MapSpec) -> str:
        return " ".join(f"<span class='gm-dot gm-{kind}'></span>{spec.text[key]}" for kind, key in pairs) + "<br>"
    return legend


# The order is the stacking order of additions (and of the layer switcher's list).
register_layer(MapLayer("workload", _add_workload, _legend_workload))
register_layer(MapLayer("people", _add_people, _legend_people))
register_layer(MapLayer("coverage", _add_coverage, _legend_coverage))
register_layer(MapLayer("grids", outlines, _legend_grids))
register_layer(MapLayer("heat", _add_heat, lambda spec: f"<span class='gm-heat'></span>{spec.text['legend_heat']}<br>"))
register_layer(MapLayer("incidents", _points("incidents", "gridmap.styles.incidents", "layer_incidents"),
                        _legend_incidents))
register_layer(MapLayer("places", _points("places", "gridmap.styles.places", "layer_places"),
                        _dots(("camera", "camera"), ("place", "place"))))
register_layer(MapLayer("buildings", _points("buildings", "gridmap.styles.buildings", "layer_buildings"),
                        _dots(("building", "building"))))
register_layer(MapLayer("tracks", _add_tracks,
                        lambda spec: f"<span class='gm-line gm-track'></span>{spec.text['layer_tracks']}<br>"))
register_layer(MapLayer("labels", _add_labels, None, after_overlays=True))


def legend_parts(spec: MapSpec) -> list[tuple[str, str]]:
    """(layer key, legend HTML) of the spec's registered layers that have a legend, in order."""
    return [(key, layer.legend(spec)) for key, layer in LAYERS.items()
            if key in spec.layers and layer.legend is not None]


def legend_html(spec: MapSpec) -> str:
    """The legend: a title and one part per layer (data-layer names it); map.js shows the parts whose layer
    is on the map."""
    parts = "".join(f"<div class='gm-legend-part' data-layer='{key}'>{html}</div>" for key, html in legend_parts(spec))
    return f"<b>{spec.text['legend']}</b><br>{parts}"


def build(spec: MapSpec) -> folium.Map:
    """The dashboard map for a spec: basemap (if any), the registered layers it names, the panels' overlays,
    the legend (following the layer switcher), layer control, bounds."""
    west, south, east, north = spec.bounds
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=10, tiles=None,
                   control_scale=True, max_zoom=MAX_ZOOM, min_zoom=4, zoom_snap=0.5)
    basemap.add_basemap(m)
    added: dict[str, str] = {}
    chosen = [layer for key, layer in LAYERS.items() if key in spec.layers]
    for layer in (layer for layer in chosen if not layer.after_overlays):
        if (leaflet := layer.add(m, spec)) is not None:  # None: not for this caller (the tracks)
            added[layer.key] = leaflet.get_name()
    for name, url in spec.overlays:
        RemoteGeoJSON(url, name=name).add_to(m)
    for layer in (layer for layer in chosen if layer.after_overlays):
        added[layer.key] = layer.add(m, spec).get_name()
    # {layer key: the Leaflet layer's variable}: names generated by folium, no user data.
    watched = "{" + ", ".join(f"{json.dumps(key)}: {name}" for key, name in added.items()
                              if LAYERS[key].legend is not None) + "}"
    m.add_child(_Script(f"gridmap.legend({m.get_name()}, {json.dumps(legend_html(spec), ensure_ascii=False)}, "
                        f"{watched});"))
    if spec.wall is not None:
        m.add_child(_VerbatimScript(f"gridmap.wall({m.get_name()}, {script_json(spec.wall)});"))
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    assets.localize(m)
    return m


def render(m: folium.Map) -> dict[str, str]:
    """The map's three parts for a Django template: head (links, styles), body (the map div), script."""
    figure = m.get_root()
    figure.render()
    return {"head": figure.header.render(), "body": figure.html.render(), "script": figure.script.render()}

"""The planner page: a Folium map where a planner redraws a grid, previews the change and commits it.

The grid's boundary sits in Leaflet.draw's edit layer: edit its vertices, or draw a new shape (it
replaces the old one). "Preview" posts the shape to /api/areas/<code>/redraw/preview and shows the
result on the map (gained area green, lost area red, problems orange, the neighbours' new edges
dashed) and in numbers; "Commit" posts the same to .../commit once a preview showed no gap or overlap.

Works with no internet: Leaflet and Leaflet.draw come from the app's vendored files (geo/assets.py,
as the dashboards), and the background is the dashboards' basemap (geo/basemap.py: none by default).
The panel's text goes through Django's gettext: zh-Hans by default, English when the interface
language is English.
"""

from __future__ import annotations

import html
import json

import folium
from branca.element import MacroElement
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from folium.plugins import Draw
from folium.template import Template

from geo import assets, basemap
from geo.access import Access
from grids import areas, changes
from grids.models import Area, get_area

PANEL = Template("""
{% macro html(this, kwargs) %}
<div id="planner" style="position:absolute;top:10px;right:10px;z-index:1000;width:330px;max-height:95%;
     overflow:auto;background:#fff;padding:8px 10px;font:13px sans-serif;border-radius:4px;
     box-shadow:0 1px 4px rgba(0,0,0,.4)">
  <b>{{ this.grid.code }} {{ this.grid.name|e }}</b>
  <div style="color:#555">{{ this.counts_text|e }}</div>
  <p style="margin:4px 0">{{ this.text.intro|e }}</p>
  <label><input type="checkbox" id="gained_from" checked> {{ this.text.gained_from|e }}</label><br>
  <label>{{ this.text.lost_to|e }} <select id="lost_to"><option value="">{{ this.text.nobody|e }}</option>
    {% for n in this.neighbours %}<option value="{{ n.code }}">{{ n.code }} {{ n.name|e }}</option>{% endfor %}
  </select></label><br>
  <label>{{ this.text.snap|e }}
    <input id="snap_m" type="number" value="2" min="0" max="50" style="width:4em"> {{ this.text.metres|e }}</label><br>
  <label>{{ this.text.valid_from|e }} <input id="valid_from" type="date"></label><br>
  <label>{{ this.text.reason|e }} <input id="reason" style="width:95%" placeholder="{{ this.text.reason_hint|e }}">
  </label><br>
  <button id="preview">{{ this.text.preview|e }}</button> <button id="commit" disabled>{{ this.text.commit|e }}</button>
  <div id="result" style="margin-top:6px"></div>
</div>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }}, edit = {{ this.group.get_name() }};
  var cfg = {{ this.config|tojson }}, t = cfg.text;
  L.geoJSON(cfg.boundary).eachLayer(function (l) { edit.addLayer(l); });
  map.on('draw:created', function (e) {
    edit.eachLayer(function (l) { if (l !== e.layer) { edit.removeLayer(l); } });
  });
  var shown = L.layerGroup().addTo(map), last = null;
  function $(id) { return document.getElementById(id); }
  function boundary() {
    var polys = [];
    edit.eachLayer(function (l) {
      var g = l.toGeoJSON().geometry;
      if (g.type === 'Polygon') { polys.push(g.coordinates); }
      if (g.type === 'MultiPolygon') { polys = polys.concat(g.coordinates); }
    });
    return {type: 'MultiPolygon', coordinates: polys};
  }
  function body() {
    var b = {boundary: boundary(), gained_from: $('gained_from').checked ? 'neighbours' : null,
             lost_to: $('lost_to').value || null, snap_m: parseFloat($('snap_m').value || '0'),
             reason: $('reason').value};
    if ($('valid_from').value) { b.valid_from = $('valid_from').value; }
    return b;
  }
  function post(url) {
    return fetch(url, {method: 'POST', credentials: 'same-origin', body: JSON.stringify(body()),
                       headers: {'Content-Type': 'application/json', 'X-CSRFToken': cfg.csrf}})
      .then(function (r) { return r.json().then(function (j) { return {status: r.status, json: j}; }); });
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; });
  }
  function fill(s, v) { return s.replace(/%\\((\\w+)\\)s/g, function (_, k) { return v[k]; }); }
  function m2(x) { return x == null ? '-' : Math.round(x).toLocaleString() + ' m²'; }
  function show(r) {
    shown.clearLayers();
    if (r.status !== 200) {
      var err = r.json.error || {};
      $('result').innerHTML = '<b style="color:#b00">' + r.status + '</b> ' + esc(err.message || '');
      ((err.detail || {}).problems || []).forEach(function (p) {
        L.geoJSON(p.geometry, {style: {color: '#f80', weight: 2}}).addTo(shown); });
      $('commit').disabled = true; return;
    }
    var j = r.json, lines = [];
    L.geoJSON(j.gained.geometry || [], {style: {color: '#0a0', weight: 1, fillOpacity: 0.4}}).addTo(shown);
    L.geoJSON(j.lost.geometry || [], {style: {color: '#d00', weight: 1, fillOpacity: 0.4}}).addTo(shown);
    j.changes.forEach(function (c) {
      if (c.role === 'neighbour') {
        L.geoJSON(c.after, {style: {color: '#333', dashArray: '4', fill: false}}).addTo(shown);
      }
    });
    j.problems.forEach(function (p) { L.geoJSON(p.geometry, {style: {color: '#f80', weight: 3}}).addTo(shown); });
    lines.push(fill(t.gained_lost, {gained: m2(j.gained.area_m2), lost: m2(j.lost.area_m2)}));
    lines.push(t.neighbours_changed + ' ' + esc(j.neighbours_affected.join(', ') || t.none));
    Object.keys(j.moves).forEach(function (k) {
      var m = j.moves[k];
      lines.push(esc(t.kinds[k] || k) + ' ' + t.changing_grid + ' ' + m.count +
                 (m.stranded ? ' (' + fill(t.stranded, {n: m.stranded}) + ')' : ''));
    });
    lines.push(t.workers_affected + ' ' + j.workers.length);
    j.problems.forEach(function (p) {
      lines.push('<span style="color:#c60">' + esc(t.problems[p.kind] || p.kind) + ' (' +
                 esc(t.problems[p.of] || p.of) + ') ' + m2(p.area_m2) + ' ' + esc(p.codes.join(' ')) + '</span>');
    });
    lines.push(j.committed ? '<b style="color:#080">' + t.committed + '</b>' :
               (j.can_commit ? t.may_commit : '<b style="color:#b00">' + t.fix_first + '</b>'));
    $('result').innerHTML = lines.join('<br>');
    $('commit').disabled = j.committed || !j.can_commit;
    if (j.committed) { setTimeout(function () { window.location.reload(); }, 1500); }
  }
  $('preview').onclick = function () { post(cfg.preview).then(show); };
  $('commit').onclick = function () { $('commit').disabled = true; post(cfg.commit).then(show); };
})();
{% endmacro %}
""")


DRAW_LOCAL = Template("""
{% macro script(this, kwargs) %}
(function merge(into, from) {
  Object.keys(from).forEach(function (k) {
    if (typeof from[k] === 'object') { merge(into[k], from[k]); } else { into[k] = from[k]; }
  });
})(L.drawLocal, {{ this.text|tojson }});
{% endmacro %}
""")


class DrawText(MacroElement):
    """Leaflet.draw's toolbar and tooltips in the interface language: merged into L.drawLocal before
    the Draw control is built (it reads the texts when it creates its buttons)."""

    _template = DRAW_LOCAL

    def __init__(self) -> None:
        super().__init__()
        self._name = "DrawText"
        cancel = {"title": _("Cancel drawing"), "text": _("Cancel")}
        self.text = {
            "draw": {
                "toolbar": {
                    "actions": cancel,
                    "finish": {"title": _("Finish drawing"), "text": _("Finish")},
                    "undo": {"title": _("Delete last point drawn"), "text": _("Delete last point")},
                    "buttons": {"polygon": _("Draw a polygon"), "rectangle": _("Draw a rectangle")},
                },
                "handlers": {
                    "polygon": {"tooltip": {"start": _("Click to start drawing shape."),
                                            "cont": _("Click to continue drawing shape."),
                                            "end": _("Click first point to close this shape.")}},
                    "polyline": {"error": _("<strong>Error:</strong> shape edges cannot cross!")},
                    "rectangle": {"tooltip": {"start": _("Click and drag to draw rectangle.")}},
                    "simpleshape": {"tooltip": {"end": _("Release mouse to finish drawing.")}},
                },
            },
            "edit": {
                "toolbar": {
                    "actions": {"save": {"title": _("Save changes"), "text": _("Save")},
                                "cancel": {"title": _("Cancel editing, discards all changes"), "text": _("Cancel")},
                                "clearAll": {"title": _("Clear all layers"), "text": _("Clear All")}},
                    "buttons": {"edit": _("Edit layers"), "editDisabled": _("No layers to edit"),
                                "remove": _("Delete layers"), "removeDisabled": _("No layers to delete")},
                },
                "handlers": {
                    "edit": {"tooltip": {"text": _("Drag handles or markers to edit features."),
                                         "subtext": _("Click cancel to undo changes.")}},
                    "remove": {"tooltip": {"text": _("Click on a feature to remove.")}},
                },
            },
        }


class PlannerPanel(MacroElement):
    """The form, the buttons and the script that talks to the redraw endpoints."""

    _template = PANEL

    def __init__(self, grid: Area, group: folium.FeatureGroup, neighbours: list[Area], counts_text: str,
                 config: dict, text: dict) -> None:
        super().__init__()
        self._name = "PlannerPanel"
        self.grid = grid
        self.group = group
        self.neighbours = neighbours
        self.counts_text = counts_text
        self.config = config
        self.text = text


def safe_text(text: str) -> str:
    """Text for a Leaflet tooltip, which folium puts in a JavaScript template literal unescaped."""
    return html.escape(text).replace("`", "&#96;").replace("$", "&#36;")


def panel_text() -> dict:
    """The panel's words in the active language (translated at request time, not at import)."""
    return {
        "intro": _("Edit the blue boundary, or draw a new shape (it replaces it). Then preview."),
        "gained_from": _("take gained area from the neighbours"),
        "lost_to": _("hand lost area to"),
        "nobody": _("(nobody: a gap)"),
        "snap": _("snap to edges within"),
        "metres": pgettext("snap distance unit, after the number", "m"),
        "valid_from": _("valid from"),
        "reason": _("reason"),
        "reason_hint": _("why the boundary changes"),
        "preview": _("Preview"),
        "commit": _("Commit"),
        # Used by the script: %(name)s placeholders are filled in there.
        "gained_lost": _("gained %(gained)s, lost %(lost)s"),
        "neighbours_changed": _("neighbours changed:"),
        "none": _("none"),
        "changing_grid": _("changing grid:"),
        "stranded": _("%(n)s in no grid!"),
        "workers_affected": _("workers affected:"),
        "committed": _("committed"),
        "may_commit": _("no gap or overlap: you may commit"),
        "fix_first": _("fix the problems first"),
        "kinds": {"buildings": _("buildings"), "rooms": _("rooms"), "open_incidents": _("open incidents"),
                  "places": _("places"), "workers": _("workers")},
        # Coverage problems (grids/sql/change_problems.sql): the kind, and what it was before a small one
        # became a sliver.
        "problems": {"gap": _("gap"), "overlap": _("overlap"), "outside": _("outside the village"),
                     "sliver": _("sliver"), "part": _("small part")},
    }


def page(code: str, access: Access, request: HttpRequest) -> str:
    """The planner page's HTML for one basic grid in the caller's scope."""
    grid = changes.current_grid(get_area(code, access.scope), on=timezone.localdate())
    siblings = list(Area.objects.current().filter(parent_id=grid.parent_id, level=grid.level).exclude(code=grid.code))
    neighbours = [s for s in siblings if s.boundary.distance(grid.boundary) < 1e-7]
    xmin, ymin, xmax, ymax = grid.boundary.extent
    # tiles=None and the shared basemap: folium's own tiles= answers a 500 for "osm" or a 天地图 URL.
    fmap = folium.Map(tiles=None, control_scale=True)
    basemap.add_basemap(fmap)
    fmap.fit_bounds([[ymin, xmin], [ymax, xmax]])
    village = grid.parent
    folium.GeoJson(json.loads(village.boundary.json), name=village.code,
                   style_function=lambda f: {"color": "#000", "weight": 2, "fill": False}).add_to(fmap)
    for sibling in siblings:
        folium.GeoJson(json.loads(sibling.boundary.json), name=sibling.code,
                       tooltip=safe_text(f"{sibling.code} {sibling.name}"),
                       style_function=lambda f: {"color": "#777", "weight": 1, "fillOpacity": 0.05}).add_to(fmap)
    group = folium.FeatureGroup(name="edit").add_to(fmap)
    DrawText().add_to(fmap)
    Draw(feature_group=group, show_geometry_on_click=False,
         draw_options={"polyline": False, "circle": False, "marker": False, "circlemarker": False,
                       "polygon": {"allowIntersection": False}, "rectangle": True},
         edit_options={"poly": {"allowIntersection": False}}).add_to(fmap)
    text = panel_text()
    counts = areas.counts(grid)
    counts_text = ", ".join(f"{text['kinds'].get(k, k.replace('_', ' '))} {n}" for k, n in counts.items())
    PlannerPanel(grid, group, neighbours, counts_text, {
        "boundary": json.loads(grid.boundary.json), "csrf": get_token(request), "text": text,
        "preview": f"/api/areas/{grid.code}/redraw/preview", "commit": f"/api/areas/{grid.code}/redraw/commit",
    }, text).add_to(fmap)
    assets.localize(fmap)
    root = fmap.get_root()
    title = html.escape(_("Gridmap planner %(code)s") % {"code": grid.code})
    root.header.add_child(folium.Element(f"<title>{title}</title>"))
    return root.render().replace("<html>", f'<html lang="{get_language() or "zh-hans"}">', 1)

/* Gridmap dashboards: styles of the vector-tile layers, area labels, popups and the legend.
 *
 * Loaded by every dashboard page after Leaflet; the folium-generated script calls these functions.
 * Plain ES5-compatible JavaScript with no dependency besides Leaflet and Leaflet.VectorGrid, so that
 * the page works on the old browsers some command centers still run.
 */
(function () {
  "use strict";

  // Outlines by level: county and township bold and dark, villages lighter, grids hairlines,
  // dedicated grids dashed and brown. With no basemap these outlines are the map's only context.
  var LEVELS = {
    1: {color: "#1f2d3d", weight: 3.2},
    2: {color: "#2f4458", weight: 2.4},
    3: {color: "#50697f", weight: 1.5},
    4: {color: "#7f93a6", weight: 0.9},
    5: {color: "#a0522d", weight: 1.2, dashArray: "4 3"}
  };
  var LOAD_COLORS = ["#fff5d6", "#fddc8a", "#fdae61", "#f46d43", "#d73027", "#8e0c1f"];
  var PLACE_COLORS = {camera: "#1f6fd1", school: "#2e8b57", hospital: "#c2185b", market: "#8d6e63",
                      mediation_room: "#6a1b9a", service_station: "#00838f", police: "#283593"};

  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  function gridStyle(props) {
    var s = LEVELS[props.level] || LEVELS[4];
    // A transparent fill keeps the whole area clickable (the popup links down to its page).
    return {stroke: true, color: s.color, weight: s.weight, opacity: 0.95, dashArray: s.dashArray,
            fill: true, fillColor: "#ffffff", fillOpacity: 0};
  }

  function loadColor(value, breaks) {
    if (value === undefined || value === null) { return "#d9d9d9"; }
    for (var i = 0; i < breaks.length; i++) {
      if (value < breaks[i]) { return LOAD_COLORS[i]; }
    }
    return LOAD_COLORS[LOAD_COLORS.length - 1];
  }

  function workloadStyle(breaks) {
    return function (props) {
      var late = props.overdue > 0;
      return {fill: true, fillColor: loadColor(props.open_per_worker, breaks), fillOpacity: 0.72,
              stroke: true, color: late ? "#b30000" : "#8a8a8a", weight: late ? 1.6 : 0.5, opacity: 0.9};
    };
  }

  // The people choropleth (issue 18): residents per km² in classes (upper bounds `breaks`, one more colour
  // than bounds, both from layers/dashboards/maps.py, which draws the legend from the same two lists); an
  // area without residents is grey.
  function peopleStyle(breaks, colors) {
    return function (props) {
      var value = props.per_km2, color = "#d9d9d9";
      if (value !== undefined && value !== null && props.population > 0) {
        color = colors[colors.length - 1];
        for (var i = 0; i < breaks.length; i++) {
          if (value < breaks[i]) { color = colors[i]; break; }
        }
      }
      return {fill: true, fillColor: color, fillOpacity: 0.7, stroke: true, color: "#8a8a8a", weight: 0.5, opacity: 0.9};
    };
  }

  // Patrol coverage (issue 19): the share of an area's buildings passed within 30 m, in the classes the
  // page passes (layers/dashboards/maps.py COVERAGE_BREAKS, COVERAGE_COLORS: the legend reads the same);
  // no building, or no track, is grey.
  function coverageStyle(breaks, colors) {
    return function (props) {
      var value = props.share, color = "#d9d9d9";
      if (value !== undefined && value !== null && props.buildings > 0) {
        color = colors[colors.length - 1];
        for (var i = 0; i < breaks.length; i++) {
          if (value < breaks[i]) { color = colors[i]; break; }
        }
      }
      return {fill: true, fillColor: color, fillOpacity: 0.45, stroke: true, color: "#6b6b6b", weight: 0.6, opacity: 0.9};
    };
  }

  function trackStyle() {
    return {stroke: true, color: "#1f4fbf", weight: 2.2, opacity: 0.8, fill: false};
  }

  function incidentStyle(props) {
    // Area counts below the raw-point zoom, single incidents from it.
    var n = props.count;
    var late = n === undefined ? props.overdue === true || props.overdue === 1 : props.overdue > 0;
    var radius = n === undefined ? 4 : Math.min(22, 4 + 2.2 * Math.sqrt(n));
    return {radius: radius, fill: true, fillColor: late ? "#d7301f" : "#3b7dd8", fillOpacity: 0.75,
            stroke: true, color: "#ffffff", weight: 1};
  }

  // Outlines of the upper levels only, drawn from low-zoom tiles shown at higher zooms, so township
  // and village boundaries stay visible over the grids (an empty list hides a feature in VectorGrid).
  // Leaflet scales such tiles by 2^(map zoom - tile zoom), strokes included, so the width is divided
  // by that factor here and the layer is redrawn after each zoom (see keepStrokes).
  function outlineStyle(levels, map) {
    return function (props, tileZoom) {
      if (levels.indexOf(props.level) < 0) { return []; }
      var s = LEVELS[props.level], scale = Math.pow(2, map.getZoom() - tileZoom);
      return {stroke: true, color: s.color, weight: (s.weight + 0.8) / scale, opacity: 0.9, fill: false};
    };
  }

  function keepStrokes(layer, map) {
    var drawnAt = map.getZoom();
    map.on("zoomend", function () {
      var zoom = map.getZoom(), shown = Math.round(zoom);
      // Only where the layer shows: GridLayer.redraw() takes the unrounded zoom, and at a fractional
      // zoom outside the layer's range would ask for tiles such as z10.5.
      if (!map.hasLayer(layer) || zoom === drawnAt || shown < layer.options.minZoom || shown > layer.options.maxZoom) {
        return;
      }
      drawnAt = zoom;
      layer.redraw();
    });
  }

  function placeStyle(props) {
    return {radius: props.kind === "camera" ? 3.5 : 5, fill: true, fillOpacity: 0.9,
            fillColor: PLACE_COLORS[props.kind] || "#607d8b", stroke: true, color: "#ffffff", weight: 1};
  }

  function buildingStyle() {
    return {radius: 2.5, fill: true, fillColor: "#8c6d46", fillOpacity: 0.75, stroke: true,
            color: "#6b5234", weight: 0.6};
  }

  // Area names for the current zoom, larger areas first, skipping any name that would overlap one
  // already placed, and only those in view: a county's thousands of names stay cheap and legible.
  var LABEL_ZOOMS = {2: [0, 11], 3: [10, 14], 4: [12.5, 30], 5: [14, 30]};
  var LABEL_SIZES = {2: 16, 3: 13, 4: 11, 5: 11};

  var LabelLayer = L.Layer.extend({
    initialize: function (rows) {
      this._rows = rows.slice().sort(function (a, b) { return a[3] - b[3]; });
      this._markers = L.layerGroup();
    },
    onAdd: function (map) {
      this._markers.addTo(map);
      map.on("moveend zoomend", this._update, this);
      this._update();
    },
    onRemove: function (map) {
      map.off("moveend zoomend", this._update, this);
      this._markers.remove();
    },
    _update: function () {
      var map = this._map;
      if (!map) { return; }
      var zoom = map.getZoom(), view = map.getBounds().pad(0.1), placed = [];
      this._markers.clearLayers();
      for (var i = 0; i < this._rows.length && placed.length < 400; i++) {
        var r = this._rows[i];  // [lat, lon, name, level, code]
        var range = LABEL_ZOOMS[r[3]];
        if (!range || zoom < range[0] || zoom > range[1] || !view.contains([r[0], r[1]])) { continue; }
        var p = map.latLngToContainerPoint([r[0], r[1]]), size = LABEL_SIZES[r[3]];
        var box = {x0: p.x - r[2].length * size * 0.55, x1: p.x + r[2].length * size * 0.55,
                   y0: p.y - size * 0.7, y1: p.y + size * 0.7};
        var clash = placed.some(function (q) {
          return box.x0 < q.x1 && q.x0 < box.x1 && box.y0 < q.y1 && q.y0 < box.y1;
        });
        if (clash) { continue; }
        placed.push(box);
        L.marker([r[0], r[1]], {
          interactive: false, keyboard: false, pane: "gridmapLabels",
          icon: L.divIcon({className: "gm-label gm-label-" + r[3], html: escapeHtml(r[2]), iconSize: null})
        }).addTo(this._markers);
      }
    }
  });

  function labelLayer(map, rows) {
    if (!map.getPane("gridmapLabels")) {
      map.createPane("gridmapLabels").style.zIndex = 450;
    }
    return new LabelLayer(rows);
  }

  function fmt(value) { return value === undefined || value === null ? "—" : value; }

  // Popups: what the area is, its figures when the layer has them, and a link down to its page.
  function bindPopups(layer, map, opts) {
    layer.on("click", function (e) {
      var p = e.layer.properties || {};
      var html = "<div class='gm-popup'>";
      if (p.code !== undefined && p.name !== undefined) {
        html += "<b>" + escapeHtml(p.name) + "</b><br><span class='gm-code'>" + escapeHtml(p.code) + "</span>";
      } else if (p.address_code !== undefined) {
        html += "<b>" + escapeHtml(opts.text.building) + " " + escapeHtml(p.name) + "</b><br><span class='gm-code'>"
              + escapeHtml(p.address_code) + "</span>";
      } else {
        html += "<b>" + escapeHtml(p.name || p.kind) + "</b>";
      }
      if (p.intake !== undefined) {
        html += "<table>";
        opts.figures.forEach(function (f) { html += "<tr><td>" + escapeHtml(f[1]) + "</td><td>" + fmt(p[f[0]]) + "</td></tr>"; });
        html += "</table>";
      } else if (p.count !== undefined) {
        html += "<br>" + escapeHtml(opts.text.count) + " " + p.count;
      }
      var route = opts.routes[String(p.level || (p.code ? {9: 2, 12: 3, 15: 4, 16: 5}[String(p.code).length] : ""))];
      if (route && p.code && opts.linkable(String(p.code))) {
        html += "<br><a href='" + route.replace("CODE", encodeURIComponent(p.code)) + "'>" + escapeHtml(opts.text.open) + " →</a>";
      }
      var near = p.id !== undefined && p["class"] !== undefined && !p.cluster && opts.cameras;
      if (near) {
        html += "<div class='gm-cameras'>" + escapeHtml(opts.cameras.title) + " …</div>";
      }
      html += "</div>";
      var popup = L.popup().setLatLng(e.latlng).setContent(html).openOn(map);
      if (near) { nearestCameras(popup, html, p.id, opts.cameras); }
    });
  }

  // An incident point's popup lists the cameras nearest the matter in the caller's area, with their distance
  // (GET /api/incidents/<id>/cameras, the field app's), fetched when the popup opens.
  function nearestCameras(popup, html, id, opts) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", opts.url.replace("ID", encodeURIComponent(id)));
    xhr.setRequestHeader("Accept", "application/json");
    function show(inner) {
      popup.setContent(html.replace(/<div class='gm-cameras'>[^<]*<\/div>/, "<div class='gm-cameras'>" + inner + "</div>"));
    }
    xhr.onload = function () {
      if (xhr.status !== 200) { show(escapeHtml(opts.title) + ": —"); return; }
      var cams = JSON.parse(xhr.responseText).cameras || [];
      if (!cams.length) { show(escapeHtml(opts.title) + ": " + escapeHtml(opts.none)); return; }
      var rows = cams.map(function (c) {
        return "<tr><td>" + escapeHtml(c.name || c.code) + "</td><td class='gm-code'>" + escapeHtml(c.channel_id || c.code)
               + "</td><td>" + Math.round(c.distance_m) + " m</td></tr>";
      });
      show("<b>" + escapeHtml(opts.title) + "</b><table>" + rows.join("") + "</table>");
    };
    xhr.onerror = function () { show(escapeHtml(opts.title) + ": —"); };
    xhr.send();
  }

  // The heat map's points are grid label points, one per grid: a radius about the grids' spacing on
  // screen keeps neighbours from piling up into one saturated blob at county zoom, and keeps single
  // grids visible when zoomed in.
  function adaptHeat(layer, map, spacingMetres) {
    function update() {
      var lat = map.getCenter().lat * Math.PI / 180;
      var metresPerPixel = 40075016.686 * Math.cos(lat) / (256 * Math.pow(2, map.getZoom()));
      var radius = Math.max(8, Math.min(60, 0.6 * spacingMetres / metresPerPixel));
      layer.setOptions({radius: radius, blur: 0.8 * radius});
    }
    map.on("zoomend", update);
    update();
  }

  // A panel's overlay (layers/dashboards/sections.py), such as the month's early warnings: GeoJSON
  // fetched from its URL the first time the layer is switched on; each feature's popup lists its
  // sentences (or its name). Same origin, so the session cookie goes with it.
  function remoteLayer(url) {
    var layer = L.geoJSON(null, {
      // A feature may name its colour (the three-zero units: green three-zero, grey broken); else red.
      style: function (feature) {
        var colour = (feature && feature.properties && feature.properties.colour) || "#d50000";
        return {color: colour, weight: 3, fillColor: colour, fillOpacity: 0.25};
      },
      onEachFeature: function (feature, shape) {
        var p = feature.properties || {};
        var lines = (p.sentences || [p.name || ""]).map(function (s) { return escapeHtml(s); });
        shape.bindPopup("<div class='gm-popup'>" + lines.join("<br>") + "</div>");
      }
    });
    var loaded = false;
    layer.on("add", function () {
      if (loaded) { return; }
      loaded = true;
      var xhr = new XMLHttpRequest();
      xhr.open("GET", url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () {
        if (xhr.status === 200) { layer.addData(JSON.parse(xhr.responseText)); } else { loaded = false; }
      };
      xhr.onerror = function () { loaded = false; };
      xhr.send();
    });
    return layer;
  }

  // The legend: one part per layer (layers/dashboards/maps.py, data-layer names it), shown while its
  // layer is on the map, so the legend follows the layer switcher. `layers`: {key: Leaflet layer}.
  function legend(map, html, layers) {
    var control = L.control({position: "bottomleft"});
    var div = null;
    function follow() {
      if (!div) { return; }
      var shown = 0;
      Array.prototype.forEach.call(div.querySelectorAll(".gm-legend-part"), function (part) {
        var layer = (layers || {})[part.getAttribute("data-layer")];
        var on = !layer || map.hasLayer(layer);
        part.style.display = on ? "" : "none";
        if (on) { shown += 1; }
      });
      div.style.display = shown ? "" : "none";
    }
    control.onAdd = function () {
      div = L.DomUtil.create("div", "gm-legend");
      div.innerHTML = html;
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    control.addTo(map);
    map.on("layeradd layerremove", follow);
    follow();
    return control;
  }

  // The live wall (layers/dashboards/wall.py): poll /api/wall every few seconds, with the last cursor,
  // so that an unchanged answer is a bodiless 304; write the KPI cards' values into the page, list the
  // latest matters in the ticker (class, grid, time: the answer carries nothing personal), and pulse a
  // marker where each matter that appeared since the page opened lies. XMLHttpRequest rather than
  // fetch, for the old browsers some command centers run. A failed poll is retried at the next tick.
  var PULSE_MS = 60000;

  function wall(map, opts) {
    var ticker = document.querySelector(".gm-ticker");
    var cursor = "", seen = null, timer = null;
    var pulses = L.layerGroup().addTo(map);

    function clock(iso) {
      var d = new Date(iso), h = d.getHours(), m = d.getMinutes();
      return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
    }

    function showCards(cards) {
      cards.forEach(function (c) {
        var card = document.querySelector(".gm-kpi[data-kpi='" + c.key + "']");
        if (!card) { return; }
        var value = card.querySelector(".gm-kpi-value"), delta = card.querySelector(".gm-kpi-delta");
        var yoy = card.querySelector(".gm-kpi-delta[data-compare='year_before']");
        if (value.textContent !== c.value) {
          value.textContent = c.value;
          card.classList.remove("gm-changed");
          void card.offsetWidth;  // restart the highlight animation
          card.classList.add("gm-changed");
        }
        if (delta) {
          delta.className = "gm-kpi-delta " + c.tone;
          var arrow = delta.querySelector("span");
          if (arrow) { arrow.className = "gm-arrow-" + c.trend; arrow.textContent = c.delta; }
        }
        if (yoy && c.yoy_delta) {  // against the same period a year before (同比)
          yoy.className = "gm-kpi-delta " + c.yoy_tone;
          var yoyArrow = yoy.querySelector("span");
          if (yoyArrow) { yoyArrow.className = "gm-arrow-" + c.yoy_trend; yoyArrow.textContent = c.yoy_delta; }
        }
      });
    }

    function pulse(item) {
      var icon = L.divIcon({className: "gm-pulse gm-pulse-" + item.kind, iconSize: [22, 22], html: "<i></i>"});
      var marker = L.marker([item.lat, item.lon], {icon: icon, interactive: false, keyboard: false}).addTo(pulses);
      setTimeout(function () { pulses.removeLayer(marker); }, PULSE_MS);
    }

    function showItems(items) {
      var fresh = {};
      if (ticker) {
        var html = "";
        items.forEach(function (item) {
          var key = item.kind + ":" + item.id;
          var isNew = seen !== null && !seen[key];
          html += "<li class='gm-tick gm-tick-" + escapeHtml(item.kind) + (isNew ? " gm-tick-new" : "") + "' data-key='"
                + escapeHtml(key) + "'><time>" + escapeHtml(clock(item.at)) + "</time> <b>"
                + escapeHtml(opts.kinds[item.kind] || item.kind) + "</b> "
                + escapeHtml(opts.classes[item["class"]] || item["class"]) + " · " + escapeHtml(item.grid) + "</li>";
        });
        ticker.innerHTML = html || "<li class='gm-note'>" + escapeHtml(opts.empty) + "</li>";
      }
      items.forEach(function (item) {
        var key = item.kind + ":" + item.id;
        if (seen !== null && !seen[key]) { pulse(item); }
        fresh[key] = true;
      });
      // Keep what was seen before too: a matter that drops out of the list and back pulses only once.
      if (seen !== null) { for (var k in seen) { if (seen.hasOwnProperty(k)) { fresh[k] = true; } } }
      seen = fresh;
    }

    function poll() {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", opts.url + (cursor ? "&after=" + cursor : ""));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () {
        if (xhr.status === 200) {
          var answer = JSON.parse(xhr.responseText);
          cursor = answer.cursor;
          showCards(answer.cards);
          showItems(answer.items);
          document.body.setAttribute("data-wall-cursor", cursor);
        }
        schedule();
      };
      xhr.onerror = schedule;
      xhr.send();
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(poll, (opts.poll || 2) * 1000);
    }

    poll();
    return {poll: poll, pulses: pulses};
  }

  window.gridmap = {
    styles: {grids: gridStyle, outline: outlineStyle, workload: workloadStyle, incidents: incidentStyle, places: placeStyle,
             buildings: buildingStyle, people: peopleStyle, coverage: coverageStyle, tracks: trackStyle},
    loadColors: LOAD_COLORS,
    labelLayer: labelLayer,
    bindPopups: bindPopups,
    legend: legend,
    remoteLayer: remoteLayer,
    keepStrokes: keepStrokes,
    adaptHeat: adaptHeat,
    wall: wall,
    escapeHtml: escapeHtml
  };
}());

"""The report's map: the unit and its child units as vector shapes on the page, drawn from the database.

No tile server and no basemap: the shapes are PostGIS's (reports/sql/map_areas.sql), in Web Mercator
metres, scaled into the frame; the PDF holds them as vector paths, so the map prints sharp at any size.
The children are coloured by a measure (the safety index's band when there is one, else intake in five
quantile classes); the unit's outline is drawn over them, and each child is named at a point inside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import pgettext_lazy
from reportlab.graphics.shapes import Drawing, Path, Rect, String
from reportlab.lib import colors
from shapely.geometry.base import BaseGeometry

from reports.content import MapArea

# ColorBrewer YlOrRd, 5 classes: light for few incidents, dark red for many.
RAMP = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
NO_VALUE = "#e0e0e0"
BANDS = {"green": "#4daf4a", "amber": "#ffbf00", "red": "#e41a1c"}
BAND_LABELS = {"green": pgettext_lazy("index band", "green"), "amber": pgettext_lazy("index band", "amber"),
               "red": pgettext_lazy("index band", "red")}


def _rings(shape: BaseGeometry):
    for polygon in getattr(shape, "geoms", [shape]):
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        yield polygon.exterior.coords
        for hole in polygon.interiors:
            yield hole.coords


def breaks(values: Sequence[float], classes: int = len(RAMP)) -> list[float]:
    """Upper bounds of quantile classes over the values (ascending, distinct)."""
    ordered = sorted(values)
    if not ordered:
        return []
    cuts = [ordered[min(len(ordered) - 1, round(len(ordered) * (k + 1) / classes) - 1)] for k in range(classes)]
    return sorted(set(cuts))


def colour_of(value: float | str | None, cuts: list[float]) -> str:
    if value is None:
        return NO_VALUE
    if isinstance(value, str):
        return BANDS.get(value, NO_VALUE)
    for n, cut in enumerate(cuts):
        if value <= cut:
            return RAMP[round(n * (len(RAMP) - 1) / max(1, len(cuts) - 1))]
    return RAMP[-1]


def draw(areas: list[MapArea], width: float, height: float, font: str, legend_title: str) -> Drawing:
    """A Drawing of `width` × `height` points: the map over the top, its legend along the bottom."""
    drawing = Drawing(width, height)
    legend_h = 28
    map_h = height - legend_h
    drawing.add(Rect(0, legend_h, width, map_h, fillColor=colors.HexColor("#f7fbff"), strokeColor=colors.grey,
                     strokeWidth=0.5))
    if not areas:
        return drawing
    shapes = [a.shape for a in areas]
    xmin = min(s.bounds[0] for s in shapes)
    ymin = min(s.bounds[1] for s in shapes)
    xmax = max(s.bounds[2] for s in shapes)
    ymax = max(s.bounds[3] for s in shapes)
    pad = 8
    scale = min((width - 2 * pad) / max(xmax - xmin, 1), (map_h - 2 * pad) / max(ymax - ymin, 1))
    ox = (width - (xmax - xmin) * scale) / 2
    oy = legend_h + (map_h - (ymax - ymin) * scale) / 2

    def xy(x: float, y: float) -> tuple[float, float]:
        return ox + (x - xmin) * scale, oy + (y - ymin) * scale

    children = [a for a in areas if not a.is_unit] or areas
    numeric = [a.value for a in children if isinstance(a.value, int | float)]
    cuts = breaks(numeric)
    for area in children:
        path = Path(fillColor=colors.HexColor(colour_of(area.value, cuts)), strokeColor=colors.white,
                    strokeWidth=0.6, fillMode=0)  # even-odd: holes stay holes
        for ring in _rings(area.shape):
            points = [xy(x, y) for x, y in ring]
            path.moveTo(*points[0])
            for p in points[1:]:
                path.lineTo(*p)
            path.closePath()
        drawing.add(path)
    for area in areas:
        if area.is_unit:
            outline = Path(fillColor=None, strokeColor=colors.HexColor("#333333"), strokeWidth=1.4)
            for ring in _rings(area.shape):
                points = [xy(x, y) for x, y in ring]
                outline.moveTo(*points[0])
                for p in points[1:]:
                    outline.lineTo(*p)
                outline.closePath()
            drawing.add(outline)
    size = 7 if len(children) <= 30 else 5
    for area in children:
        x, y = xy(*area.label)
        drawing.add(String(x, y, area.name, fontName=font, fontSize=size, textAnchor="middle",
                           fillColor=colors.HexColor("#222222")))
    _legend(drawing, children, cuts, font, legend_title)
    return drawing


def _legend(drawing: Drawing, children: list[MapArea], cuts: list[float], font: str, title: str) -> None:
    drawing.add(String(0, 16, title, fontName=font, fontSize=8))
    x = 0.0
    if any(isinstance(a.value, str) for a in children):
        entries = [(BANDS[b], str(BAND_LABELS[b])) for b in ("green", "amber", "red")]
    else:
        lower = 0.0
        entries = []
        for cut in cuts:
            entries.append((colour_of(cut, cuts), f"{lower:,.0f}–{cut:,.0f}"))
            lower = cut + 1
    entries.append((NO_VALUE, "—"))
    for colour, label in entries:
        drawing.add(Rect(x, 2, 10, 8, fillColor=colors.HexColor(colour), strokeColor=colors.grey, strokeWidth=0.3))
        drawing.add(String(x + 13, 3, label, fontName=font, fontSize=7))
        x += 70

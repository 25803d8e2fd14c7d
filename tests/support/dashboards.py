"""Data for the dashboards' tests: a county with two townships and incidents whose figures are known.

    county 419001 ─ 承留镇 419001103 ─ 承留村 …200 ─ grids west …001 | east …002
                  └ 邵原镇 419001104 ─ 邵原村 …200 ─ grid …001

Incidents reported "today" (local day) unless said otherwise; `now` is the real clock, because
overdue is defined against the database's now().
"""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import timezone

from grids.models import Area, Assignment, Worker
from layers.dashboards.period import Period
from layers.models import Incident


def box(west: float, south: float, east: float, north: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((west, south, east, north)), srid=4326)


WEST_POINT, EAST_POINT, OTHER_POINT = (112.45, 35.05), (112.55, 35.05), (112.65, 35.05)


def build_county() -> dict[str, Area]:
    county = Area.objects.create(code="419001", name="济源示范区", level=1, boundary=box(112.4, 35.0, 112.7, 35.1))
    town = Area.objects.create(code="419001103", name="承留镇", level=2, parent=county,
                               boundary=box(112.4, 35.0, 112.6, 35.1))
    village = Area.objects.create(code="419001103200", name="承留村", level=3, parent=town,
                                  boundary=box(112.4, 35.0, 112.6, 35.1))
    west = Area.objects.create(code="419001103200001", name="西网格", level=4, kind="rural", parent=village,
                               boundary=box(112.4, 35.0, 112.5, 35.1))
    east = Area.objects.create(code="419001103200002", name="东网格", level=4, kind="rural", parent=village,
                               boundary=box(112.5, 35.0, 112.6, 35.1))
    other = Area.objects.create(code="419001104", name="邵原镇", level=2, parent=county,
                                boundary=box(112.6, 35.0, 112.7, 35.1))
    other_village = Area.objects.create(code="419001104200", name="邵原村", level=3, parent=other,
                                        boundary=box(112.6, 35.0, 112.7, 35.1))
    other_grid = Area.objects.create(code="419001104200001", name="邵原网格", level=4, kind="rural",
                                     parent=other_village, boundary=box(112.6, 35.0, 112.7, 35.1))
    for no, name, grid, role in [("W1", "王一", west, "full_time"), ("W2", "李二", east, "full_time"),
                                 ("W3", "张三", other_grid, "full_time"), ("C1", "赵长", west, "chief")]:
        worker = Worker.objects.create(employee_no=no, name=name, role=role, phone="13800000000")
        Assignment.objects.create(worker=worker, area=grid, role=role)
    return {"county": county, "town": town, "village": village, "west": west, "east": east, "other": other,
            "other_village": other_village, "other_grid": other_grid}


def today_start() -> dt.datetime:
    today = timezone.localdate()
    return Period(today, today).start()


def make(point: tuple[float, float], **fields) -> Incident:
    values = {"category": "dispute", "source": "grid_discovery", "severity": "general", "status": "accepted"}
    return Incident.objects.create(location=Point(*point, srid=4326), **(values | fields))


def build_incidents() -> dict[str, Incident]:
    """Figures for today, county-wide: intake 7, open 4, overdue 3, closed 3, on time 1, rated 2,
    satisfied 1, acceptance overdue 1, due within 24 h 2. Yesterday: intake 1, closed 1, on time 1. One
    incident 40 days old counts in neither."""
    now = timezone.now()
    t0 = min(today_start() + dt.timedelta(minutes=1), now - dt.timedelta(seconds=1))
    closed = {"status": "closed", "closed_at": t0}
    return {
        "open": make(WEST_POINT, reported_at=t0, due_at=now + dt.timedelta(days=1)),
        "open_late": make(WEST_POINT, status="in_progress", reported_at=t0, due_at=now - dt.timedelta(hours=1),
                          accept_due_at=t0),
        "on_time": make(WEST_POINT, category="petition", reported_at=t0, due_at=t0 + dt.timedelta(hours=1),
                        satisfaction=5, **closed),
        "closed_late": make(EAST_POINT, reported_at=t0, due_at=t0 - dt.timedelta(minutes=1), satisfaction=2,
                            **closed),
        "no_due": make(EAST_POINT, category="livelihood", reported_at=t0, due_at=None, **closed),
        "other_town": make(OTHER_POINT, reported_at=t0, due_at=now + dt.timedelta(days=1)),
        "hazard_late": make(WEST_POINT, category="safety_hazard", reported_at=t0, due_at=now - dt.timedelta(days=1)),
        "yesterday": make(WEST_POINT, reported_at=t0 - dt.timedelta(days=1), due_at=t0, satisfaction=4,
                          status="closed", closed_at=t0 - dt.timedelta(hours=20)),
        "old": make(WEST_POINT, reported_at=t0 - dt.timedelta(days=40), due_at=t0 - dt.timedelta(days=39),
                    status="closed", closed_at=t0 - dt.timedelta(days=39, hours=2)),
    }

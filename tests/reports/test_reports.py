"""The printable reports: the PDF opens, has its pages and text, its figures are the figures, its map is
drawn (pixels of the choropleth on the rendered page), scopes and roles hold, personal fields only with
the right (and audited), bad input is a 400 naming the field; the month-end command writes every unit's."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pypdfium2 as pdfium
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from geo.access import create_user
from geo.models import AuditRecord
from tests.support.dashboards import EAST_POINT, OTHER_POINT, WEST_POINT, build_county, make

ZONE = timezone.get_default_timezone()
NOV = dt.datetime(2025, 11, 10, 9, 0, tzinfo=ZONE)


@pytest.fixture
def county(db):
    areas = build_county()
    # November 2025: 5 in 承留镇 (4 west, 1 east), 1 in 邵原镇; October 2025: 2; November 2024: 3.
    for n in range(4):
        make(WEST_POINT, reported_at=NOV + dt.timedelta(hours=n), due_at=NOV + dt.timedelta(days=2),
             status="closed", closed_at=NOV + dt.timedelta(days=1))
    make(EAST_POINT, category="petition", reported_at=NOV, due_at=NOV + dt.timedelta(days=3),
         reporter_name="王五", reporter_phone="13912345678")  # open, overdue since 13 November
    make(OTHER_POINT, reported_at=NOV, due_at=NOV + dt.timedelta(days=1), reporter_name="赵六")
    for month, count in ((dt.datetime(2025, 10, 5, tzinfo=ZONE), 2), (dt.datetime(2024, 11, 20, tzinfo=ZONE), 3)):
        for _ in range(count):
            make(WEST_POINT, reported_at=month, due_at=month + dt.timedelta(days=5), status="closed",
                 closed_at=month + dt.timedelta(days=1))
    return areas


def client_for(role: str, scope: str, *, personal: bool = False) -> Client:
    _user, key = create_user(f"{role}-{scope}-{int(personal)}", role, scope, personal_data=personal)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def pages(body: bytes) -> list[str]:
    document = pdfium.PdfDocument(io.BytesIO(body))
    return [document[n].get_textpage().get_text_range() for n in range(len(document))]


def test_the_monthly_report_opens_with_its_pages_and_figures(county):
    response = client_for("leader", "419001").get("/reports/419001103/2025-11.pdf")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    text = pages(response.content)
    assert len(text) == 3
    first, second, third = (" ".join(t.split()) for t in text)
    assert "承留镇" in first and "Monthly report" in first and "2025-11" in first
    assert "Key figures" in first and "Map of the unit" in first
    # Intake 5 against 2 in October (+3, +150.0%) and 3 in November 2024 (+2, +66.7%).
    assert "+3 (+150.0%)" in first and "+2 (+66.7%)" in first
    assert "Previous period 2025-10-01 to 2025-10-31; a year before 2024-11-01 to 2024-11-30" in first
    assert "Ranking of child units" in second and "承留村" in second and "By class" in second
    assert "Worst-overdue matters" in third and "Safety index" in third and "Early warnings" in third
    assert "Page 3" in third
    # The index and the warnings are the analysis app's, as its API states them.
    from analysis import index, warnings

    squeezed = "".join(text[2].split())
    assert "".join(index.period_score("419001103", "2025-11").why().split()) in squeezed
    found = warnings.current("419001103", dt.date(2025, 11, 1))
    assert all("".join(w.sentence.split()) in squeezed for w in found)
    assert found or "No early warning for this period." in third


def map_colours(body: bytes) -> tuple[set[tuple[int, int, int]], int, int]:
    """The saturated colours of page 1's upper half (the map), how many pixels have one, and of how many."""
    page = pdfium.PdfDocument(io.BytesIO(body))[0]
    image = np.asarray(page.render(scale=1.5).to_pil().convert("RGB")).astype(int)
    top = image[: image.shape[0] // 2]
    coloured = top.max(axis=-1) - top.min(axis=-1) > 40  # text, rules and the frame are grey or white
    return {tuple(c) for c in top[coloured][::25].tolist()}, int(coloured.sum()), top.shape[0] * top.shape[1]


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def test_the_map_is_drawn_in_the_index_bands(county):
    from analysis import index
    from reports.mapdraw import BANDS

    response = client_for("leader", "419001").get("/reports/419001/2025-11.pdf")
    colours, filled, total = map_colours(response.content)
    assert filled > 0.2 * total, filled  # the townships fill the map frame
    bands = {s.code: s.band for s in index.ranking("419001", "2025-11")}
    assert set(bands) == {"419001103", "419001104"} and None not in bands.values()
    assert {rgb(BANDS[b]) for b in bands.values()} <= colours
    text = " ".join(pdfium.PdfDocument(io.BytesIO(response.content))[0].get_textpage().get_text_range().split())
    assert "承留镇" in text and "邵原镇" in text  # each township named on the map


def test_a_villages_map_is_coloured_by_intake(county):
    from reports.mapdraw import RAMP

    response = client_for("leader", "419001").get("/reports/419001103200/2025-11.pdf")
    colours, filled, total = map_colours(response.content)
    assert filled > 0.2 * total, filled
    # Its two grids: 4 incidents in the west one, 1 in the east one: the ramp's two ends.
    assert {rgb(RAMP[0]), rgb(RAMP[-1])} <= colours


def test_a_quarterly_report(county):
    response = client_for("leader", "419001").get("/reports/419001/2025-Q4.pdf")
    assert response.status_code == 200
    first = " ".join(pages(response.content)[0].split())
    assert "Quarterly report" in first and "2025 Q4" in first
    assert "Previous period 2025-07-01 to 2025-09-30; a year before 2024-10-01 to 2024-12-31" in first


def test_scopes_and_roles_hold(county):
    town = client_for("leader", "419001103")
    assert town.get("/reports/419001103/2025-11.pdf").status_code == 200
    assert town.get("/reports/419001103200/2025-11.pdf").status_code == 200
    outside = town.get("/reports/419001104/2025-11.pdf")
    assert outside.status_code == 404
    assert town.get("/reports/419001/2025-11.pdf").status_code == 404
    assert client_for("grid_worker", "419001").get("/reports/419001/2025-11.pdf").status_code == 403
    assert Client().get("/reports/419001/2025-11.pdf").status_code == 401


def test_a_township_report_shows_only_its_matters(county):
    body = client_for("leader", "419001103", personal=True).get("/reports/419001103/2025-11.pdf").content
    text = " ".join(pages(body)[2].split())
    assert "王五" in text and "赵六" not in text  # 赵六's matter is in 邵原镇


def test_personal_fields_only_with_the_right_and_audited(county):
    before = AuditRecord.objects.count()
    plain = client_for("leader", "419001").get("/reports/419001103/2025-11.pdf")
    third = " ".join(pages(plain.content)[2].split())
    assert "Worst-overdue matters" in third and "petition" in third.lower()
    assert "王五" not in third and "13912345678" not in third
    assert not AuditRecord.objects.filter(action=AuditRecord.Action.PERSONAL_READ).exists()
    export = AuditRecord.objects.filter(action=AuditRecord.Action.EXPORT).latest("at")
    assert export.target == "report 419001103 2025-11" and export.detail["personal"] is False
    personal = client_for("leader", "419001", personal=True).get("/reports/419001103/2025-11.pdf")
    third = " ".join(pages(personal.content)[2].split())
    assert "王五" in third and "13912345678" in third
    read = AuditRecord.objects.get(action=AuditRecord.Action.PERSONAL_READ)
    assert read.rows == 1 and read.username.startswith("leader")
    assert AuditRecord.objects.count() == before + 3


@pytest.mark.parametrize(("path", "status", "field"), [
    ("/reports/abc/2025-11.pdf", 400, "code"),
    ("/reports/41900/2025-11.pdf", 400, "code"),
    ("/reports/419001103/2025-13.pdf", 400, "period"),
    ("/reports/419001103/2025-Q5.pdf", 400, "period"),
    ("/reports/419001103/2025-1.pdf", 400, "period"),
    ("/reports/419001103/2999.pdf", 400, "period"),
    ("/reports/419001103/2999-01.pdf", 400, "period"),
    ("/reports/419001999/2025-11.pdf", 404, None),
])
def test_bad_input_is_refused_naming_the_field(county, path, status, field):
    response = client_for("leader", "419001").get(path)
    assert response.status_code == status
    assert response.json()["error"].get("field") == field
    assert not AuditRecord.objects.filter(action=AuditRecord.Action.EXPORT).exists()


def test_the_month_end_command_writes_every_units_report(county, tmp_path):
    out = io.StringIO()
    call_command("month_end_reports", "--period", "2025-11", "--level", "2", "--out", str(tmp_path), stdout=out)
    written = sorted(p.name for p in tmp_path.rglob("*.pdf"))
    assert written == ["419001103-2025-11.pdf", "419001104-2025-11.pdf"]
    assert "2 reports" in out.getvalue()
    assert len(pages((tmp_path / "2025-11" / "419001104-2025-11.pdf").read_bytes())) == 3


def test_the_month_end_command_refuses_a_bad_period(county, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="period"):
        call_command("month_end_reports", "--period", "2025-13", "--out", str(tmp_path))


def test_a_yearly_report_rolls_the_index_up_and_compares_with_last_year(county):
    from analysis import index

    response = client_for("leader", "419001").get("/reports/419001103/2025.pdf")
    assert response.status_code == 200, response.content[:300]
    text = pages(response.content)
    assert len(text) == 4  # map and figures; ranking and classes; index, warnings, overdue; the months
    first = " ".join(text[0].split())
    assert "Yearly report" in first and "2025" in first
    assert "Previous period 2024-01-01 to 2024-12-31; a year before 2024-01-01 to 2024-12-31" in first
    rest = "".join("".join(t.split()) for t in text[2:])
    year, before = index.period_score("419001103", "2025"), index.period_score("419001103", "2024")
    assert "".join(year.why().split()) in rest  # the roll-up: the mean of its months
    assert f"{year.score:.1f}" in rest and f"{before.score:.1f}" in rest
    assert f"{year.score - before.score:+.1f}".replace("-", "−") in rest
    assert "Safetyindexmonthbymonth" in "".join(text[3].split()) and "2025-01" in rest and "2025-12" in rest


def test_pages_per_period_kind(county):
    leader = client_for("leader", "419001")
    counts = {period: len(pages(leader.get(f"/reports/419001103/{period}.pdf").content))
              for period in ("2025-11", "2025-Q4", "2025")}
    assert counts == {"2025-11": 3, "2025-Q4": 4, "2025": 4}
    quarter = "".join("".join(t.split()) for t in pages(leader.get("/reports/419001103/2025-Q4.pdf").content))
    assert "2025-10" in quarter and "2025-12" in quarter and "2024Q4" in quarter.replace("-", "")


def test_a_department_report_is_narrowed_to_its_department(county):
    from layers.desk.departments import seed
    from layers.desk.models import Dispatch
    from layers.models import Incident

    seed("419001")
    dispatched = Incident.objects.filter(category="petition").get()  # 王五's, in 承留镇, November 2025
    Dispatch.objects.create(incident=dispatched, department_id="419001-SFJ", role="lead")
    _user, key = create_user("sfj", "department", "419001", department="419001-SFJ")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/reports/419001103/2025-11.pdf")
    assert response.status_code == 200, response.content[:300]
    text = [" ".join(t.split()) for t in pages(response.content)]
    assert "Narrowed to the matters dispatched to department 419001-SFJ" in text[0]
    # Its figures are its one matter: intake 1 (the township had 5 that month), none before.
    assert "Intake 1 0 +1 0 +1 Closed 0 0 +0 0 +0 Open 1 0 +1" in text[0], text[0]
    assert f" {dispatched.pk} " in f" {text[2]} "  # its overdue matter is listed
    colours, filled, total = map_colours(response.content)
    assert filled > 0.2 * total  # the map, coloured by the department's own intake, is drawn
    whole = " ".join(text)
    assert "count every matter of the unit, so they are left out" in whole
    assert "points lost mostly to" not in whole and "Early warnings" not in whole
    # The center's report of the same unit has the index.
    center = " ".join(pages(client_for("leader", "419001").get("/reports/419001103/2025-11.pdf").content))
    assert "Early warnings" in center and "left out" not in center


def test_the_month_end_run_adds_the_quarter_and_the_year_they_end(county, tmp_path):
    from reports import periods

    assert [p.text for p in periods.ending_with(periods.parse("2025-12"))] == ["2025-12", "2025-Q4", "2025"]
    assert [p.text for p in periods.ending_with(periods.parse("2025-09"))] == ["2025-09", "2025-Q3"]
    assert [p.text for p in periods.ending_with(periods.parse("2025-11"))] == ["2025-11"]
    call_command("month_end_reports", "--period", "2025", "--level", "2", "--area", "419001103",
                 "--out", str(tmp_path), stdout=io.StringIO())
    [written] = tmp_path.rglob("*.pdf")
    assert written.name == "419001103-2025.pdf" and "Yearly report" in pages(written.read_bytes())[0]

"""A report laid out as an A4 PDF (ReportLab): what reports.content gathered, on pages that print well.

Page 1: the title, the map of the unit and the KPI table against the previous period (环比) and the
same period a year before (同比). Page 2: the child units ranked, and the figures by class. Page 3: the
safety index and the early warnings (analysis), and the worst-overdue matters. Every page carries the
unit, the period and its number in the footer. The CJK font is embedded as a subset (reports/fonts.py).
"""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from layers.dashboards.i18n import CLASSES, TEXT
from layers.dashboards.kpis import fmt_count, fmt_hours, fmt_rate
from layers.figures.counts import Figures
from reports import mapdraw
from reports.content import KPIS, Compared, Report
from reports.fonts import cjk_font

MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    return {"base": base,
            "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, spaceAfter=4),
            "sub": ParagraphStyle("sub", parent=base, fontSize=9, textColor=colors.HexColor("#555555")),
            "h2": ParagraphStyle("h2", parent=base, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4),
            "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10)}


def _value(figures: Figures, attr: str, kind: str) -> str:
    value = getattr(figures, attr)
    return fmt_rate(value) if kind == "rate" else fmt_hours(value) if kind == "hours" else fmt_count(value)


def change_text(now: float | int | None, before: float | int | None, kind: str) -> str:
    """A change as leaders quote it: +12 (+8.5%) for counts, +1.50 pp for rates, +2.0 h for hours."""
    if now is None or before is None:
        return "—"
    diff = now - before
    if kind == "rate":
        text = f"{diff * 100:+.2f} pp"
    elif kind == "hours":
        text = f"{diff:+.1f} h"
    else:
        text = f"{diff:+,}" + (f" ({diff / before:+.1%})" if before else "")
    return text.replace("-", "−")


def _tone(now, before, higher_better: bool | None) -> colors.Color | None:
    if now is None or before is None or higher_better is None or now == before:
        return None
    return colors.HexColor("#1a7f37") if (now > before) == higher_better else colors.HexColor("#c62828")


def _head(cells: list[str], font: str) -> list[Paragraph]:
    """A table's header cells as paragraphs, so a long label wraps inside its column."""
    style = ParagraphStyle("head", fontName=font, fontSize=8, leading=10, wordWrap="CJK")
    return [Paragraph(str(c), style) for c in cells]


def _grid_style(font: str, header_rows: int = 1) -> list:
    return [("FONT", (0, 0), (-1, -1), font, 8), ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#999999")),
            ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#e8eef5")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (1, header_rows), (-1, -1), "RIGHT")]


def kpi_table(report: Report, font: str) -> Table:
    head = [_("Figure"), _("This period"), _("Previous period"), _("Change (环比)"), _("A year before"),
            _("Change (同比)")]
    rows = [_head(head, font)]
    style = _grid_style(font)
    unit: Compared = report.unit
    for n, (key, attr, kind, better) in enumerate(KPIS, start=1):
        now, prev, last = (getattr(f, attr) for f in (unit.now, unit.previous, unit.year_before))
        label = f"{TEXT[key]} ({TEXT['hours']})" if kind == "hours" else str(TEXT[key])
        rows.append([label, _value(unit.now, attr, kind), _value(unit.previous, attr, kind),
                     change_text(now, prev, kind), _value(unit.year_before, attr, kind),
                     change_text(now, last, kind)])
        for col, before in ((3, prev), (5, last)):
            tone = _tone(now, before, better)
            if tone is not None:
                style.append(("TEXTCOLOR", (col, n), (col, n), tone))
    table = Table(rows, colWidths=[40 * mm, 26 * mm, 26 * mm, 30 * mm, 26 * mm, 30 * mm], repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def ranking_table(report: Report, font: str) -> Table:
    """The child units, best closure rate first (then on-time rate), with their intake against a year
    before and, when the analysis app answers, their safety index and band."""
    index = {s.code: s for s in report.index_children}
    ranked = sorted(report.children, key=lambda c: (-(c[1].now.closure_rate or -1), -(c[1].now.on_time_rate or -1),
                                                    c[0].code))
    head = [_("Rank"), _("Unit"), str(TEXT["intake"]), _("Change (同比)"), str(TEXT["closure_rate"]),
            str(TEXT["on_time_rate"]), str(TEXT["overdue"])]
    if index:
        head.append(_("Safety index"))
    rows = [_head(head, font)]
    for n, (child, c) in enumerate(ranked, start=1):
        row = [str(n), child.name, fmt_count(c.now.intake), change_text(c.now.intake, c.year_before.intake, "count"),
               fmt_rate(c.now.closure_rate), fmt_rate(c.now.on_time_rate), fmt_count(c.now.overdue)]
        if index:
            score = index.get(child.code)
            band = mapdraw.BAND_LABELS.get(score.band, score.band) if score else ""
            row.append("—" if score is None or score.score is None else f"{score.score:.1f} ({band})")
        rows.append(row)
    widths = [12 * mm, 50 * mm, 20 * mm, 30 * mm, 22 * mm, 22 * mm, 18 * mm]
    if index:
        widths = [w * 0.88 for w in widths] + [WIDTH - sum(w * 0.88 for w in widths)]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(_grid_style(font)))
    return table


def class_table(report: Report, font: str) -> Table:
    labels = {key: str(text) for key, text in CLASSES.items()}
    head = [str(TEXT["class"]), str(TEXT["intake"]), _("Change (环比)"), _("Change (同比)"),
            str(TEXT["closure_rate"]), str(TEXT["overdue"])]
    rows = [_head(head, font)]
    for value, c in report.classes:
        rows.append([labels.get(value, value), fmt_count(c.now.intake),
                     change_text(c.now.intake, c.previous.intake, "count"),
                     change_text(c.now.intake, c.year_before.intake, "count"), fmt_rate(c.now.closure_rate),
                     fmt_count(c.now.overdue)])
    table = Table(rows, colWidths=[40 * mm, 24 * mm, 32 * mm, 32 * mm, 26 * mm, 26 * mm], repeatRows=1)
    table.setStyle(TableStyle(_grid_style(font)))
    return table


def overdue_table(report: Report, font: str, small: ParagraphStyle) -> Table:
    head = ["#", str(TEXT["class"]), _("Grid"), _("Reported"), _("Due"), _("Days overdue"), _("Status")]
    if report.personal:
        head += [_("Reporter"), _("Phone")]
    rows = [_head(head, font)]
    for m in report.overdue:
        kind = m["category"] + (f" / {m['subcategory']}" if m["subcategory"] else "")
        row = [str(m["id"]), Paragraph(kind, small), Paragraph(m["grid"], small), m["reported"].isoformat(),
               m["due"].isoformat(), str(m["days_overdue"]), Paragraph(m["status"], small)]
        if report.personal:
            row += [m["reporter_name"], m["reporter_phone"]]
        rows.append(row)
    widths = [16 * mm, 36 * mm, 34 * mm, 20 * mm, 20 * mm, 16 * mm, 38 * mm]
    if report.personal:
        widths = [16 * mm, 28 * mm, 26 * mm, 19 * mm, 19 * mm, 13 * mm, 22 * mm, 18 * mm, 19 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(_grid_style(font)))
    return table


def build(report: Report) -> bytes:
    """The report as PDF bytes."""
    font = cjk_font()
    st = _styles(font)
    area, period = report.area, report.period
    kind = {"year": _("Yearly report"), "quarter": _("Quarterly report"), "month": _("Monthly report")}[period.kind]
    generated = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    story = [
        Paragraph(f"{area.name} · {kind} · {period.title()}", st["title"]),
        Paragraph(_("Area {code}; incidents reported {first} to {last}, as of {as_of}; generated {generated}").format(
            code=area.code, first=period.first.isoformat(), last=period.last.isoformat(),
            as_of=timezone.localtime(report.as_of).strftime("%Y-%m-%d %H:%M"), generated=generated), st["sub"]),
        *([Paragraph(_("Narrowed to the matters dispatched to department {department} (lead or co-handler).").format(
            department=report.department), st["sub"])] if report.department else []),
        Paragraph(_("Map of the unit"), st["h2"]),
        mapdraw.draw(report.map_areas, WIDTH, 105 * mm, font, report.map_measure),
        Paragraph(_("Key figures"), st["h2"]),
        Paragraph(_comparison_note(report), st["small"]),
        Spacer(1, 2 * mm),
        kpi_table(report, font),
        PageBreak(),
    ]
    story += [Paragraph(_("Ranking of child units"), st["h2"])]
    story += [ranking_table(report, font)] if report.children else [Paragraph(_("No child units."), st["base"])]
    story += [Paragraph(_("By class"), st["h2"]), class_table(report, font), PageBreak()]
    story += _analysis_section(report, st)
    story += [Paragraph(_("Worst-overdue matters"), st["h2"]),
              Paragraph(_("Open and past their due time at {as_of}, longest overdue first.").format(
                  as_of=timezone.localtime(report.as_of).strftime("%Y-%m-%d %H:%M")), st["small"])]
    story += [overdue_table(report, font, st["small"])] if report.overdue else [
        Paragraph(_("No matter was overdue."), st["base"])]
    if report.index_months:  # a quarter's or a year's report: one more page
        story += _months_section(report, st)

    footer = f"{area.name} {area.code} · {kind} {period.title()}"

    def on_page(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(MARGIN, 9 * mm, footer)
        canvas.drawRightString(A4[0] - MARGIN, 9 * mm, _("Page {n}").format(n=doc.page))
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 4 * mm, title=f"{area.name} {kind} {period.title()}",
                            author="Gridmap", subject=area.code)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


def _comparison_note(report: Report) -> str:
    (pa, pb), (ya, yb) = report.periods["previous"], report.periods["year_before"]
    fmt = "%Y-%m-%d"

    def last(moment) -> str:
        return (timezone.localtime(moment) - dt.timedelta(days=1)).strftime(fmt)

    return _("Previous period {p0} to {p1}; a year before {y0} to {y1}. Green: better, red: worse.").format(
        p0=timezone.localtime(pa).strftime(fmt), p1=last(pb), y0=timezone.localtime(ya).strftime(fmt), y1=last(yb))


def _analysis_section(report: Report, st: dict) -> list:
    """The safety index with its breakdown, and the early warnings (analysis)."""
    out = [Paragraph(_("Safety index"), st["h2"])]
    score = report.index
    if report.analysis_note:
        return [*out, Paragraph(report.analysis_note, st["base"]), Spacer(1, 3 * mm)]
    if score is None:
        out.append(Paragraph(_("The safety index is computed for provinces, cities, counties, townships and "
                               "villages, not for a grid."), st["base"]))
    else:
        out.append(Paragraph(score.why(), st["base"]))
        if score.parts:
            rows = [_head([_("Input"), _("Value"), _("Weight"), _("Points"), _("Lost")], st["base"].fontName)]
            for p in score.parts:
                rows.append([p.label, "—" if p.value is None else f"{p.value:.3g}", f"{p.weight:g}",
                             f"{p.points:.1f}", f"{p.lost:.1f}"])
            table = Table(rows, colWidths=[70 * mm, 28 * mm, 24 * mm, 24 * mm, 24 * mm], repeatRows=1)
            table.setStyle(TableStyle(_grid_style(st["base"].fontName)))
            out.append(table)
        out += _index_comparison(report, st)
    out.append(Paragraph(_("Early warnings"), st["h2"]))
    if report.warnings:
        for w in report.warnings:
            out.append(Paragraph("• " + w.sentence, st["base"]))
        if report.more_warnings:
            out.append(Paragraph(_("… and {n} more (the panorama's warnings list has them all).").format(
                n=report.more_warnings), st["small"]))
    else:
        out.append(Paragraph(_("No early warning for this period."), st["base"]))
    out.append(Spacer(1, 3 * mm))
    return out


def _score_text(score) -> str:
    if score is None or score.score is None:
        return "—"
    return f"{score.score:.1f} ({mapdraw.BAND_LABELS.get(score.band, score.band)})"


def _index_comparison(report: Report, st: dict) -> list:
    """The index against the same period a year before (同比) and, for a quarter or a year, month by month
    (the roll-up is their mean)."""
    font = st["base"].fontName
    out = []
    now, before = report.index, report.index_year_before
    if before is not None:
        change = "—" if now.score is None or before.score is None else f"{now.score - before.score:+.1f}".replace(
            "-", "−")
        table = Table([_head([_("Safety index"), report.period.title(), before.period, _("Change (同比)")], font),
                       [_("Score (band)"), _score_text(now), _score_text(before), change]],
                      colWidths=[46 * mm, 42 * mm, 42 * mm, 40 * mm])
        style = _grid_style(font)
        if now.score is not None and before.score is not None and now.score != before.score:
            style.append(("TEXTCOLOR", (3, 1), (3, 1), colors.HexColor("#1a7f37") if now.score > before.score
                          else colors.HexColor("#c62828")))
        table.setStyle(TableStyle(style))
        out += [Spacer(1, 2 * mm), table]
    return out


def _months_section(report: Report, st: dict) -> list:
    """A quarter's or year's own page: the index month by month (the period's score is their mean)."""
    font = st["base"].fontName
    out = [PageBreak(), Paragraph(_("Safety index month by month"), st["h2"]),
           Paragraph(_("The period's index is the mean of its months' (each with the weights in force that "
                       "month)."), st["small"]), Spacer(1, 2 * mm)]
    rows = [_head([_("Month"), _("Score (band)"), _("Lost most to")], font)]
    for s in report.index_months:
        worst = max(s.parts, key=lambda p: p.lost, default=None)
        rows.append([s.period, _score_text(s), "—" if worst is None or s.score is None else
                     f"{worst.label} (−{worst.lost:.1f})"])
    table = Table(rows, colWidths=[30 * mm, 50 * mm, 90 * mm], repeatRows=1)
    table.setStyle(TableStyle(_grid_style(font)))
    return [*out, table]

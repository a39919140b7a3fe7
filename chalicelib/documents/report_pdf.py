"""The central operation report as an A4 PDF with charts (`services/reports.central_report`'s figures)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from typing import Any

from chalicelib.domain.labels import MONTHS_SHORT, thousands
from chalicelib.domain.money import format_clp, format_date


def central_pdf(report: Mapping[str, Any], *, generated_at: str) -> bytes:
    """The central report as an A4 PDF with charts (reportlab, imported here only)."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.piecharts import Pie
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    year, cur, prev = int(report["year"]), report["current"], report["previous"]
    as_of = date.fromisoformat(str(report["as_of"]))
    blue, red, grey = colors.HexColor("#0a2f5c"), colors.HexColor("#d52b1e"), colors.HexColor("#9aa5b1")
    styles = getSampleStyleSheet()
    story: list[Any] = [
        Paragraph(f"SEM — Estadísticas de operación {year}", styles["Title"]),
        Paragraph(f"Pagos en línea de permisos de circulación, patentes y derechos de aseo, del 01-01-{year} al "
                  f"{format_date(as_of)}, comparados con la misma fecha de {year - 1}.", styles["Normal"]),
        Spacer(1, 0.4 * cm),
        Paragraph(f"<b>{report['sentence']}</b>", styles["Heading2"]),
        Spacer(1, 0.2 * cm),
    ]

    def pct(value: int | None) -> str:
        return "—" if value is None else f"{'+' if value >= 0 else ''}{value}%"

    table = Table([
        ["", str(year), str(year - 1), "Variación"],
        ["Municipios con pagos", thousands(cur["municipalities"]), thousands(prev["municipalities"]),
         f"{report['change']['municipalities']:+d}"],
        ["Transacciones", thousands(cur["payments"]), thousands(prev["payments"]),
         pct(report["change"]["payments_percent"])],
        ["Recaudación", format_clp(cur["amount"]), format_clp(prev["amount"]), pct(report["change"]["amount_percent"])],
        ["Ticket promedio", format_clp(cur["average_ticket"]), format_clp(prev["average_ticket"]), ""],
    ], colWidths=[5 * cm, 4 * cm, 4 * cm, 3 * cm])
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), blue), ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"), ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("GRID", (0, 0), (-1, -1), 0.5, grey), ("FONTSIZE", (0, 0), (-1, -1), 9)]))
    story += [table, Spacer(1, 0.5 * cm)]

    def millions(value: int) -> float:
        return round(value / 1_000_000, 1)

    months = Drawing(16 * cm, 7 * cm)
    months.add(String(0, 7 * cm - 12, f"Recaudación por mes (millones de pesos): {year} y {year - 1}",
                      fontName="Helvetica-Bold", fontSize=10))
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = 40, 30, 14 * cm, 5 * cm
    bars.data = [[millions(m["amount"]) for m in cur["by_month"]], [millions(m["amount"]) for m in prev["by_month"]]]
    bars.categoryAxis.categoryNames = list(MONTHS_SHORT)
    bars.valueAxis.valueMin = 0
    bars.bars[0].fillColor, bars.bars[1].fillColor = blue, grey
    bars.categoryAxis.labels.fontSize = 7
    bars.valueAxis.labels.fontSize = 7
    months.add(bars)
    legend = Legend()
    legend.x, legend.y, legend.fontSize = 14 * cm, 7 * cm - 30, 8
    legend.colorNamePairs = [(blue, str(year)), (grey, str(year - 1))]
    months.add(legend)
    story += [months, Spacer(1, 0.4 * cm)]

    services = Drawing(16 * cm, 6 * cm)
    services.add(String(0, 6 * cm - 12, f"Recaudación por servicio, {year}", fontName="Helvetica-Bold",
                        fontSize=10))
    shares = [s for s in cur["by_service"] if s["amount"] > 0]
    if shares:
        pie = Pie()
        pie.x, pie.y, pie.width, pie.height = 20, 10, 4.5 * cm, 4.5 * cm
        pie.data = [s["amount"] for s in shares]
        pie.labels = [f"{round(100 * s['amount'] / max(1, cur['amount']))}%" for s in shares]
        palette = [blue, red, grey, colors.HexColor("#1b7d3a")]
        for i in range(len(shares)):
            pie.slices[i].fillColor = palette[i % len(palette)]
        services.add(pie)
        key = Legend()
        key.x, key.y, key.fontSize, key.alignment = 7 * cm, 4 * cm, 8, "right"
        key.colorNamePairs = [(palette[i % len(palette)], f"{s['label']}: {format_clp(s['amount'])}")
                              for i, s in enumerate(shares)]
        services.add(key)
    story += [services, Spacer(1, 0.3 * cm)]

    compare = Drawing(16 * cm, 5 * cm)
    compare.add(String(0, 5 * cm - 12, f"Transacciones acumuladas al {format_date(as_of)}: {year} frente a {year - 1}",
                       fontName="Helvetica-Bold", fontSize=10))
    yoy = VerticalBarChart()
    yoy.x, yoy.y, yoy.width, yoy.height = 40, 20, 6 * cm, 3.4 * cm
    yoy.data = [[prev["payments"], cur["payments"]]]
    yoy.categoryAxis.categoryNames = [str(year - 1), str(year)]
    yoy.valueAxis.valueMin = 0
    yoy.bars[0].fillColor = blue
    yoy.valueAxis.labels.fontSize = 7
    compare.add(yoy)
    story += [compare, Spacer(1, 0.3 * cm),
              Paragraph(f"Fuente: contadores diarios de la plataforma SEM. Generado el {generated_at}. "
                        "Montos en pesos chilenos.", styles["Italic"])]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=f"SEM estadísticas {year}", author="SEM — SUBDERE",
                            leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.6 * cm, bottomMargin=1.6 * cm)
    doc.build(story)
    return buffer.getvalue()

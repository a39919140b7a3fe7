"""The PDFs officials sign: a day's payment batch (nómina), its corrections, and an agreement
(convenio). A4, Helvetica, drawn with reportlab (imported inside the functions). Each leaves on
its last page the empty box(es) where the visible signature stamps go (`*_BOX`, points).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

WIDTH, HEIGHT = 595, 842
MARGIN = 50
BATCH_BOX = (330, 60, 545, 140)
MAYOR_BOX = (50, 60, 285, 140)
CENTRAL_BOX = (310, 60, 545, 140)
_BOTTOM = 170  # content stops above the signature boxes


def pesos(amount: int) -> str:
    text = f"{abs(int(amount)):,}".replace(",", ".")
    return f"-${text}" if amount < 0 else f"${text}"


def day_text(day: str) -> str:
    return f"{day[8:10]}-{day[5:7]}-{day[0:4]}"


class _Writer:
    """Lines of text flowing down A4 pages, with a header on each and room kept for the stamps."""

    def __init__(self, title: str, subtitle: str, footer: str) -> None:
        from reportlab.pdfgen import canvas

        self.buffer = io.BytesIO()
        self.canvas = canvas.Canvas(self.buffer, pagesize=(WIDTH, HEIGHT), invariant=True)
        self.canvas.setTitle(title)
        self.canvas.setAuthor("SEM - Plataforma de Servicios Municipales")
        self.title, self.subtitle, self.footer = title, subtitle, footer
        self.page = 1
        self._start_page()

    def _start_page(self) -> None:
        c = self.canvas
        c.setFont("Helvetica-Bold", 13)
        c.drawString(MARGIN, HEIGHT - 60, self.title)
        c.setFont("Helvetica", 9)
        c.drawString(MARGIN, HEIGHT - 75, self.subtitle)
        c.line(MARGIN, HEIGHT - 82, WIDTH - MARGIN, HEIGHT - 82)
        c.setFont("Helvetica", 7)
        c.drawString(MARGIN, 30, self.footer)
        c.drawRightString(WIDTH - MARGIN, 30, f"Página {self.page}")
        self.y: float = HEIGHT - 105

    def _room(self, needed: float) -> None:
        if self.y - needed < _BOTTOM:
            self.canvas.showPage()
            self.page += 1
            self._start_page()

    def heading(self, text: str) -> None:
        self._room(30)
        self.y -= 6
        self.canvas.setFont("Helvetica-Bold", 10)
        self.canvas.drawString(MARGIN, self.y, text)
        self.y -= 16

    def paragraph(self, text: str, size: float = 9) -> None:
        from reportlab.lib.utils import simpleSplit

        for line in simpleSplit(text, "Helvetica", size, WIDTH - 2 * MARGIN):
            self._room(size + 4)
            self.canvas.setFont("Helvetica", size)
            self.canvas.drawString(MARGIN, self.y, line)
            self.y -= size + 4
        self.y -= 4

    def row(self, cells: Sequence[str], columns: Sequence[float], *, bold: bool = False, right: int = -1) -> None:
        """One table row; `right`: the index of the right-aligned column (amounts)."""
        self._room(13)
        self.canvas.setFont("Helvetica-Bold" if bold else "Helvetica", 8)
        for index, (cell, x) in enumerate(zip(cells, columns, strict=True)):
            if index == right or (right < 0 and index == len(cells) - 1):
                self.canvas.drawRightString(x, self.y, cell)
            else:
                self.canvas.drawString(x, self.y, cell)
        self.y -= 12

    def signature_boxes(self, boxes: Iterable[tuple[tuple[int, int, int, int], str]]) -> None:
        c = self.canvas
        for (x1, y1, x2, y2), label in boxes:
            c.setDash(2, 2)
            c.rect(x1, y1, x2 - x1, y2 - y1)
            c.setDash()
            c.setFont("Helvetica", 7)
            c.drawString(x1, y2 + 4, label)

    def finish(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def batch_pdf(batch: dict[str, Any], *, municipality: str, generated_at: str) -> bytes:
    """A day's payment batch: totals by service and method, and every payment with its amount."""
    day = str(batch["day"])
    w = _Writer(f"NÓMINA DE PAGOS DEL DÍA {day_text(day)}", municipality,
                f"SEM · nómina {batch['municipality']}-{day} · generada el {generated_at}")
    w.paragraph("Pagos recibidos en línea a través de la plataforma SEM y la Tesorería General de la República "
                "(TGR), pagados en el día indicado (hora de Chile). Al firmar, el Tesorero(a) autoriza y "
                "consolida estos pagos; la nómina firmada no cambia: lo que varíe después se firma como "
                "corrección.")
    _totals(w, batch["totals"])
    _payments(w, "Pagos de la nómina", batch["payments"])
    if batch.get("returns"):
        _payments(w, "Devoluciones y contracargos del día (restan)", batch["returns"])
    w.paragraph(f"Huella SHA-256 del detalle: {batch['digest']}", 7)
    w.signature_boxes([(BATCH_BOX, "Firma del Tesorero(a) municipal")])
    return w.finish()


def correction_pdf(correction: dict[str, Any], *, municipality: str, generated_at: str) -> bytes:
    """A signed correction of a day's batch: the payments added and removed since the last signed
    version, and the net difference."""
    day = str(correction["day"])
    w = _Writer(f"CORRECCIÓN N° {correction['number'] - 1} DE LA NÓMINA DEL DÍA {day_text(day)}", municipality,
                f"SEM · corrección {correction['municipality']}-{day}-{correction['number']:03d} · generada el "
                f"{generated_at}")
    w.paragraph(f"Corrige la nómina del día {day_text(day)} firmada anteriormente (versión "
                f"{correction['previous_number']:03d}, huella {correction['previous_digest'][:16]}…): pagos "
                "notificados tarde por la TGR o que dejaron de estar pagados después de esa firma.")
    _payments(w, "Pagos agregados", correction["added"])
    _payments(w, "Pagos retirados", correction["removed"])
    w.heading("Diferencia neta")
    w.row(["Monto neto de la corrección", pesos(int(correction["net_amount"]))], [MARGIN, WIDTH - MARGIN], bold=True)
    w.heading("Nómina del día después de esta corrección")
    _totals(w, correction["totals"])
    w.paragraph(f"Huella SHA-256 del detalle corregido: {correction['digest']}", 7)
    w.signature_boxes([(BATCH_BOX, "Firma del Tesorero(a) municipal")])
    return w.finish()


def _totals(w: _Writer, totals: dict[str, Any]) -> None:
    columns = [MARGIN, 380, WIDTH - MARGIN]
    w.heading("Totales")
    w.row(["Concepto", "Pagos", "Monto"], columns, bold=True)
    for entry in totals.get("by_service", []):
        w.row([str(entry["label"]), str(entry["count"]), pesos(int(entry["amount"]))], columns)
    for entry in totals.get("by_method", []):
        if entry["method"] != "refund":  # the day's returns are their own line below
            w.row([f"Medio de pago: {entry['label']}", str(entry["count"]), pesos(int(entry["amount"]))], columns)
    returns = totals.get("returns") or {}
    if not returns.get("count"):
        w.row(["Total del día", str(totals["count"]), pesos(int(totals["amount"]))], columns, bold=True)
        return
    w.row(["Recaudado en el día", str(totals["count"]), pesos(int(totals["collected"]))], columns)
    w.row(["Devoluciones y contracargos del día (restan)", str(returns["count"]), pesos(int(returns["amount"]))],
          columns)
    w.row(["Total neto del día", "", pesos(int(totals["amount"]))], columns, bold=True)


def _payments(w: _Writer, title: str, payments: Sequence[dict[str, Any]]) -> None:
    columns = [MARGIN, 250, 330, 420, WIDTH - MARGIN]
    w.heading(f"{title} ({len(payments)})")
    if not payments:
        w.paragraph("Sin pagos.")
        return
    w.row(["Pago", "Pagado", "Medio", "Servicios", "Monto"], columns, bold=True)
    for p in payments:
        if p.get("kind_text"):  # money that went back: a refund or a reversal of a payment
            w.row([f"{p['kind_text']} {p['reference']}", str(p.get("returned_at", ""))[11:19], "",
                   f"pago {p['payment_id']}", pesos(int(p["amount"]))], columns)
        else:
            w.row([str(p["payment_id"] or p.get("line", "")), str(p.get("paid_at", ""))[11:19],
                   str(p.get("method", "")), ", ".join(p.get("services", [])), pesos(int(p["amount"]))], columns)


AGREEMENT_CLAUSES = (
    ("PRIMERO: Objeto.", "La Municipalidad se incorpora a la Plataforma de Servicios Municipales (SEM) para "
     "recaudar en línea los permisos de circulación, las patentes municipales y los derechos de aseo que "
     "habilite, a través del portal de pagos de la Tesorería General de la República."),
    ("SEGUNDO: Obligaciones de la Subsecretaría.", "Operar la plataforma, emitir comprobantes de pago firmados "
     "electrónicamente, consolidar diariamente los pagos y publicar estadísticas de operación."),
    ("TERCERO: Obligaciones de la Municipalidad.", "Mantener actualizados sus roles, tarifas y funcionarios "
     "habilitados; autorizar diariamente la nómina de pagos con la firma electrónica de su Tesorero(a)."),
    ("CUARTO: Datos personales.", "Las partes tratarán los datos personales de los contribuyentes solo para los "
     "fines de este convenio, conforme a la Ley N° 19.628."),
    ("QUINTO: Firma electrónica.", "Este convenio se suscribe con {signature}, conforme a la Ley "
     "N° 19.799, y entra en vigencia una vez firmado por ambas partes."),
)


def agreement_pdf(agreement: dict[str, Any], *, municipality_legal_name: str, generated_at: str,
                  signature: str = "firma electrónica") -> bytes:
    """An agreement between SUBDERE and a municipality, with a box for each party's signature;
    `signature`: what its signatures are (`SignatureKind.level_text`, e.g. "firma electrónica
    simple"), stated in its fifth clause."""
    w = _Writer("CONVENIO DE COLABORACIÓN PARA LA RECAUDACIÓN EN LÍNEA", f"N° {agreement['agreement_id']}",
                f"SEM · convenio {agreement['agreement_id']} · emitido el {generated_at}")
    w.paragraph(f"Entre la Subsecretaría de Desarrollo Regional y Administrativo (SUBDERE) y la "
                f"{municipality_legal_name} (código {agreement['municipality']}), se acuerda lo siguiente:")
    for title, text in AGREEMENT_CLAUSES:
        w.heading(title)
        w.paragraph(text.replace("{signature}", signature))
    w.heading("SEXTO: Vigencia.")
    w.paragraph(f"Desde el {day_text(str(agreement['valid_from']))} hasta el "
                f"{day_text(str(agreement['valid_until']))}. Se renueva mediante un nuevo convenio.")
    if agreement.get("reference"):
        w.paragraph(f"Referencia: {agreement['reference']}")
    w.signature_boxes([(MAYOR_BOX, f"Alcalde(sa), {municipality_legal_name}"),
                       (CENTRAL_BOX, "Subsecretaría de Desarrollo Regional y Administrativo")])
    return w.finish()

"""The receipt (comprobante de pago) as an A4 PDF, drawn with reportlab's canvas.

Layout, top to bottom (every page repeats the header; the last page carries the closing blocks):

- header band in the municipality's primary colour: logo, name, legal name, address and region,
  the branding's header text; an accent strip in the secondary colour;
- title "COMPROBANTE DE PAGO" and the folio / date of issue block;
- the payer (name, RUT) — first page only;
- the items table: each item with its amount and its breakdown lines; the total in pesos;
- the payment data (method, TGR reference, authorization code, collector);
- at the foot: the verification block (QR to `verify_url`, verification code) and the reserved
  signature area `SIGNATURE_BOX`, where the PAdES signature's visible stamp is placed;
- footer: the branding's footer text, the legal note and page numbers.

reportlab is imported inside the functions: importing this module costs nothing, so the API's
import chain may reach it without loading reportlab.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from chalicelib.documents.branding import default_logo_png
from chalicelib.documents.qr import draw_qr, qr_matrix
from chalicelib.documents.receipt_model import ReceiptDocument, ReceiptItem
from chalicelib.domain.money import format_clp, format_date
from chalicelib.domain.signature_kinds import GENERIC_NOTE

PAGE_WIDTH, PAGE_HEIGHT = 595.2756, 841.8898  # A4 in points
MARGIN = 40.0
RIGHT = PAGE_WIDTH - MARGIN

SIGNATURE_BOX: tuple[int, int, int, int] = (326, 106, 547, 178)
"""(x1, y1, x2, y2) in points, last page: where the signature's visible stamp goes."""

SIGNATURE_NOTE = GENERIC_NOTE
"""The legend when the document does not say what signs it (`ReceiptDocument.signature_note`)."""

QR_MAX_MODULES_AT_M = 77
"""Version 15: one permit's URL and token at correction level M (15%) print at ~0.43 mm a module
in the 104-point square; longer payloads (carts of permits) drop to level L (7%). docs/verification.md."""

_BAND_HEIGHT = 104.0
_STRIP_HEIGHT = 4.0
_FOOTER_TOP = 62.0
_CLOSING_TOP = 226.0  # the verification and signature blocks live below this line
_PAYMENT_BLOCK_HEIGHT = 84.0
_TOTAL_ROW_HEIGHT = 30.0

_GREY = (0.36, 0.38, 0.42)
_LIGHT_GREY = (0.86, 0.87, 0.89)
_TEXT = (0.12, 0.13, 0.16)

_REGULAR, _BOLD, _ITALIC = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"


@dataclass(frozen=True)
class _ItemLayout:
    item: ReceiptItem
    description_lines: tuple[str, ...]
    height: float


def build_receipt_pdf(document: ReceiptDocument) -> bytes:
    """Draw `document` as a PDF and return its bytes (deterministic for the same document)."""
    from reportlab import rl_config
    from reportlab.pdfgen.canvas import Canvas

    # ASCII85 only inflates binary streams, and reportlab's encoder is pure Python (a third of
    # the build time). A process-wide setting: the receipts are the worker's only reportlab use.
    rl_config.useA85 = 0
    matrix = qr_matrix(document.qr_payload or document.verify_url, level="M")
    if len(matrix) > QR_MAX_MODULES_AT_M:  # a cart of several permits: trade correction for module size
        matrix = qr_matrix(document.qr_payload or document.verify_url, level="L")
    items = [_layout_item(item) for item in document.items]
    pages = _paginate(items, closing_height=_closing_height(document))

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1, invariant=1)
    canvas.setTitle(f"Comprobante de pago {document.folio}")
    canvas.setAuthor(document.municipality.legal_name)
    canvas.setSubject(f"Comprobante de pago folio {document.folio}")
    canvas.setCreator("SEM · Plataforma de Servicios Municipales")
    logo = _logo_reader(document.branding.logo_png or default_logo_png())

    for page_number, page_items in enumerate(pages, start=1):
        first, last = page_number == 1, page_number == len(pages)
        y = _draw_header(canvas, document, logo)
        y = _draw_title(canvas, document, y, continued=not first)
        if first:
            y = _draw_payer(canvas, document, y)
        y = _draw_items(canvas, document, page_items, y, header=True)
        if last:
            y = _draw_total(canvas, document, y)
            y = _draw_payment(canvas, document, y)
            _draw_verification(canvas, document, matrix)
            _draw_signature_area(canvas, document)
        else:
            _text(canvas, RIGHT, y - 14, "Continúa en la página siguiente", _ITALIC, 8, _GREY, align="right")
        _draw_footer(canvas, document, page_number, len(pages))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# -- layout -------------------------------------------------------------------------------------

_DESCRIPTION_WIDTH = 360.0
_ITEM_FONT_SIZE = 10.0
_BREAKDOWN_FONT_SIZE = 8.5
_BREAKDOWN_LINE = 12.0


def _layout_item(item: ReceiptItem) -> _ItemLayout:
    from reportlab.lib.utils import simpleSplit

    lines = tuple(simpleSplit(item.description, _BOLD, _ITEM_FONT_SIZE, _DESCRIPTION_WIDTH)) or ("",)
    height = 10 + 13 * len(lines) + _BREAKDOWN_LINE * len(item.breakdown) + 6
    return _ItemLayout(item=item, description_lines=lines, height=height)


_TABLE_OVERHEAD = 46.0  # section title and the table's header row


def _closing_height(document: ReceiptDocument) -> float:
    """Height of what follows the items on the last page: total, notes and payment data."""
    total = 8 + _TOTAL_ROW_HEIGHT + 12 * len(document.extra_notes) + 4
    return total + 24 + _PAYMENT_BLOCK_HEIGHT - 8


def _paginate(items: list[_ItemLayout], *, closing_height: float) -> list[list[_ItemLayout]]:
    """Split the items over pages; the last page must also hold the closing blocks, above the
    verification and signature area."""

    def room(page_index: int) -> float:
        return _items_top(first=page_index == 0) - _TABLE_OVERHEAD

    pages: list[list[_ItemLayout]] = [[]]
    left = room(0) - (_FOOTER_TOP + 26)
    for item in items:
        if pages[-1] and item.height > left:
            pages.append([])
            left = room(len(pages) - 1) - (_FOOTER_TOP + 26)
        pages[-1].append(item)
        left -= item.height

    def closes(page_index: int) -> bool:
        used = sum(item.height for item in pages[page_index])
        return room(page_index) - used - closing_height >= _CLOSING_TOP

    while not closes(len(pages) - 1):
        moved: list[_ItemLayout] = []
        while pages[-1] and not closes(len(pages) - 1):
            moved.insert(0, pages[-1].pop())
        if not moved:
            break  # the closing blocks alone do not fit: draw them anyway rather than loop
        pages.append(moved)
    return pages


def _items_top(*, first: bool) -> float:
    """Where the items section starts: under the title, and on page 1 under the payer too."""
    title_bottom = PAGE_HEIGHT - _BAND_HEIGHT - _STRIP_HEIGHT - 86
    return title_bottom - (48 if first else 0)


# -- drawing ------------------------------------------------------------------------------------

def _draw_header(canvas: Any, document: ReceiptDocument, logo: Any) -> float:
    municipality, branding = document.municipality, document.branding
    band_bottom = PAGE_HEIGHT - _BAND_HEIGHT
    canvas.setFillColor(_hex(branding.primary_color))
    canvas.rect(0, band_bottom, PAGE_WIDTH, _BAND_HEIGHT, stroke=0, fill=1)
    canvas.setFillColor(_hex(branding.secondary_color))
    canvas.rect(0, band_bottom - _STRIP_HEIGHT, PAGE_WIDTH, _STRIP_HEIGHT, stroke=0, fill=1)

    logo_box = 78.0
    logo_x, logo_y = MARGIN, band_bottom + (_BAND_HEIGHT - logo_box) / 2
    canvas.setFillColorRGB(1, 1, 1)
    canvas.roundRect(logo_x, logo_y, logo_box, logo_box, 6, stroke=0, fill=1)
    pad = 7.0
    canvas.drawImage(logo, logo_x + pad, logo_y + pad, logo_box - 2 * pad, logo_box - 2 * pad,
                     preserveAspectRatio=True, anchor="c", mask="auto")

    text_x = logo_x + logo_box + 16
    width = RIGHT - text_x
    top = PAGE_HEIGHT - 34
    size = _fit(municipality.name, _BOLD, 19, width)
    _text(canvas, text_x, top, municipality.name, _BOLD, size, (1, 1, 1))
    _text(canvas, text_x, top - 18, _clip(municipality.legal_name, _REGULAR, 10, width), _REGULAR, 10,
          (1, 1, 1))
    place = f"{municipality.address} · {municipality.region}"
    _text(canvas, text_x, top - 32, _clip(place, _REGULAR, 8.5, width), _REGULAR, 8.5, (0.9, 0.92, 0.95))
    if branding.header_text:
        _text(canvas, text_x, top - 50, _clip(branding.header_text, _ITALIC, 8.5, width), _ITALIC, 8.5,
              (0.9, 0.92, 0.95))
    return band_bottom - _STRIP_HEIGHT


def _draw_title(canvas: Any, document: ReceiptDocument, y: float, *, continued: bool) -> float:
    primary = _hex(document.branding.primary_color)
    title_y = y - 40
    canvas.setFillColor(primary)
    canvas.setFont(_BOLD, 20)
    canvas.drawString(MARGIN, title_y, document.title)
    subtitle = "Continuación" if continued else "Pago en línea de servicios municipales"
    _text(canvas, MARGIN, title_y - 16, subtitle, _REGULAR, 9, _GREY)

    box_w, box_h = 200.0, 62.0
    box_x, box_y = RIGHT - box_w, y - 18 - box_h
    canvas.setFillColor(_tint(document.branding.primary_color, 0.93))
    canvas.setStrokeColor(_hex(document.branding.secondary_color))
    canvas.setLineWidth(1)
    canvas.roundRect(box_x, box_y, box_w, box_h, 4, stroke=1, fill=1)
    inner = box_x + 12
    _text(canvas, inner, box_y + box_h - 14, "FOLIO N°", _BOLD, 7, _GREY)
    canvas.setFillColor(primary)
    canvas.setFont(_BOLD, 13)
    canvas.drawString(inner, box_y + box_h - 29, document.folio)
    _text(canvas, inner, box_y + 20, "FECHA Y HORA DE EMISIÓN", _BOLD, 7, _GREY)
    _text(canvas, inner, box_y + 8, _issued_text(document), _REGULAR, 9, _TEXT)
    return y - 86


def _draw_payer(canvas: Any, document: ReceiptDocument, y: float) -> float:
    y = _section(canvas, document, "DATOS DEL CONTRIBUYENTE", y)
    _label_value(canvas, MARGIN, y - 14, "Nombre o razón social",
                 _clip(document.payer_name, _BOLD, 10, 330))
    _label_value(canvas, 400, y - 14, "RUT", document.payer_rut)
    return y - 48


def _draw_items(canvas: Any, document: ReceiptDocument, items: list[_ItemLayout], y: float,
                *, header: bool) -> float:
    y = _section(canvas, document, "DETALLE DEL PAGO", y)
    row_h = 18.0
    canvas.setFillColor(_tint(document.branding.primary_color, 0.88))
    canvas.rect(MARGIN, y - row_h - 4, RIGHT - MARGIN, row_h, stroke=0, fill=1)
    _text(canvas, MARGIN + 8, y - 16, "Concepto", _BOLD, 8.5, _TEXT)
    _text(canvas, 470, y - 16, "Detalle", _BOLD, 8.5, _TEXT, align="right")
    _text(canvas, RIGHT - 8, y - 16, "Monto", _BOLD, 8.5, _TEXT, align="right")
    y -= row_h + 4
    for layout in items:
        line_y = y - 14
        for index, line in enumerate(layout.description_lines):
            _text(canvas, MARGIN + 8, line_y, line, _BOLD, _ITEM_FONT_SIZE, _TEXT)
            if index == 0:
                _text(canvas, RIGHT - 8, line_y, format_clp(layout.item.amount), _BOLD, _ITEM_FONT_SIZE,
                      _TEXT, align="right")
            line_y -= 13
        for label, value in layout.item.breakdown:
            _text(canvas, MARGIN + 20, line_y + 1, _clip(label, _REGULAR, _BREAKDOWN_FONT_SIZE, 300),
                  _REGULAR, _BREAKDOWN_FONT_SIZE, _GREY)
            _text(canvas, 470, line_y + 1, value, _REGULAR, _BREAKDOWN_FONT_SIZE, _GREY, align="right")
            line_y -= _BREAKDOWN_LINE
        y -= layout.height
        canvas.setStrokeColorRGB(*_LIGHT_GREY)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, y, RIGHT, y)
    return y


def _draw_total(canvas: Any, document: ReceiptDocument, y: float) -> float:
    y -= 8
    canvas.setFillColor(_hex(document.branding.primary_color))
    canvas.rect(MARGIN + 250, y - _TOTAL_ROW_HEIGHT + 8, RIGHT - MARGIN - 250, _TOTAL_ROW_HEIGHT - 4,
                stroke=0, fill=1)
    _text(canvas, MARGIN + 262, y - 12, "TOTAL PAGADO", _BOLD, 10, (1, 1, 1))
    _text(canvas, RIGHT - 10, y - 13, format_clp(document.total), _BOLD, 14, (1, 1, 1), align="right")
    y -= _TOTAL_ROW_HEIGHT
    for note in document.extra_notes:
        _text(canvas, MARGIN, y, _clip(note, _ITALIC, 8.5, RIGHT - MARGIN), _ITALIC, 8.5, _GREY)
        y -= 12
    return y - 4


def _draw_payment(canvas: Any, document: ReceiptDocument, y: float) -> float:
    gateway = document.gateway
    y = _section(canvas, document, "DATOS DEL PAGO", y)
    _label_value(canvas, MARGIN, y - 14, "Medio de pago", _clip(gateway.payment_method, _BOLD, 10, 230))
    _label_value(canvas, 300, y - 14, "Recaudador", _clip(gateway.collector, _BOLD, 10, 250))
    _label_value(canvas, MARGIN, y - 44, "Referencia TGR", gateway.reference)
    _label_value(canvas, 300, y - 44, "Código de autorización", gateway.authorization_code)
    return y - _PAYMENT_BLOCK_HEIGHT + 8


def _draw_verification(canvas: Any, document: ReceiptDocument, matrix: Any) -> None:
    from reportlab.lib.utils import simpleSplit

    x, bottom, top = MARGIN, 78.0, _CLOSING_TOP - 16
    width = 262.0
    _box(canvas, x, bottom, width, top - bottom)
    _text(canvas, x + 10, top - 14, "VERIFICACIÓN DEL COMPROBANTE", _BOLD, 7.5,
          _hex(document.branding.primary_color))
    qr_size = 104.0  # a version-15 symbol (URL + token, level M) at ~0.43 mm per module
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x + 6, bottom + 6, qr_size, qr_size, stroke=0, fill=1)
    draw_qr(canvas, matrix, x + 6, bottom + 6, qr_size)

    text_x = x + qr_size + 12
    text_w = x + width - 8 - text_x
    _text(canvas, text_x, top - 34, "Código de verificación", _REGULAR, 7.5, _GREY)
    code_size = _fit(document.verification_code, "Courier-Bold", 12, text_w)
    _text(canvas, text_x, top - 49, document.verification_code, "Courier-Bold", code_size, _TEXT)
    line_y: float = top - 66
    for line in simpleSplit("Verifique la autenticidad escaneando el código QR o en:", _REGULAR, 7,
                            text_w):
        _text(canvas, text_x, line_y, line, _REGULAR, 7, _GREY)
        line_y -= 9
    for line in _split_url(document.verify_url, _REGULAR, 6.5, text_w)[:4]:
        _text(canvas, text_x, line_y, line, _REGULAR, 6.5, _TEXT)
        line_y -= 8


def _draw_signature_area(canvas: Any, document: ReceiptDocument) -> None:
    from reportlab.lib.utils import simpleSplit

    x1, y1, x2, _ = SIGNATURE_BOX
    x1, x2 = x1 - 8, x2 + 8
    bottom, top = 78.0, _CLOSING_TOP - 16
    _box(canvas, x1, bottom, x2 - x1, top - bottom)
    _text(canvas, x1 + 10, top - 14, "FIRMA ELECTRÓNICA", _BOLD, 7.5, _hex(document.branding.primary_color))
    _text(canvas, x1 + 10, top - 26, _clip(document.municipality.legal_name, _REGULAR, 7,
                                           x2 - x1 - 20), _REGULAR, 7, _GREY)
    line_y: float = y1 - 9
    for line in simpleSplit(document.signature_note or SIGNATURE_NOTE, _REGULAR, 6, x2 - x1 - 20)[:3]:
        _text(canvas, x1 + 10, line_y, line, _REGULAR, 6, _GREY)
        line_y -= 7.5


def _draw_footer(canvas: Any, document: ReceiptDocument, page: int, pages: int) -> None:
    canvas.setStrokeColor(_hex(document.branding.secondary_color))
    canvas.setLineWidth(0.8)
    canvas.line(MARGIN, _FOOTER_TOP - 4, RIGHT, _FOOTER_TOP - 4)
    if document.branding.footer_text:
        _text(canvas, PAGE_WIDTH / 2, _FOOTER_TOP - 18,
              _clip(document.branding.footer_text, _REGULAR, 7.5, RIGHT - MARGIN), _REGULAR, 7.5, _GREY,
              align="center")
    _text(canvas, MARGIN, _FOOTER_TOP - 32,
          f"Emitido por SEM · Plataforma de Servicios Municipales · Folio {document.folio}",
          _REGULAR, 7, _GREY)
    _text(canvas, RIGHT, _FOOTER_TOP - 32, f"Página {page} de {pages}", _REGULAR, 7, _GREY, align="right")


# -- helpers ------------------------------------------------------------------------------------

def _section(canvas: Any, document: ReceiptDocument, title: str, y: float) -> float:
    y -= 18
    _text(canvas, MARGIN, y, title, _BOLD, 8, _hex(document.branding.primary_color))
    canvas.setStrokeColor(_hex(document.branding.secondary_color))
    canvas.setLineWidth(1.2)
    canvas.line(MARGIN, y - 5, RIGHT, y - 5)
    return y - 6


def _label_value(canvas: Any, x: float, y: float, label: str, value: str) -> None:
    _text(canvas, x, y, label, _REGULAR, 7.5, _GREY)
    _text(canvas, x, y - 13, value, _BOLD, 10, _TEXT)


def _box(canvas: Any, x: float, y: float, width: float, height: float) -> None:
    canvas.setStrokeColorRGB(*_LIGHT_GREY)
    canvas.setLineWidth(0.8)
    canvas.roundRect(x, y, width, height, 4, stroke=1, fill=0)


def _text(canvas: Any, x: float, y: float, text: str, font: str, size: float,
          colour: Any, *, align: str = "left") -> None:
    if isinstance(colour, tuple):
        canvas.setFillColorRGB(*colour)
    else:
        canvas.setFillColor(colour)
    canvas.setFont(font, size)
    if align == "right":
        canvas.drawRightString(x, y, text)
    elif align == "center":
        canvas.drawCentredString(x, y, text)
    else:
        canvas.drawString(x, y, text)


def _issued_text(document: ReceiptDocument) -> str:
    issued = document.issued_at
    offset = issued.strftime("%z")
    return f"{format_date(issued.date())} {issued.strftime('%H:%M:%S')} (UTC{offset[:3]}:{offset[3:]})"


def _fit(text: str, font: str, size: float, width: float, minimum: float = 7.0) -> float:
    """The largest font size ≤ `size` at which `text` fits in `width`."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    natural = float(stringWidth(text, font, size))
    if natural <= width:
        return size
    return max(minimum, size * width / natural)


def _clip(text: str, font: str, size: float, width: float) -> str:
    """`text` cut with an ellipsis to fit `width` (names on a receipt must never overflow a box)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _split_url(url: str, font: str, size: float, width: float) -> list[str]:
    """A URL broken anywhere (it has no spaces) into lines that fit `width`."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    current = ""
    for char in url:
        if current and stringWidth(current + char, font, size) > width:
            lines.append(current)
            current = ""
        current += char
    if current:
        lines.append(current)
    return lines


def _hex(value: str) -> Any:
    from reportlab.lib.colors import HexColor

    return HexColor(value)


def _tint(value: str, whiteness: float) -> Any:
    """`value` mixed with white (`whiteness` 0 = the colour, 1 = white)."""
    from reportlab.lib.colors import Color

    red, green, blue = (int(value[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return Color(*(channel + (1 - channel) * whiteness for channel in (red, green, blue)))


_LOGO_CACHE: dict[bytes, Any] = {}


def _logo_reader(png: bytes) -> Any:
    """A reportlab image for the logo; decoded once per process per logo (few distinct logos)."""
    from reportlab.lib.utils import ImageReader

    reader = _LOGO_CACHE.get(png)
    if reader is None:
        if len(_LOGO_CACHE) >= 16:
            _LOGO_CACHE.clear()
        reader = ImageReader(io.BytesIO(png))
        _LOGO_CACHE[png] = reader
    return reader

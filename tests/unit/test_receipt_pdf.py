"""The receipt PDF: what it shows, its QR, pagination, branding defaults and import discipline."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import shutil
import subprocess
import sys
import zlib
from datetime import datetime
from pathlib import Path

import pytest

from chalicelib.documents.branding import branding_with_defaults, default_branding, default_logo_png
from chalicelib.documents.qr import qr_matrix
from chalicelib.documents.receipt_model import Branding, ReceiptItem
from chalicelib.documents.receipt_pdf import build_receipt_pdf
from chalicelib.documents.receipt_sample import sample_document

ROOT = Path(__file__).resolve().parents[2]


def page_text(pdf: bytes) -> str:
    """The strings shown by the content streams (Flate-decoded), joined: enough to find what a
    reader sees, without a PDF library."""
    shown: list[str] = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = match.group(1)
        with contextlib.suppress(zlib.error):  # not every stream is compressed
            data = zlib.decompressobj().decompress(data)
        shown += [unescape(s) for s in re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", data)]
    return "\n".join(shown)


def unescape(literal: bytes) -> str:
    """A PDF literal string's text (octal and backslash escapes; WinAnsi ≈ cp1252)."""
    raw = re.sub(rb"\\([0-7]{1,3}|.)",
                 lambda m: bytes([int(m.group(1), 8)]) if m.group(1).isdigit() else m.group(1), literal)
    return raw.decode("cp1252")


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_receipt_shows_folio_payer_items_total_gateway_and_verification():
    document = sample_document()
    pdf = build_receipt_pdf(document)

    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 1
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf
    text = page_text(pdf)
    for expected in ("COMPROBANTE DE PAGO", "13101-2027-000123", "$84.312", "K7P3-9XQ2-M4RT",
                     "12.345.678-5", "TGR-2027-03-31-7781204", "583920", "31-03-2027 14:05:09 (UTC-03:00)",
                     "$8.500.000", "TOTAL PAGADO", "Municipalidad de Santiago", "Página 1 de 1"):
        assert expected in text, expected


def test_same_document_same_bytes():
    document = sample_document()
    assert build_receipt_pdf(document) == build_receipt_pdf(document)


@pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
                    reason="needs poppler-utils and zbar-tools")
def test_qr_on_the_page_decodes_to_the_verify_url(tmp_path):
    document = sample_document()
    (tmp_path / "r.pdf").write_bytes(build_receipt_pdf(document))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "r.pdf"),
                    str(tmp_path / "r")], check=True)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "r.png")],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert decoded == document.verify_url


def test_qr_matrix_is_a_square_symbol_of_a_valid_version():
    matrix = qr_matrix(sample_document().verify_url)
    size = len(matrix)
    assert all(len(row) == size for row in matrix)
    assert (size - 17) % 4 == 0
    # the three finder patterns' corners are dark
    assert matrix[0][0]
    assert matrix[0][size - 1]
    assert matrix[size - 1][0]


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_qr_codewords_are_reportlabs(level):
    """The fast error correction gives exactly reportlab's codewords, across versions and levels."""
    import random
    import string

    from reportlab.graphics.barcode import qrencoder

    from chalicelib.documents.qr import _codewords

    rnd = random.Random(level)
    for length in [*range(1, 60), *rnd.sample(range(60, 700), 40)]:
        text = "".join(rnd.choice(string.ascii_letters + string.digits + "/?=&:.-") for _ in range(length))
        code = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
        code.addData(text)
        code.version = code.calculate_version()
        expected = qrencoder.QRCode.createData(code.version, code.errorCorrectLevel, code.dataList)
        assert _codewords(code.version, code.errorCorrectLevel, code.dataList) == list(expected), (length, level)


def test_many_items_flow_onto_more_pages_with_the_total_on_the_last():
    base = sample_document()
    items = tuple(ReceiptItem(description=f"Derechos de aseo · cuota {n}", amount=1_000,
                              breakdown=(("Periodo", f"{n:02d}-2027"), ("Tarifa", "$1.000")))
                  for n in range(1, 41))
    document = dataclasses.replace(base, items=items, total=40_000)
    pdf = build_receipt_pdf(document)
    pages = page_count(pdf)
    assert pages >= 2
    text = page_text(pdf)
    assert f"Página {pages} de {pages}" in text
    assert "Continúa en la página siguiente" in text
    assert "$40.000" in text
    assert all(f"cuota {n}" in text for n in range(1, 41))


def test_branding_falls_back_to_defaults_and_accepts_a_logo():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, format="PNG")
    branding = branding_with_defaults({"primary_color": "#7A1F2B", "header_text": ""}, buffer.getvalue())
    assert branding.primary_color == "#7A1F2B"
    assert branding.secondary_color == default_branding().secondary_color
    assert branding.header_text == default_branding().header_text
    assert branding_with_defaults({}).logo_png == default_logo_png()
    pdf = build_receipt_pdf(sample_document(branding=branding))
    assert page_count(pdf) == 1


def test_bad_input_is_refused():
    base = sample_document()
    with pytest.raises(ValueError, match="total"):
        dataclasses.replace(base, total=base.total + 1)
    with pytest.raises(ValueError, match="offset"):
        dataclasses.replace(base, issued_at=datetime(2027, 3, 31, 14, 5))
    with pytest.raises(ValueError, match="#RRGGBB"):
        Branding(primary_color="blue", secondary_color="#FFFFFF")


def test_importing_receipts_and_signing_loads_neither_reportlab_nor_pyhanko():
    code = (
        "import sys\n"
        "import chalicelib.documents.receipt_pdf, chalicelib.documents.receipt_sample, chalicelib.signing.ca\n"
        "import chalicelib.signing.pades, chalicelib.signing.verify\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'reportlab', 'pyhanko', 'asn1crypto'})\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"

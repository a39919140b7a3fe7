"""QR codes for receipts: encoded once, drawn as one filled path.

reportlab's `QrCodeWidget` encodes the data again on every `getBounds()` and `draw()`, and its
encoder tries all eight mask patterns (eight full encodings plus a pure-Python penalty score)
before keeping one: about 30 ms per call on the machines here, most of a receipt's build time.
Any of the eight masks makes a valid symbol (the decoder reads the mask from the format bits);
the penalty score only nudges readability. So the code is encoded exactly once with a fixed
mask (~5 ms), and the matrix is drawn as one path of horizontal runs. Decoding is checked in the
tests with zbar when it is installed.
"""

from __future__ import annotations

from typing import Any

QUIET_ZONE = 4
"""Modules of white margin the standard asks for around the symbol."""

_MASK_PATTERN = 2
"""Mask 2 (column stripes) — any of 0..7 is valid; this one decoded reliably in our checks."""

Matrix = tuple[tuple[bool, ...], ...]


def qr_matrix(text: str, *, level: str = "M") -> Matrix:
    """The modules (True = dark) of the smallest QR symbol holding `text` at correction `level`."""
    from reportlab.graphics.barcode import qrencoder

    code: Any = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
    code.addData(text)
    code.version = code.calculate_version()
    code.makeImpl(False, _MASK_PATTERN)
    return tuple(tuple(bool(cell) for cell in row) for row in code.modules)


def draw_qr(canvas: Any, matrix: Matrix, x: float, y: float, size: float) -> None:
    """Draw `matrix` in the square (x, y, size) of a reportlab canvas, quiet zone included.

    The dark runs of each row become rectangles of one path in module units (integers, written
    straight into the content stream: reportlab's per-number float formatting is pure Python and
    a QR has hundreds of runs), scaled to size by the transformation matrix.
    """
    count = len(matrix)
    module = size / (count + 2 * QUIET_ZONE)
    operators: list[str] = []
    for row_index, row in enumerate(matrix):
        column = 0
        while column < count:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < count and row[column]:
                column += 1
            # Height 1.02: a hair of overlap hides the seams some viewers draw between rows.
            operators.append(f"{start} {row_index} {column - start} 1.02 re")
    canvas.saveState()
    # Origin at the top-left module, y growing downwards like the matrix rows.
    canvas.translate(x + QUIET_ZONE * module, y + size - QUIET_ZONE * module)
    canvas.scale(module, -module)
    canvas.addLiteral("0 g\n" + "\n".join(operators) + "\nf")
    canvas.restoreState()

"""QR codes for receipts: encoded once, drawn as one filled path.

reportlab's `QrCodeWidget` encodes the data again on every `getBounds()` and `draw()`, and its
encoder tries all eight mask patterns (eight full encodings plus a pure-Python penalty score)
before keeping one: about 30 ms per call on the machines here, most of a receipt's build time.
Any of the eight masks makes a valid symbol (the decoder reads the mask from the format bits);
the penalty score only nudges readability. So the code is encoded exactly once with a fixed
mask, and the matrix is drawn as one path of horizontal runs. Decoding is checked in the tests
with zbar when it is installed.

Of that one encoding, reportlab spent most of the time on the Reed–Solomon error correction:
it rebuilds the generator polynomial for every block and divides with list-building polynomial
objects (~5 ms of a ~19 ms receipt build). `_codewords` computes the same codewords with
GF(256) log tables and cached generators (tests compare it with reportlab's on many payloads),
and reportlab only places them (`makeImpl` uses a `dataCache` it finds already set).
"""

from __future__ import annotations

from functools import cache
from itertools import chain, zip_longest
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
    code.dataCache = _codewords(code.version, code.errorCorrectLevel, code.dataList)
    code.makeImpl(False, _MASK_PATTERN)
    return tuple(tuple(bool(cell) for cell in row) for row in code.modules)


def _codewords(version: int, level: int, data_list: list[Any]) -> list[int]:
    """The symbol's data and error-correction codewords, interleaved: what reportlab's
    `QRCode.createData` returns, with the error correction computed by `_ecc`."""
    from reportlab.graphics.barcode import qrencoder

    blocks = qrencoder.QRRSBlock.getRSBlocks(version, level)
    buffer = qrencoder.QRBitBuffer()
    for data in data_list:
        data.write(buffer, version)
    capacity = 8 * sum(block.dataCount for block in blocks)
    if buffer.getLengthInBits() > capacity:
        raise ValueError(f"QR data too long ({buffer.getLengthInBits()} > {capacity} bits)")
    if buffer.getLengthInBits() + 4 <= capacity:
        buffer.put(0, 4)  # terminator
    while buffer.getLengthInBits() % 8:
        buffer.putBit(False)
    while buffer.getLengthInBits() < capacity:  # pad codewords, alternating
        buffer.put(0xEC, 8)
        if buffer.getLengthInBits() < capacity:
            buffer.put(0x11, 8)
    codewords: list[int] = buffer.buffer
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        chunk = codewords[offset:offset + block.dataCount]
        offset += block.dataCount
        data_blocks.append(chunk)
        ec_blocks.append(_ecc(chunk, block.totalCount - block.dataCount))
    return [c for group in chain(zip_longest(*data_blocks), zip_longest(*ec_blocks)) for c in group if c is not None]


def _gf_tables() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """GF(256) antilog (doubled, so sums of logs need no modulo) and log tables, polynomial 0x11d."""
    exp, log, x = [0] * 512, [0] * 256, 1
    for i in range(255):
        exp[i], log[x] = x, i
        x <<= 1
        if x & 0x100:
            x ^= 0x11D
    for i in range(255, 512):
        exp[i] = exp[i - 255]
    return tuple(exp), tuple(log)


_EXP, _LOG = _gf_tables()


@cache
def _generator(degree: int) -> tuple[int, ...]:
    """Coefficients (highest first, leading 1) of the product of (x - α^i) for i < `degree`."""
    poly = [1]
    for i in range(degree):
        product = [*poly, 0]
        for j, coefficient in enumerate(poly):
            if coefficient:
                product[j + 1] ^= _EXP[_LOG[coefficient] + i]
        poly = product
    return tuple(poly)


def _ecc(data: list[int], degree: int) -> list[int]:
    """The `degree` Reed–Solomon error-correction codewords of `data`: the remainder of
    data(x)·x^degree divided by the generator polynomial."""
    generator = _generator(degree)[1:]
    remainder = [0] * degree
    for value in data:
        factor = value ^ remainder[0]
        del remainder[0]
        remainder.append(0)
        if factor:
            shift = _LOG[factor]
            for j, coefficient in enumerate(generator):
                if coefficient:
                    remainder[j] ^= _EXP[shift + _LOG[coefficient]]
    return remainder


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

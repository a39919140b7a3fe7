"""The refund order (orden de devolución) an official signs to give a payment's money back: which
payment, which items and amount, why, and to whom — the document TGR receives the hash of.
Drawn like the other signed documents (`documents.py`), with the signature box at the bottom."""

from __future__ import annotations

from typing import Any

from chalicelib.documents.signed_pdfs import BATCH_BOX, MARGIN, WIDTH, _Writer, pesos

REFUND_BOX = BATCH_BOX


def refund_order_pdf(order: dict[str, Any], *, municipality: str, generated_at: str) -> bytes:
    """One refund order: payment, collected amount, items returned, reason, payer (name, masked RUT)."""
    w = _Writer(f"ORDEN DE DEVOLUCIÓN {order['refund_id']}", municipality,
                f"SEM · devolución {order['refund_id']} del pago {order['payment_id']} · generada el {generated_at}")
    w.paragraph("Orden de devolución al contribuyente de un pago recibido en línea a través de la plataforma SEM "
                "y la Tesorería General de la República (TGR). Al firmarla con firma electrónica avanzada, el "
                "funcionario autoriza que la TGR devuelva el monto indicado al medio de pago original (Código "
                "Civil art. 2295, pago de lo no debido; Ley 19.799).")
    w.heading("Pago")
    columns = [MARGIN, WIDTH - MARGIN]
    for label, value in (("Identificador del pago", str(order["payment_id"])),
                         ("Orden TGR", str(order.get("order_id") or "")),
                         ("Pagado el", str(order.get("paid_at") or "")),
                         ("Monto recaudado", pesos(int(order["collected"]))),
                         ("Devuelto antes", pesos(int(order.get("refunded_before", 0)))),
                         ("Pagador", str(order.get("payer") or ""))):
        w.row([label, value], columns)
    w.heading("Ítems devueltos" if order.get("items") else "Devolución")
    for item in order.get("items", []):
        w.row([str(item["description"])[:90], pesos(int(item["amount"]))], columns)
    w.row(["Monto de esta devolución", pesos(int(order["amount"]))], columns, bold=True)
    w.heading("Motivo")
    w.paragraph(f"{order['reason_text']}. {order.get('note') or ''}".strip())
    w.paragraph(f"Propuesta por {order['proposed_by']} el {order['proposed_at']}.", 8)
    w.signature_boxes([(REFUND_BOX, "Firma de quien autoriza la devolución")])
    return w.finish()


ANNULMENT_BOX = (326, 106, 547, 178)
"""Where the municipality's unattended signer stamps (`receipt_pdf.SIGNATURE_BOX`: ReceiptSigner signs there)."""


def annulment_pdf(doc: dict[str, Any], *, municipality: str, generated_at: str) -> bytes:
    """A comprobante de anulación (whole refund or reversal: the receipt no longer proves payment)
    or a nota de crédito (a partial refund: what was returned of the receipt), with its own folio."""
    title = "COMPROBANTE DE ANULACIÓN" if doc["whole"] else "NOTA DE CRÉDITO"
    w = _Writer(f"{title} {doc['folio']}", municipality,
                f"SEM · {title.lower()} {doc['folio']} · emitido el {generated_at}")
    if doc["whole"]:
        w.paragraph(f"Se anula el comprobante de pago folio {doc.get('receipt_folio') or '(no emitido)'}: el monto "
                    "pagado fue devuelto al contribuyente o reversado por el medio de pago. El comprobante anulado "
                    "no acredita el pago, y los ítems vuelven a estar impagos.")
    else:
        w.paragraph(f"Se devolvió parte de lo pagado con el comprobante folio {doc.get('receipt_folio') or '—'}; el "
                    "comprobante sigue acreditando el resto. Los ítems devueltos vuelven a estar impagos.")
    columns = [MARGIN, WIDTH - MARGIN]
    w.heading("Detalle")
    for label, value in (("Folio de este documento", str(doc["folio"])),
                         ("Comprobante de pago", str(doc.get("receipt_folio") or "—")),
                         ("Pago", str(doc["payment_id"])),
                         ("Contribuyente", str(doc.get("payer") or "")),
                         ("Motivo", str(doc["reason"])),
                         ("Fecha de la devolución o reversa", str(doc["at"]))):
        w.row([label, value[:95]], columns)
    for item in doc.get("items", []):
        w.row([str(item["description"])[:90], pesos(int(item["amount"]))], columns)
    w.row(["Monto devuelto", pesos(int(doc["amount"]))], columns, bold=True)
    w.signature_boxes([(ANNULMENT_BOX, "Firma electrónica avanzada de la municipalidad")])
    return w.finish()

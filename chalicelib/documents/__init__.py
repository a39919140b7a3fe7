"""The documents the platform draws: what a citizen or an official reads, on paper or by e-mail.

- `receipt_model.py`, `receipt_content.py`, `receipt_pdf.py`, `qr.py`, `branding.py`: the receipt
  (comprobante de pago) — its data, how a paid payment maps onto it, its PDF, its QR and its look;
  `receipt_sample.py` a realistic sample for tests, the benchmark and previews;
- `refund_pdfs.py`: the refund order and the annulment document (comprobante de anulación / nota de crédito);
- `signed_pdfs.py`: the PDFs officials sign (the daily batch, its corrections, an agreement);
- `report_pdf.py`: the central operation report;
- `emails.py`: the e-mails (receipt, annulment, reminder) rendered in Spanish.

Documents draw; they never sign (`chalicelib/signing/`) nor store or send (adapters). Import cost is
nil: reportlab and Jinja2 are imported inside the functions that use them.
"""

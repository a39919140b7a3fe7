"""Receipts (comprobantes de pago): the data a receipt shows and its PDF.

Import cost is nil: reportlab is imported inside the functions that draw (see `pdf.py`).
"""

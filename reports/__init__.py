"""Printable reports: a unit's monthly and quarterly report as an A4 PDF (docs/reports.md)."""

"""Shared helpers of the customer-analysis workbook: one module per analysis step."""

__version__ = "0.1.0"

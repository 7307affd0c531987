"""Whole papers: the driver over pages (tables, figures, prose context) and the compile report."""

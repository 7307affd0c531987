"""Whole papers: the driver over pages, the compile report, and what the prose says."""

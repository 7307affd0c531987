"""Raster figures (PNG/JPEG pixels, or images in PDFs) -> `Diagram`, with OCR."""

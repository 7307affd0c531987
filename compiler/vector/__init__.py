"""Vector figures of PDF pages (drawing commands + text layer) -> `Diagram`."""

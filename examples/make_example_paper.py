"""Write a small example paper (our own text, table and figure) as a PDF, for `make demo`.

The paper describes a VGG-style network for 32 x 32 RGB images in prose, in a column-major
architecture table (two configurations, like VGG's Table 1), and in a box diagram drawn by
papercc's renderer. `papercc compile` should recover both configurations from the table,
and the figure's model, with the table supplying the details.

Usage: python examples/make_example_paper.py OUT.pdf
"""

from __future__ import annotations

import sys

import pymupdf

import papercc
from papercc.compiler.render.draw import render
from papercc.compiler.render.style import vertical

PROSE = (
    "1 Architecture. The input to our network is a fixed-size 32 × 32 RGB image. "
    "The image is passed through a stack of convolutional layers with 3 × 3 filters; "
    "the padding is 1 pixel for 3 × 3 conv. layers, so the spatial resolution is preserved. "
    "Max-pooling is performed over a 2 × 2 pixel window, with stride 2. All hidden layers "
    "are equipped with the rectification (ReLU) non-linearity. The network classifies "
    "images into 10 classes. Table 1 lists the two configurations; Figure 1 draws net B."
)

ROWS = [
    ("conv3-32", "conv3-32"),
    ("", "conv3-32"),
    ("maxpool", "maxpool"),
    ("conv3-64", "conv3-64"),
    ("", "conv3-64"),
    ("maxpool", "maxpool"),
    ("FC-256", "FC-256"),
    ("FC-10", "FC-10"),
    ("soft-max", "soft-max"),
]

FIGURE_MODEL = """
model b(x: f32[N, 3, 32, 32]) {
  x = maxpool2d(relu(conv2d(relu(conv2d(x, 32, kernel=3, padding=1)), 32, kernel=3, padding=1)), kernel=2)
  x = maxpool2d(relu(conv2d(relu(conv2d(x, 64, kernel=3, padding=1)), 64, kernel=3, padding=1)), kernel=2)
  return softmax(dense(relu(dense(flatten(x), 256)), 10))
}
"""


def main(out: str) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 60), "A Small Example Network", fontsize=16)
    page.insert_textbox(pymupdf.Rect(72, 80, 540, 190), PROSE, fontsize=9.5)
    # Table 1: one configuration per column, ruled top and bottom
    y = 230
    page.insert_text(
        (72, y - 18), "Table 1: Configurations of the network (in columns).", fontsize=9
    )
    page.draw_line((150, y - 8), (420, y - 8))
    page.insert_text((200, y + 4), "A", fontsize=9)
    page.insert_text((330, y + 4), "B", fontsize=9)
    page.draw_line((150, y + 9), (420, y + 9))
    for i, (a, b) in enumerate(ROWS):
        yy = y + 24 + i * 13
        if a:
            page.insert_text((185, yy), a, fontsize=9)
        page.insert_text((315, yy), b, fontsize=9)
    page.draw_line((150, y + 24 + len(ROWS) * 13 - 6), (420, y + 24 + len(ROWS) * 13 - 6))
    # Figure 1: net B drawn by the renderer, placed as vector drawings
    graph = papercc.check(papercc.parse(FIGURE_MODEL)).graphs["b"]
    fig = pymupdf.open(stream=render(graph, vertical(), "pdf").data, filetype="pdf")
    rect = pymupdf.Rect(180, 390, 430, 720)
    page.show_pdf_page(rect, fig, 0)
    page.insert_text((200, 736), "Figure 1: The architecture of network B.", fontsize=9)
    doc.save(out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "example_paper.pdf")

"""Text regions of a raster diagram: the label inside each box and free labels outside.

Box text is cut from inside the border and binarised locally (Otsu within the crop, so a
coloured or grey fill does not matter); anything touching the crop edge is border or a
neighbouring stroke and is dropped. Free labels are the small ink components left after
boxes are masked, grouped into blocks by a dilation scaled to the glyph height.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from papercc.compiler.raster.boxes import Box, IBox, grown
from papercc.compiler.raster.prep import Prepared


@dataclass(frozen=True)
class TextSettings:
    """The tunables of text finding and cropping. Units: pixels (px), glyph heights of
    the figure (glyphs), stroke widths (strokes), grey levels, fractions."""

    # a box's text crop
    min_crop_px: int = 3  # px; a box interior thinner than this holds no text
    min_contrast: int = 50  # grey levels between darkest and lightest: flatter holds no text
    max_text_share: float = 0.5  # fraction of the crop; more "ink" is a dark fill
    ring_extra_px: int = 1  # px beyond a stroke: a circle's ring, cut off its text crop
    corner_div: int = 3  # a rounded corner's arc lies in a square of (shorter side / this)
    min_glyph_area: int = 2  # px; a smaller component is a speck
    text_percentile: float = 10  # percentile of the glyphs' grey levels: the text's level
    crop_pad_px: int = 3  # px of background around the glyphs of a crop
    # a glyph cut by the crop's edge (a descender touching the border) among >= min_glyphs
    min_glyphs: int = 2  # glyphs not touching the edge to compare a cut one with
    cut_max_size: float = 1.6  # glyphs (their median height); larger is border
    cut_min_reach: float = 0.5  # glyphs; it reaches this far in from its side ...
    cut_min_rows: float = 0.5  # glyphs; ... shares this many rows with the glyphs ...
    cut_min_cols: float = 0.5  # glyphs; ... and columns (widened by one glyph each side)
    # a lone "+" (Tesseract misreads it)
    plus_min_px: int = 8  # px of ink at least
    plus_min_side: int = 5  # px; the bars are this long at least
    plus_aspect: tuple[float, float] = (0.6, 1.6)  # width / height
    plus_bar_length: float = 0.85  # fraction of the sign's extent each bar spans
    plus_centre_px: float = 1.0  # px; the bars cross this close to the middle ...
    plus_centre: float = 0.15  # fraction of the extent; ... or this close
    plus_bar_fill: float = 0.5  # fraction; rows (columns) this full are part of a bar
    plus_max_bar: float = 0.4  # fraction of the extent; a thicker bar is a blob
    plus_max_off_bars: float = 0.1  # fraction of the ink lying off the two bars
    # glyph height
    min_heights: int = 3  # box glyphs measured; with fewer, loose ink is measured too
    loose_height_div: int = 4  # loose components up to image height / this (+1) are glyphs
    min_glyph_h: int = 3  # px; shorter components are specks
    default_glyph_px: float = 8.0  # px; the glyph height when nothing is measured ...
    default_glyph_strokes: float = 6  # strokes; ... or this, if larger
    # free text (loose ink components that are glyph-like)
    near_box_px: int = 5  # px; a component this close to a box belongs to it
    glyph_max_long: float = 2.2  # glyphs; a longer component is no glyph
    speck_max: float = 0.25  # glyphs; a component this low and narrow is a speck
    glyph_max_h: float = 1.6  # glyphs; a taller component is no glyph
    thin_strokes: float = 2  # strokes; a component this thin (+ thin_px) ...
    thin_px: int = 1  # px
    thin_aspect: int = 6  # ... and this many times longer (+1) is a line, not a glyph
    dash_min_long: float = 0.9  # glyphs; a thin component longer than this is a dash
    group_w_glyphs: float = 2.0  # glyphs; glyphs this far apart across are one block ...
    group_h_glyphs: float = 0.8  # glyphs; ... and this far apart down
    group_min_px: int = 3  # px; the grouping dilation is this large at least
    block_pad_px: int = 3  # px of background around a free label's crop


def box_text_crop(
    prep: Prepared, box: Box, settings: TextSettings = TextSettings()
) -> np.ndarray | None:
    """Black-on-white binary image of the text inside a box, or None if it is empty."""
    x0, y0, x1, y1 = box.inner
    g = prep.gray[y0:y1, x0:x1]
    if g.size == 0 or min(g.shape) < settings.min_crop_px:
        return None
    level, bw = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if float(g.max()) - float(g.min()) < settings.min_contrast:
        return None  # flat: no text
    ink = bw == 0
    dark_text = ink.mean() <= settings.max_text_share
    if not dark_text:
        ink = ~ink  # light text on a dark fill
    ink = ink.astype(np.uint8) * 255
    if box.shape in ("circle", "ellipse"):
        ring = np.zeros_like(ink)
        h, w = ink.shape
        s = int(np.ceil(prep.stroke)) + settings.ring_extra_px
        cv2.ellipse(
            ring, (w // 2, h // 2), (max(1, w // 2 - s), max(1, h // 2 - s)), 0, 0, 360, 255, -1
        )
        ink = cv2.bitwise_and(ink, ring)
    else:
        arcs = _corner_arcs(prep, box, level, dark_text, settings)
        ink = cv2.bitwise_and(ink, cv2.bitwise_not(arcs))
    ink = drop_edge_components(ink, keep_cut_glyphs=True, settings=settings)
    return _tight(_gray_text(g, ink, settings), settings.crop_pad_px)


def _corner_arcs(
    prep: Prepared, box: Box, level: float, dark_text: bool, settings: TextSettings
) -> np.ndarray:
    """The border's ink inside a box's corners, in `box.inner` coordinates.

    The inner rectangle of a rounded box (also one whose thin border made it look
    square) still holds the curved corners of its border; an arc cut free by the crop
    reads as "/", "(", "J". Arcs are the ink (at the crop's own threshold `level`)
    connected to the box's outline, which touches the box's outer edge, and lying in a
    corner square; glyphs touching the border mid-side are not affected."""
    x0, y0, x1, y1 = box.bbox
    g = prep.gray[y0:y1, x0:x1].astype(np.int16)
    # a thin border is anti-aliased into a broken dotted arc: a laxer threshold joins
    # its pieces to the outline
    fill = float(np.median(g))
    lax = (level + fill) / 2.0
    ink = ((g < lax) if dark_text else (g > lax)).astype(np.uint8)
    h, w = ink.shape
    out = np.zeros((box.inner[3] - box.inner[1], box.inner[2] - box.inner[0]), np.uint8)
    if min(h, w) < settings.min_crop_px or out.size == 0:
        return out
    n, labels = cv2.connectedComponents(ink, connectivity=8)
    edge = np.zeros(n, bool)
    edge[np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])] = True
    edge[0] = False
    border = edge[labels]
    c = min(h, w) // settings.corner_div
    corners = np.zeros_like(border)
    corners[:c, :c] = corners[:c, -c:] = corners[-c:, :c] = corners[-c:, -c:] = True
    arcs = cv2.dilate((border & corners).astype(np.uint8) * 255, np.ones((3, 3), np.uint8))
    ix0, iy0 = box.inner[0] - x0, box.inner[1] - y0
    return arcs[iy0 : iy0 + out.shape[0], ix0 : ix0 + out.shape[1]]


def drop_edge_components(
    ink: np.ndarray, keep_cut_glyphs: bool = False, settings: TextSettings = TextSettings()
) -> np.ndarray:
    """The ink (a 0/255 mask of a crop) with components touching the crop's edge
    (border, neighbouring strokes) and specks dropped. With `keep_cut_glyphs`, a
    component that touches one side only and is a glyph among the others (about their
    size, reaching well into the crop, in their rows and columns) is kept: a descender
    ("p", "g") of a label in a tight box touches the border, and dropping it turns
    "pool" into "ool"."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h, w = ink.shape
    keep = np.zeros(n, bool)
    sides = np.zeros(n, int)
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        sides[i] = int(x == 0) + int(y == 0) + int(x + bw >= w) + int(y + bh >= h)
        keep[i] = sides[i] == 0 and area >= settings.min_glyph_area
    if keep_cut_glyphs and keep.sum() >= settings.min_glyphs:
        inner = stats[keep]
        gh = float(np.median(inner[:, 3]))
        top, bottom = int(inner[:, 1].min()), int((inner[:, 1] + inner[:, 3]).max())
        left, right = int(inner[:, 0].min()), int((inner[:, 0] + inner[:, 2]).max())
        for i in np.nonzero(sides == 1)[0]:
            x, y, bw, bh, _ = stats[i]
            rows = min(y + bh, bottom) - max(y, top)  # shared with the glyphs' rows
            cols = min(x + bw, right + gh) - max(x, left - gh)
            across = bh if y == 0 or y + bh >= h else bw  # reach away from its side
            keep[i] = (
                max(bw, bh) <= settings.cut_max_size * gh
                and across >= settings.cut_min_reach * gh
                and rows >= settings.cut_min_rows * gh
                and cols >= min(bw, settings.cut_min_cols * gh)
            )
    return np.where(keep[labels], 255, 0).astype(np.uint8)


def _gray_text(g: np.ndarray, ink: np.ndarray, settings: TextSettings) -> np.ndarray:
    """Anti-aliased text (dark on white) with everything but the glyphs whitened.

    Tesseract reads grey glyph edges better than our hard threshold, so the crop keeps
    the original grey levels near the glyphs, stretched so text is black and fill white.
    """
    if not ink.any():
        return np.full(g.shape, 255, np.uint8)
    near = cv2.dilate(ink, np.ones((3, 3), np.uint8)) > 0
    text_level = float(np.percentile(g[ink > 0], settings.text_percentile))
    fill_level = float(np.median(g[~near])) if (~near).any() else 255.0
    if abs(fill_level - text_level) < 1:
        return np.where(ink > 0, 0, 255).astype(np.uint8)
    f = (g.astype(np.float32) - text_level) / (fill_level - text_level)
    out = np.clip(f * 255.0, 0, 255).astype(np.uint8)
    out[~near] = 255
    return out


def _tight(gray_text: np.ndarray, pad: int) -> np.ndarray | None:
    """Crop to the glyphs; None when there are none."""
    ys, xs = np.nonzero(gray_text < 128)
    if ys.size == 0:
        return None
    y0, y1 = max(0, ys.min() - pad), min(gray_text.shape[0], ys.max() + 1 + pad)
    x0, x1 = max(0, xs.min() - pad), min(gray_text.shape[1], xs.max() + 1 + pad)
    return gray_text[y0:y1, x0:x1]


def plus_glyph(crop: np.ndarray, settings: TextSettings = TextSettings()) -> bool:
    """The crop (dark on white) holds a lone "+": a full-width bar and a full-height bar
    crossing near their middles, and no other ink. Tesseract reads a lone "+" as "4",
    "t", "=" or "a"; each of those has ink off the two bars (a diagonal, a hook)."""
    st = settings
    ink = crop < 128
    ys, xs = np.nonzero(ink)
    if ys.size < st.plus_min_px:
        return False
    sub = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = sub.shape
    lo, hi = st.plus_aspect
    if min(h, w) < st.plus_min_side or not lo <= w / h <= hi:
        return False
    rows, cols = sub.sum(axis=1), sub.sum(axis=0)
    r, c = int(rows.argmax()), int(cols.argmax())
    if rows[r] < st.plus_bar_length * w or cols[c] < st.plus_bar_length * h:
        return False
    off_r = abs(r - (h - 1) / 2) > max(st.plus_centre_px, st.plus_centre * h)
    if off_r or abs(c - (w - 1) / 2) > max(st.plus_centre_px, st.plus_centre * w):
        return False  # the bars cross near their middles
    bar_rows = _band(rows >= st.plus_bar_fill * w, r)
    bar_cols = _band(cols >= st.plus_bar_fill * h, c)
    if bar_rows.sum() > st.plus_max_bar * h or bar_cols.sum() > st.plus_max_bar * w:
        return False  # a solid blob, not two bars
    off_bars = sub & ~bar_rows[:, None] & ~bar_cols[None, :]
    return int(off_bars.sum()) <= st.plus_max_off_bars * int(sub.sum())


def _band(mask: np.ndarray, i: int) -> np.ndarray:
    """The run of True in a 1-D mask around index i (a bar with its blurred fringe)."""
    out = np.zeros_like(mask)
    a = b = i
    while a > 0 and mask[a - 1]:
        a -= 1
    while b + 1 < mask.size and mask[b + 1]:
        b += 1
    out[a : b + 1] = True
    return out


def glyph_height(
    prep: Prepared,
    boxes: tuple[Box, ...],
    residual: np.ndarray,
    settings: TextSettings = TextSettings(),
) -> float:
    """Typical glyph height: from box labels if there are boxes, else from loose ink."""
    shortest = settings.min_glyph_h
    hs: list[int] = []
    for b in boxes:
        x0, y0, x1, y1 = b.inner
        sub = prep.ink[y0:y1, x0:x1]
        if sub.size:
            glyphs = drop_edge_components(sub, settings=settings)
            hs += _component_heights(glyphs, shortest, sub.shape[0])
    if len(hs) < settings.min_heights:
        tallest = residual.shape[0] // settings.loose_height_div + 1
        hs += _component_heights(residual, shortest, tallest)
    hs = [h for h in hs if h >= shortest]
    if not hs:
        return max(settings.default_glyph_px, settings.default_glyph_strokes * prep.stroke)
    return float(np.median(hs))


def _component_heights(mask: np.ndarray, shortest: int, tallest: int) -> list[int]:
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return [int(stats[i, 3]) for i in range(1, n) if shortest <= stats[i, 3] <= tallest]


def near_boxes(box_mask: np.ndarray, settings: TextSettings = TextSettings()) -> np.ndarray:
    """The boxes' mask widened by `near_box_px`: ink there belongs to a box."""
    k = settings.near_box_px
    return cv2.dilate(box_mask, np.ones((k, k), np.uint8))


def split_text(
    residual: np.ndarray,
    near_box: np.ndarray,
    char_h: float,
    stroke: float,
    settings: TextSettings = TextSettings(),
) -> tuple[np.ndarray, list[IBox]]:
    """Split loose ink into text-like components (grouped into label blocks) and the rest.

    Returns the mask of text pixels and the blocks' bounding boxes. A component is text
    when it is about glyph-sized, does not touch a box, and is not a long thin line.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(residual, connectivity=8)
    w, h = stats[:, 2], stats[:, 3]
    long, short = np.maximum(w, h), np.minimum(w, h)
    st = settings
    speck = (h < st.speck_max * char_h) & (w < st.speck_max * char_h)
    glyph_sized = ~((long > st.glyph_max_long * char_h) | speck)
    glyph_sized &= h <= st.glyph_max_h * char_h
    touches_box = np.zeros(n, bool)  # some pixel of the component lies near a box
    touches_box[labels[cv2.bitwise_and(residual, near_box) > 0]] = True
    thin = (short <= st.thin_strokes * stroke + st.thin_px) & (long >= st.thin_aspect * (short + 1))
    dash = thin & (long > st.dash_min_long * char_h)  # a short dash of line, not a glyph
    is_text = glyph_sized & ~touches_box & ~dash
    is_text[0] = False
    if not is_text.any():
        return np.zeros_like(residual), []
    kw = max(st.group_min_px, int(round(st.group_w_glyphs * char_h)))
    kh = max(st.group_min_px, int(round(st.group_h_glyphs * char_h)))
    # text pixels, their dilation and its components exist only in the text components'
    # bounding box widened by the kernel: work there. An even offset keeps OpenCV's 2x2
    # block grid, so the components come in the same order as on the full image.
    st = stats[is_text]
    ox, oy = max(0, int(st[:, 0].min()) - kw) & ~1, max(0, int(st[:, 1].min()) - kh) & ~1
    ex = min(residual.shape[1], int((st[:, 0] + st[:, 2]).max()) + kw)
    ey = min(residual.shape[0], int((st[:, 1] + st[:, 3]).max()) + kh)
    text = np.zeros_like(residual)
    win = np.where(is_text, 255, 0).astype(np.uint8)[labels[oy:ey, ox:ex]]
    text[oy:ey, ox:ex] = win
    grouped = cv2.dilate(win, cv2.getStructuringElement(cv2.MORPH_RECT, (kw, kh)))
    m, _, gstats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    blocks: list[IBox] = []
    for i in range(1, m):
        x, y, w, h, _ = gstats[i]
        sub = win[y : y + h, x : x + w]
        ys, xs = np.nonzero(sub)
        if ys.size == 0:
            continue
        x, y = ox + int(x), oy + int(y)
        blocks.append(
            (x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1, y + int(ys.max()) + 1)
        )
    return text, blocks


def block_crop(
    prep: Prepared, text_mask: np.ndarray, block: IBox, settings: TextSettings = TextSettings()
) -> np.ndarray:
    """Grey crop of a free label with the non-text pixels whitened."""
    x0, y0, x1, y1 = grown(block, settings.block_pad_px, text_mask.shape)
    g = prep.gray[y0:y1, x0:x1]
    if int(np.mean(prep.background)) < 128:
        g = 255 - g
    return _gray_text(g, text_mask[y0:y1, x0:x1], settings)

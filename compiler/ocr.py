"""Tesseract OCR of many small text crops in one call.

A Tesseract process costs ~100-200 ms to start, more than reading a box label, so all the
crops of a figure are scaled to one text height, stacked into a single strip with white
gaps, read once with `image_to_data`, and the words are mapped back by their position.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

import cv2
import numpy as np

TARGET_CHAR_H = 30  # pixels; Tesseract reads best with glyphs roughly this tall
PAD = 14
GAP = 26
MAX_STRIP_PIXELS = 40_000_000


class OcrError(RuntimeError):
    """Tesseract is missing or failed."""


@dataclass(frozen=True)
class OcrText:
    text: str
    confidence: float  # mean word confidence in [0, 1]; 0 when nothing was read


def char_height(binary: np.ndarray) -> float:
    """Median height of the glyph-like components of a black-on-white crop."""
    ink = np.where(binary < 128, 255, 0).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    hs = [int(stats[i, 3]) for i in range(1, n) if stats[i, 4] >= 3]
    if not hs:
        return 0.0
    return float(np.median(hs))


def _scaled(crop: np.ndarray) -> np.ndarray:
    ch = char_height(crop)
    f = TARGET_CHAR_H / ch if ch > 0 else 1.0
    f = float(np.clip(f, 0.5, 8.0))
    if abs(f - 1.0) < 0.05:
        return crop
    h, w = crop.shape
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)


def read_crops(
    crops: list[np.ndarray], psm: int = 6, started: Tesseract | None = None
) -> list[OcrText]:
    """Read dark-on-white uint8 grey crops; one result per crop, in order.

    `started`: a `Tesseract` process started earlier (see `start_tesseract`) to read
    the strip with; it is used once, for the first strip read with its psm.
    """
    if not crops:
        return []
    scaled = [_scaled(c) for c in crops]
    width = max(c.shape[1] for c in scaled) + 2 * PAD
    rows, spans, y = [], [], 0
    for c in scaled:
        h, w = c.shape
        block = np.full((h + 2 * PAD, width), 255, np.uint8)
        block[PAD : PAD + h, PAD : PAD + w] = c
        rows.append(block)
        rows.append(np.full((GAP, width), 255, np.uint8))
        spans.append((y, y + h + 2 * PAD))
        y += h + 2 * PAD + GAP
    strip = np.vstack(rows)
    if strip.size > MAX_STRIP_PIXELS:
        half = len(crops) // 2
        first = read_crops(crops[:half], psm, started)
        return first + read_crops(crops[half:], psm)
    if started is not None and started.psm == psm and not started.used:
        return _assign(started.read(strip), spans)
    return _assign(_tesseract(strip, psm), spans)


class Tesseract:
    """One tesseract process, started before its image is ready.

    Tesseract spends 70-200 ms loading its model before it reads its image. Started
    early and fed the image on stdin, that load overlaps the caller's work of cutting
    the crops; the TSV is the same as for the image read from a file. Use as a context
    manager (or call `close`), so that a process never fed is not left behind.

    Tesseract is called directly rather than through pytesseract so that OpenMP can be
    limited to one thread for this child only (4x faster on small images on a shared
    machine) without touching this process's environment.
    """

    def __init__(self, psm: int = 6) -> None:
        exe = shutil.which("tesseract")
        if exe is None:
            raise OcrError("tesseract is not installed (apt-get install tesseract-ocr)")
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        cmd = [exe, "stdin", "stdout", "-l", "eng", "--psm", str(psm), "tsv"]
        self.psm = psm
        self.used = False
        try:
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
            )
        except OSError as exc:
            raise OcrError(f"tesseract failed: {exc}") from exc

    def read(self, strip: np.ndarray) -> dict:
        """The TSV of one grey image, parsed; a process reads one image only."""
        if self.used:
            raise OcrError("a Tesseract process reads one image only")
        self.used = True
        # PNG: Leptonica reads an uncompressed PGM more slowly than it inflates a PNG
        ok, png = cv2.imencode(".png", strip)
        if not ok:
            raise OcrError("could not encode the OCR strip image")
        data = png.tobytes()
        try:
            out, err = self._proc.communicate(data, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            self.close()
            raise OcrError(f"tesseract failed: {exc}") from exc
        if self._proc.returncode != 0:
            msg = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
            raise OcrError(f"tesseract failed: {msg[0]}")
        return _parse_tsv(out.decode("utf-8", "replace"))

    def close(self) -> None:
        """End the process if it is still running (never fed, or failed)."""
        if self._proc.returncode is not None:
            return  # read and reaped
        self._proc.kill()
        try:
            self._proc.communicate(timeout=10)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass

    def __enter__(self) -> Tesseract:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_tesseract(psm: int = 6) -> Tesseract | None:
    """A tesseract process loading its model while the caller prepares the crops; None
    when it cannot start (`read_crops` then reports why, if there is anything to read)."""
    try:
        return Tesseract(psm)
    except OcrError:
        return None


def _tesseract(strip: np.ndarray, psm: int) -> dict:
    """Run the tesseract binary once on one image and parse its TSV."""
    with Tesseract(psm) as t:
        return t.read(strip)


def _parse_tsv(tsv: str) -> dict:
    lines = tsv.splitlines()
    if not lines:
        return {}
    head = lines[0].split("\t")
    cols: dict[str, list] = {k: [] for k in head}
    for line in lines[1:]:
        parts = line.split("\t")
        if len(parts) < len(head):
            parts += [""] * (len(head) - len(parts))
        for k, v in zip(head, parts, strict=False):
            cols[k].append(v)
    return cols


def _assign(data: dict, spans: list[tuple[int, int]]) -> list[OcrText]:
    words: list[list[tuple[tuple[int, int, int], int, str, float]]] = [[] for _ in spans]
    for i, raw in enumerate(data.get("text", [])):
        text = (raw or "").strip()
        if not text:
            continue
        yc = int(data["top"][i]) + int(data["height"][i]) / 2.0
        idx = next((k for k, (a, b) in enumerate(spans) if a <= yc < b), None)
        if idx is None:
            continue
        line = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        conf = float(data["conf"][i])
        words[idx].append((line, int(data["left"][i]), text, max(0.0, conf) / 100.0))
    out = []
    for ws in words:
        if not ws:
            out.append(OcrText("", 0.0))
            continue
        ws.sort(key=lambda w: (w[0], w[1]))
        lines: dict[tuple[int, int, int], list[str]] = {}
        for line, _, text, _ in ws:
            lines.setdefault(line, []).append(text)
        text = " ".join(" ".join(v) for v in lines.values())
        out.append(OcrText(text, float(np.mean([w[3] for w in ws]))))
    return out


# Tesseract's usual misreads in layer labels, each fixed only where the reading is
# unambiguous: a times sign read as 8 between two equal small kernel digits ("3×3" ->
# "383") or lost before a stride ("33/2"), a 1 read as l ("convl-32", "convl1-32",
# "pad l"), and "fc" read as "fe" before a number ("fe-10", "fe7", "fe 10").
_TIMES_AS_8 = re.compile(r"^([1-7])8\1(?=$|[/,;:)])")
_TIMES_LOST = re.compile(r"^([2-7])\1(?=/\d)")  # "33/2": a kernel 3×3, stride 2
_LONE_L = re.compile(r"^(/?)l(?=[,;]?$)")  # "pad l", "/l": a digit 1 on its own
_CONV_L = re.compile(r"^(conv)l1?(?=[-_/,]|\d|$)", re.IGNORECASE)
_FE_NUM = re.compile(r"^(f)e(?=-?\d)", re.IGNORECASE)


def fix_misreads(word: str) -> str:
    """One OCR'd word with the common glyph confusions of layer labels undone."""
    word = _TIMES_AS_8.sub(r"\1×\1", word)
    word = _TIMES_LOST.sub(r"\1×\1", word)
    word = _LONE_L.sub(r"\g<1>1", word)
    word = _CONV_L.sub(r"\g<1>1", word)
    m = _FE_NUM.match(word)
    if m:
        word = m.group(1) + ("C" if word[0].isupper() and word[1:2].isupper() else "c") + word[2:]
    return word


def fix_misread_words(words: list[str]) -> list[str]:
    """`fix_misreads` on each word, and "fe" standing before a number is "fc"."""
    out = [fix_misreads(w) for w in words]
    for i in range(len(out) - 1):
        if out[i] in ("fe", "Fe", "FE") and out[i + 1][:1].isdigit():
            out[i] = {"fe": "fc", "Fe": "Fc", "FE": "FC"}[out[i]]
    return out

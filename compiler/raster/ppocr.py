"""PP-OCR text recognition of label crops, on onnxruntime (`rapidocr-onnxruntime`'s models).

The recogniser reads one line of upright text. A crop from the raster reader (a box's
interior, a free text block) may hold several lines, and its text may be written sideways
(rotated 90° either way, common in horizontal flows). So a crop is cut into lines by the
blank rows between them, each line is read, and a crop that is tall (or read with doubt)
is read again turned a quarter either way; the orientation whose lines read most
confidently wins, its lines joined top to bottom of the turned crop (the reading order).

The models ship inside the `rapidocr_onnxruntime` wheel (its `models/` folder): nothing is
downloaded. Sessions belong to a `PpOcr`, which an `Ocr` owns; none is module state.
"""

from __future__ import annotations

import importlib.util
import math
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REC_MODEL = "ch_PP-OCRv4_rec_infer.onnx"
REC_HEIGHT = 48  # the recogniser's input height (pixels)
REC_MIN_WIDTH = 320  # the recogniser's narrowest input (pixels)
TALL = 1.5  # a crop this many times taller than wide is also read turned a quarter
TURN_BELOW = 0.85  # a crop read upright less confidently than this is also read turned
TURN_MARGIN = 0.05  # a turned reading must be this much more confident to win
INK_LEVEL = 160  # grey level: darker is ink in a (dark on white) crop
LINE_PAD = 4  # white pixels around a line crop
MIN_LINE_SHARE = 0.35  # a band lower than this share of the tallest is part of its neighbour
BATCH = 8  # line images per recogniser call


class PpOcrError(RuntimeError):
    """The PP-OCR models are missing or could not be loaded."""


def available() -> bool:
    """Is rapidocr-onnxruntime (with its models) installed?"""
    return model_dir() is not None


def model_dir() -> Path | None:
    """The `models/` folder of the installed rapidocr_onnxruntime package, found without
    importing it (only its model files are used, on onnxruntime directly)."""
    try:
        spec = importlib.util.find_spec("rapidocr_onnxruntime")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        d = Path(root).resolve() / "models"
        if (d / REC_MODEL).is_file():
            return d
    return None


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float  # mean line confidence in [0, 1]; 0 when nothing was read
    worst: float  # the least confident line's
    turn: int  # quarter turns (counter-clockwise, np.rot90's k) applied before reading


class PpOcr:
    """The PP-OCR recogniser of one process: one onnxruntime session (at most `threads`
    intra-op threads), loaded when made. Thread-safe (one call at a time)."""

    def __init__(self, threads: int = 1) -> None:
        d = model_dir()
        if d is None:
            raise PpOcrError("rapidocr-onnxruntime is not installed (see README: install)")
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, min(2, threads))
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 4
        try:
            self.session = ort.InferenceSession(
                str(d / REC_MODEL), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # noqa: BLE001 - any load failure is one error
            raise PpOcrError(f"could not load the PP-OCR recogniser: {exc}") from exc
        meta = self.session.get_modelmeta().custom_metadata_map
        # CTC classes: blank, the model's characters, then a space
        self.chars = ["", *meta["character"].splitlines(), " "]
        self.input = self.session.get_inputs()[0].name
        self.lock = threading.Lock()

    def read_crops(self, crops: list[np.ndarray], turn_doubtful: bool = True) -> list[Reading]:
        """Dark-on-white uint8 grey crops -> one reading per crop, in order. A tall crop
        is read turned too; so is one read with doubt, if `turn_doubtful`."""
        out = self._read_turned(crops, [0] * len(crops))
        again = [
            i
            for i, (c, r) in enumerate(zip(crops, out, strict=True))
            if c.shape[0] >= TALL * c.shape[1] or (turn_doubtful and r.confidence < TURN_BELOW)
        ]
        if not again:
            return out
        for k in (1, 3):
            turned = self._read_turned([crops[i] for i in again], [k] * len(again))
            for i, r in zip(again, turned, strict=True):
                if r.text and r.confidence > out[i].confidence + TURN_MARGIN:
                    out[i] = r
        return out

    def _read_turned(self, crops: list[np.ndarray], turns: list[int]) -> list[Reading]:
        lines: list[np.ndarray] = []
        owner: list[int] = []
        for i, (c, k) in enumerate(zip(crops, turns, strict=True)):
            for line in split_lines(np.rot90(c, k) if k else c):
                lines.append(line)
                owner.append(i)
        read = self.recognise(lines)
        parts: list[list[tuple[str, float]]] = [[] for _ in crops]
        for i, r in zip(owner, read, strict=True):
            if r[0].strip():
                parts[i].append(r)
        out = []
        for ps, k in zip(parts, turns, strict=True):
            if not ps:
                out.append(Reading("", 0.0, 0.0, k))
                continue
            confs = [p[1] for p in ps]
            text = " ".join(p[0].strip() for p in ps)
            out.append(Reading(text, float(np.mean(confs)), float(min(confs)), k))
        return out

    def recognise(self, lines: list[np.ndarray]) -> list[tuple[str, float]]:
        """Single-line grey images -> (text, confidence), batched by width."""
        if not lines:
            return []
        order = sorted(range(len(lines)), key=lambda i: lines[i].shape[1] / lines[i].shape[0])
        out: list[tuple[str, float]] = [("", 0.0)] * len(lines)
        for b in range(0, len(order), BATCH):
            idx = order[b : b + BATCH]
            ratio = max(
                REC_MIN_WIDTH / REC_HEIGHT, *(lines[i].shape[1] / lines[i].shape[0] for i in idx)
            )
            width = int(math.ceil(REC_HEIGHT * ratio))
            batch = np.stack([_normalised(lines[i], width) for i in idx])
            with self.lock:
                probs = self.session.run(None, {self.input: batch})[0]
            for i, p in zip(idx, probs, strict=True):
                out[i] = self._decode(p)
        return out

    def _decode(self, probs: np.ndarray) -> tuple[str, float]:
        best = probs.argmax(axis=1)
        score = probs.max(axis=1)
        keep = np.ones(len(best), bool)
        keep[1:] = best[1:] != best[:-1]
        keep &= best != 0
        chars = [self.chars[c] if c < len(self.chars) else "" for c in best[keep]]
        if not chars:
            return "", 0.0
        text = unicodedata.normalize("NFKC", "".join(chars))
        return text, float(np.mean(score[keep]))


def _normalised(line: np.ndarray, width: int) -> np.ndarray:
    """A grey line image as the recogniser's input: 3 x 48 x width, in [-1, 1]."""
    h, w = line.shape[:2]
    new_w = min(width, max(1, int(math.ceil(REC_HEIGHT * w / h))))
    img = cv2.resize(line, (new_w, REC_HEIGHT)).astype(np.float32) / 127.5 - 1.0
    out = np.zeros((3, REC_HEIGHT, width), np.float32)
    out[:, :, :new_w] = img[None]
    return out


def split_lines(crop: np.ndarray) -> list[np.ndarray]:
    """The text lines of a dark-on-white crop, top to bottom, each padded with white:
    bands of rows with ink, a band much lower than the tallest joined to its nearer
    neighbour (the dot of an i, a bar of =, a subscript)."""
    ink = crop < INK_LEVEL
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return []
    bands: list[list[int]] = []
    start = prev = int(rows[0])
    for r in rows[1:]:
        r = int(r)
        if r > prev + 1:
            bands.append([start, prev + 1])
            start = r
        prev = r
    bands.append([start, prev + 1])
    tallest = max(b[1] - b[0] for b in bands)
    changed = True
    while changed and len(bands) > 1:
        changed = False
        for j, b in enumerate(bands):
            if b[1] - b[0] >= MIN_LINE_SHARE * tallest:
                continue
            if j == 0:
                k = 1
            elif j == len(bands) - 1:
                k = j - 1
            else:
                k = j - 1 if b[0] - bands[j - 1][1] <= bands[j + 1][0] - b[1] else j + 1
            lo, hi = min(j, k), max(j, k)
            bands[lo] = [min(bands[lo][0], bands[hi][0]), max(bands[lo][1], bands[hi][1])]
            del bands[hi]
            changed = True
            break
    out = []
    for y0, y1 in bands:
        band = crop[y0:y1]
        cols = np.flatnonzero((band < INK_LEVEL).any(axis=0))
        band = band[:, cols[0] : cols[-1] + 1]
        out.append(cv2.copyMakeBorder(band, LINE_PAD, LINE_PAD, LINE_PAD, LINE_PAD,
                                      cv2.BORDER_CONSTANT, value=255))  # fmt: skip
    return out
